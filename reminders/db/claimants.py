"""Who holds a claim (a range of a shared scan), in a form that lets an instance on the same
machine tell that the holder has died: a restarted daemon takes its predecessor's claims over
at once instead of waiting out their leases (up to five minutes of a scan standing still).

A claimant is `<machine>.<pid>.<start>.<random>`: a digest of the host name, the boot and the
process-id namespace, the process id, and the moment the process started (Linux counts it in
clock ticks since boot), which together name one process even after its id is reused. A claim
of another machine, or of a claimant named the older way, is never judged dead: its lease has
to run out. Judging wrongly costs nothing but work done twice, as every claim's outcome is
fenced by its claimant.
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
import socket
from pathlib import Path


@functools.cache
def _machine() -> str:
    """Names the space of process ids this process lives in: the machine's boot (Linux gives
    each boot an id) and its process-id namespace, so that two containers given the same host
    name never judge each other's processes by their own."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        boot = namespace = ""
    named = f"{socket.gethostname()}\n{boot}\n{namespace}"
    return hashlib.sha256(named.encode()).hexdigest()[:8]


def _started(pid: int) -> str | None:
    """When the process started (Linux: clock ticks since boot), or None if it is not running
    (a zombie, killed and not yet reaped by its parent, is not) or the system does not say."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: count from its end.
    state, *_, started = stat.rsplit(")", 1)[1].split()[:20]
    return None if state in ("Z", "X") else started


def claimant() -> str:
    """A new claimant's name for this process (at most 40 characters)."""
    pid = os.getpid()
    return f"{_machine()}.{pid}.{_started(pid) or 0}.{secrets.token_hex(4)}"


def dead(name: str | None) -> bool:
    """Whether the claimant was a process of this machine that no longer runs."""
    if name is None:
        return False
    parts = name.split(".")
    # Start 0: made where the system does not say when a process started (no /proc).
    if len(parts) != 4 or parts[0] != _machine() or not parts[1].isdigit() or parts[2] == "0":
        return False
    return _started(int(parts[1])) != parts[2]
