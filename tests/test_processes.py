"""tests/processes.py: a child that does not stop is killed, and the test that waited fails."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from tests.processes import stop, stopped

DEAF = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)\n"
)


def _started(code: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stdout.readline() == b"ready\n"  # its handlers are in place
    process.stdout.close()
    return process


def test_a_process_that_stops_gives_its_exit_code() -> None:
    process = _started("import sys, time\nprint('ready', flush=True)\ntime.sleep(60)\n")
    assert stop(process) == -signal.SIGTERM


def test_a_process_that_ignores_the_signal_is_killed_and_the_test_fails() -> None:
    process = _started(DEAF)
    with pytest.raises(AssertionError, match="did not stop within 0.5 s: killed"):
        stop(process, timeout=0.5)
    assert process.returncode == -signal.SIGKILL


def test_every_late_process_is_killed_not_only_the_first() -> None:
    deaf = [_started(DEAF), _started(DEAF)]
    for process in deaf:
        process.send_signal(signal.SIGTERM)
    with pytest.raises(AssertionError):
        stopped(*deaf, timeout=0.5)
    assert [process.returncode for process in deaf] == [-signal.SIGKILL, -signal.SIGKILL]
