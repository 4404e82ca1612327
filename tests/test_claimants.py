"""db/claimants.py: a claimant is dead once its process has exited, even before its parent has
reaped it (a zombie), and never while it runs, stopped or not."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from reminders.db import claimants

NAME = "from reminders.db import claimants; import time; print(claimants.claimant(), flush=True); time.sleep(60)"


def test_a_claimant_is_alive_while_its_process_runs_and_dead_once_it_has_exited() -> None:
    process = subprocess.Popen([sys.executable, "-c", NAME], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        name = process.stdout.readline().strip()
        assert len(name) <= 40 and name.split(".")[1] == str(process.pid)
        assert not claimants.dead(name)
        os.kill(process.pid, signal.SIGSTOP)  # stopped is not dead
        assert not claimants.dead(name)
        os.kill(process.pid, signal.SIGKILL)
        os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped: a zombie
        assert claimants.dead(name)
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
    assert claimants.dead(name)


def test_only_claimants_of_this_machine_can_be_judged() -> None:
    mine = claimants.claimant()
    assert not claimants.dead(mine)
    assert not claimants.dead("0" * 8 + mine[8:].replace(f".{os.getpid()}.", ".1.", 1))
    assert not claimants.dead("4242-0a1b2c3d4e5f")  # named the older way
    assert not claimants.dead(None)


def test_another_process_id_namespace_on_this_host_is_another_machine() -> None:
    """Two containers with the same host name each see their own process ids: neither may
    judge the other's claimants by them."""
    show = "from reminders.db import claimants; print(claimants._machine())"
    command = ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", show]
    try:
        inside = subprocess.run(command, check=False, capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        pytest.skip("no unshare here")
    if inside.returncode != 0:
        pytest.skip(f"cannot make a process-id namespace here: {inside.stderr.strip()}")
    assert inside.stdout.strip() != claimants._machine()
