"""`reminders simulate` (issue 15, part 5): the daemon's schedule day by day, written nowhere,
and the same as what the daemon then sends over those days; on both databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from reminders.db.engine import make_engine
from reminders.db.models import ScanRun
from reminders.db.outbox import suppress
from tests.conftest import CommandLine, database_rows, rows, write_csv
from tests.processes import stop
from tests.smtpserver import SmtpServer
from tests.test_daemon import _get, _port
from tests.webserver import until

START = date(2026, 11, 24)
DAYS = 8
"""From a Tuesday past the first Monday, through a weekly digest (Monday 30th) and a monthly
one (December 1st), with deadline, overdue, dues, shortfall and complete notices on the way."""


def _simulated(cli: CommandLine, *options: str) -> list[dict[str, object]]:
    result = cli("simulate", "--from", START.isoformat(), "--days", str(DAYS), "--format", "json",
                 *options)  # fmt: skip
    assert result.code == 0, result.err
    found: list[dict[str, object]] = json.loads(result.out)
    return found


def _run_daemon_for(day: date, port: int, inbox: Sequence[object], expected: int) -> None:
    """The daemon, its clock pinned to `day`, until it has scanned, queued and delivered, and
    the `expected` mails arrived (a moment more shows any it should not have sent)."""
    env = {**os.environ, "REMINDERS_HTTP_PORT": str(port), "REMINDERS_DELIVER_INTERVAL_SECONDS": "0.2",
           "REMINDERS_DIGEST_INTERVAL_SECONDS": "0.2", "REMINDERS_SCAN_INTERVAL_SECONDS": "3600"}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "reminders", "run", "--as-of", day.isoformat()], env=env,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    metrics = f"http://127.0.0.1:{port}/metrics"
    before = len(inbox)

    def settled() -> bool:
        try:
            text = _get(metrics)[1]
        except OSError:
            return False
        done = "reminders_scans_total 1.0" in text and "reminders_outbox_depth 0.0" in text
        return done and len(inbox) - before >= expected

    try:
        until(settled, seconds=60)
        time.sleep(0.6)  # three more delivery and digest runs: nothing else may come
        until(settled)
    finally:
        assert stop(process, timeout=20) == 0


def test_the_simulation_is_what_the_daemon_then_sends_day_by_day(
    cli: CommandLine, roster: str, mail_env: SmtpServer
) -> None:
    cli.use(roster)
    before = database_rows(roster)
    simulated = _simulated(cli)
    assert database_rows(roster) == before  # nothing written
    expected = sorted(
        (o["day"], o["to"], o["subject"]) for o in simulated if o["outcome"] == "sent"
    )
    kinds = {o["kind"] for o in simulated}
    assert kinds == {"notices", "digest"} and len(expected) >= 12
    inbox = mail_env.inbox
    got = []
    port = _port()
    for offset in range(DAYS):
        day = START + timedelta(days=offset)
        count = len(inbox.messages)
        _run_daemon_for(day, port, inbox.messages, sum(1 for o in expected if o[0] == str(day)))
        got += [(day.isoformat(), m["To"].addresses[0].addr_spec, str(m["Subject"]))
                for m in inbox.messages[count:]]  # fmt: skip
    assert sorted(got) == expected
    # The first day's full scan built the next-review index; each day after, a tick used it.
    sources = rows(roster, select(ScanRun.source).order_by(ScanRun.id))
    assert [source for (source,) in sources] == ["daemon"] + ["tick"] * (DAYS - 1)


def test_one_holder_a_suppressed_address_and_the_daily_cap(
    cli: CommandLine, roster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli.use(roster)
    only = _simulated(cli, "--holder", "h-003")
    assert {o["to"] for o in only} == {"priya.raman@riverside.example"}
    assert [(o["day"], o["notices"]) for o in only] == [
        ("2026-11-24", ["overdue:1:AHIMA"]),
        ("2026-11-27", ["overdue:90:AHIMA"]),
    ]
    assert only[0]["why"] == [
        (
            "AHIMA overdue: the due date passed 87 days ago (the notice for 1 day after it could not "
            "reach you in time)."
        )
    ]
    # Priya's address refused for good: her mail would fail.
    engine = make_engine(roster)
    with engine.begin() as connection:
        suppress(connection, "priya.raman@riverside.example", "550 5.1.1", datetime.now(UTC))
    engine.dispose()
    assert {o["outcome"] for o in _simulated(cli, "--holder", "h-003")} == {"suppressed"}
    # James shares Maria's address, and one mail a day may go to it: the second waits a day.
    holders = write_csv(
        tmp_path / "holders.csv", "holder_id,full_name,email",
        "h-002,James Okafor,maria.alvarez@riverside.example",
    )  # fmt: skip
    assert cli("import", "holders", holders).code == 0
    monkeypatch.setenv("REMINDERS_DAILY_CAP", "1")
    shared = [o for o in _simulated(cli) if o["to"] == "maria.alvarez@riverside.example"]
    assert [(o["day"], o["holder_id"], o["outcome"]) for o in shared] == [
        ("2026-11-24", "h-001", "sent"),
        ("2026-11-24", "h-002", "held"),
        ("2026-11-25", "h-002", "sent"),
    ]
    unknown = cli("simulate", "--holder", "h-999")
    assert unknown.code == 2 and "no holder 'h-999'" in unknown.err
    table = cli("simulate", "--from", "2026-11-24", "--days", "2")
    assert table.code == 0
    assert "2026-11-24   maria.alvarez@riverside.example" in table.out
    # Day 1: 7 mails of notices (1 suppressed, 1 held) and 3 digests; day 2: the one held.
    assert table.out.rstrip().endswith("11 mails over 2 days from 2026-11-24: 9 would go out")
