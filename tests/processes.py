"""Stopping the child processes a test started (daemons, servers), so that none outlives it.

A child that does not stop in time is killed before the test fails: left running, a slow
daemon kept its port and its database and broke the tests after it, which then failed for a
reason that was not theirs.
"""

from __future__ import annotations

import signal
import subprocess
import time


def stopped(*processes: subprocess.Popen[bytes], timeout: float = 10) -> list[int]:
    """The exit codes of processes already asked to stop, once all have; those still running
    after `timeout` seconds are killed, and the test fails."""
    deadline = time.monotonic() + timeout
    codes: list[int] = []
    late: list[subprocess.Popen[bytes]] = []
    for process in processes:
        try:
            codes.append(process.wait(timeout=max(0.0, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            late.append(process)
    for process in late:
        process.kill()
        process.wait()
    if late:
        pids = ", ".join(str(process.pid) for process in late)
        raise AssertionError(f"process {pids} did not stop within {timeout} s: killed")
    return codes


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 10) -> int:
    """Send `sig` (if the process still runs) and wait for it to exit; its exit code. Killed,
    and the test fails, if it has not exited after `timeout` seconds."""
    if process.poll() is None:
        process.send_signal(sig)
    return stopped(process, timeout=timeout)[0]
