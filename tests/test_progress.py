"""A progress bar with totals on `plan`, `status` and `send` over a few thousand holders, at a
terminal (a pseudo-terminal here); none when the output is piped or logged, and none for a
roster that takes no time."""

from __future__ import annotations

import itertools
import os
import pty
import select
import string
import subprocess
import sys
from pathlib import Path

import pytest

HOLDERS = 2_500


def _at_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """What the command wrote to its terminal (stderr; stdout is piped away)."""
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "reminders", *args], stdin=child, stdout=subprocess.PIPE,
        stderr=child, env=env,
    )  # fmt: skip
    os.close(child)
    seen = b""
    while True:
        ready, _, _ = select.select([main], [], [], 0.2)
        if ready:
            try:
                data = os.read(main, 65536)
            except OSError:  # the child closed its end
                break
            if not data:
                break
            seen += data
        elif process.poll() is not None:
            break
    process.communicate(timeout=60)
    os.close(main)
    assert process.returncode == 0, seen
    return seen.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("progress")
    names = ("".join(p).title() for p in itertools.product(string.ascii_lowercase, repeat=3))
    rows = [f"p-{i:05d},Person {next(names)},p{i}@example.org," for i in range(HOLDERS)]
    (folder / "holders.csv").write_text("holder_id,full_name,email,timezone\n" + "\n".join(rows))
    env = {**os.environ, "REMINDERS_DATABASE_URL": f"sqlite:///{folder / 'big.db'}",
           "REMINDERS_SECRET_KEY": "x" * 40, "REMINDERS_SMTP_PORT": "9", "COLUMNS": "100"}  # fmt: skip
    for args in (["init"], ["import", "holders", str(folder / "holders.csv")]):
        subprocess.run([sys.executable, "-m", "reminders", *args], env=env, check=True,
                       capture_output=True)  # fmt: skip
    return env


@pytest.mark.parametrize(("command", "name"), [("plan", "planning"), ("status", "evaluating"),
                                                ("send", "planning")])  # fmt: skip
def test_a_long_command_shows_its_progress_at_a_terminal_and_not_in_a_pipe(
    big: dict[str, str], command: str, name: str
) -> None:
    shown = _at_a_terminal([command, "--as-of", "2026-11-24"], big)
    assert name in shown and f"{HOLDERS}/{HOLDERS}" in shown
    piped = subprocess.run(
        [sys.executable, "-m", "reminders", command, "--as-of", "2026-11-24"], env=big, check=False,
        capture_output=True, text=True,
    )  # fmt: skip
    assert piped.returncode == 0 and name not in piped.stderr and "/2500" not in piped.stderr


def test_a_small_roster_shows_no_bar(roster: str, tmp_path: Path) -> None:
    env = {**os.environ, "REMINDERS_DATABASE_URL": roster, "COLUMNS": "100"}
    assert "planning" not in _at_a_terminal(["plan", "--as-of", "2026-11-24"], env)
