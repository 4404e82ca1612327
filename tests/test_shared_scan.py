"""A full scan shared by three instances, one of them killed in the middle of a range, on both
databases: every holder is planned exactly once, none is skipped, the killed instance's range is
taken over once its lease runs out, and what is recorded is what one scan alone records."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from bench.generate import generate as generate_roster_files
from reminders.db import claimants, events, passes, reviews
from reminders.db.engine import make_engine
from reminders.db.models import (
    Holder,
    HolderReview,
    MessageRecord,
    NoticeRecord,
    ScanPass,
    ScanRange,
)
from reminders.notices.ladder import load_ladder
from reminders.notices.service import queue_due
from reminders.resources import config_dir
from tests.conftest import CommandLine, copy_database
from tests.rules_helpers import RULES

DAY = date(2026, 11, 24)
HOLDERS = 3_000
RANGE = 50
LEASE_SECONDS = 3


def _recorded(engine: Engine) -> tuple[list[tuple[str, str]], list[int]]:
    """The notices (key, state), and the holders of the messages queued, in order."""
    with engine.connect() as connection:
        notices = connection.execute(
            select(NoticeRecord.key, NoticeRecord.state).order_by(NoticeRecord.key)
        ).all()
        holders = connection.execute(
            select(MessageRecord.holder_pk).order_by(MessageRecord.holder_pk)
        ).scalars()
        return [(key, state) for key, state in notices], [pk for pk in holders if pk is not None]


def _held_by(engine: Engine, pid: int) -> list[int]:
    """The ranges the instance of this process id has claimed and not recorded."""
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(ScanRange.ordinal).where(
                    ScanRange.claimed_by.like(f"%.{pid}.%"), ScanRange.done_at.is_(None)
                )
            ).scalars()
        )


def _done(engine: Engine) -> int:
    with engine.connect() as connection:
        query = select(func.count()).where(ScanRange.done_at.is_not(None))
        return int(connection.execute(query).scalar_one())


def test_three_instances_share_a_full_scan_and_one_killed_loses_nothing(
    cli: CommandLine,
    database_url: str,
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    generate_roster_files(HOLDERS, tmp_path / "roster")
    cli.use(database_url)
    assert cli("init").code == 0
    assert cli("import", "all", tmp_path / "roster").code == 0
    alone_url = copy_database(database_url, backend, request, tmp_path, "alone")
    shared, alone = make_engine(database_url), make_engine(alone_url)
    env = {key: value for key, value in os.environ.items() if not key.startswith("REMINDERS_")}
    env |= {
        "REMINDERS_DATABASE_URL": database_url,
        "REMINDERS_SCAN_RANGE_HOLDERS": str(RANGE),
        "REMINDERS_SCAN_LEASE_SECONDS": str(LEASE_SECONDS),
        "REMINDERS_SCAN_WORKERS": "1",
    }
    tick = [sys.executable, "-m", "reminders", "tick", "--as-of", DAY.isoformat()]
    instances = [
        subprocess.Popen(tick, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    try:
        # Frozen one at a time, each instance is looked at: the first found holding a range it
        # has not recorded (once some are recorded) is killed there; the others go on.
        held: list[int] = []
        deadline = time.monotonic() + 60
        while not held:
            assert time.monotonic() < deadline, "no instance was found holding a range"
            for killed in instances:
                assert killed.poll() is None, killed.communicate()
                os.kill(killed.pid, signal.SIGSTOP)
                if _done(shared) >= 3:
                    held = _held_by(shared, killed.pid)
                if held:
                    os.kill(killed.pid, signal.SIGKILL)
                    break
                os.kill(killed.pid, signal.SIGCONT)
            time.sleep(0.01)
        others = [instance for instance in instances if instance is not killed]
        killed.communicate(timeout=10)  # reaped, its pipes closed
        for instance in others:
            out, err = instance.communicate(timeout=180)
            assert instance.returncode == 0, err
            assert out.startswith(f"full scan as of {DAY}"), out
        with shared.connect() as connection:
            [(outcome, number)] = connection.execute(
                select(ScanPass.outcome, func.count()).group_by(ScanPass.outcome)
            ).all()
            ranges = connection.execute(
                select(ScanRange.ordinal, ScanRange.done_by, ScanRange.holders)
            ).all()
            holders = connection.execute(select(func.count()).select_from(Holder)).scalar_one()
            days = connection.execute(select(func.count()).select_from(HolderReview)).scalar_one()
            state = reviews.state(connection)
        assert (outcome, number) == ("done", 1)
        assert len(ranges) >= HOLDERS // RANGE
        assert all(done_by is not None for _, done_by, _ in ranges)
        # The killed instance's range was recorded by another, and each holder once.
        taken_over = [done_by for ordinal, done_by, _ in ranges if ordinal in held]
        assert taken_over and not any(f".{killed.pid}." in str(by) for by in taken_over)
        assert sum(number for _, _, number in ranges) == holders == HOLDERS
        assert days == HOLDERS
        assert state is not None and state.planned_as_of == DAY
        # What one scan alone records: the same notices, one message per holder.
        now = datetime.combine(DAY, datetime.min.time(), UTC)
        assert queue_due(alone, RULES, load_ladder(config_dir() / "notices.yaml"), DAY, now)
        notices, messages = _recorded(shared)
        assert (notices, messages) == _recorded(alone)
        assert len(messages) == len(set(messages)) > HOLDERS // 2
        with shared.connect() as connection:
            assert events.newest(connection) == 0 or events.waiting(connection) == 0
    finally:
        for instance in instances:
            if instance.poll() is None:
                instance.kill()
            instance.communicate()
        shared.dispose()
        alone.dispose()


def test_a_claim_that_outlived_its_lease_and_was_taken_over_records_nothing(roster: str) -> None:
    engine = make_engine(roster)
    start = datetime(2026, 11, 24, 6, tzinfo=UTC)
    lease = timedelta(seconds=60)
    try:
        with engine.begin() as connection:
            made = passes.begin(
                connection, DAY, "rules", 0, [("", "h-004"), ("h-004", None)], start
            )
            first = passes.claim(connection, made.id, "slow", start, lease)
            second = passes.claim(connection, made.id, "quick", start, lease)
            assert first is not None and second is not None
            assert (first.ordinal, second.ordinal) == (0, 1)
            # Both held: nothing to take until a lease runs out.
            assert passes.claim(connection, made.id, "third", start + lease / 2, lease) is None
            later = start + lease + timedelta(seconds=1)
            again = passes.claim(connection, made.id, "third", later, lease)
            assert again is not None and again.ordinal == 0  # the slow claim's range
            assert not passes.hold(connection, first.id, "slow", later)  # taken over: refused
            assert passes.hold(connection, again.id, "third", later)
            assert not passes.hold(connection, again.id, "third", later)  # done once
            assert not passes.finish(connection, made.id, later)  # a range is left
            assert passes.hold(connection, second.id, "quick", later)  # outlived, not taken
            assert passes.finish(connection, made.id, later)
            assert not passes.finish(connection, made.id, later)  # finished once
            assert passes.unfinished(connection) is None
    finally:
        engine.dispose()


def test_a_range_held_by_a_dead_process_of_this_machine_is_taken_over_at_once(
    roster: str,
) -> None:
    """A daemon restarted on the same machine takes over its predecessor's ranges without
    waiting out their leases; a claim of a live process, of another machine or named the older
    way is left to its lease."""
    child = [
        sys.executable,
        "-c",
        "from reminders.db import claimants; print(claimants.claimant())",
    ]
    dead = subprocess.run(child, check=True, capture_output=True, text=True).stdout.strip()
    alive = claimants.claimant()
    elsewhere = "0" * 8 + alive[8:]  # the same process id and start on another machine
    engine = make_engine(roster)
    start = datetime(2026, 11, 24, 6, tzinfo=UTC)
    lease = timedelta(seconds=60)
    soon = start + timedelta(seconds=1)
    try:
        with engine.begin() as connection:
            bounds = [("", "h-002"), ("h-002", "h-004"), ("h-004", "h-006"), ("h-006", None)]
            made = passes.begin(connection, DAY, "rules", 0, bounds, start)
            for holder in (alive, elsewhere, "4242-0a1b2c3d4e5f", dead):
                assert passes.claim(connection, made.id, holder, start, lease) is not None
            assert not claimants.dead(alive) and not claimants.dead(elsewhere)
            assert claimants.dead(dead)
            taken = passes.claim(connection, made.id, "restarted", soon, lease)
            assert taken is not None and taken.ordinal == 3  # the dead process's range, at once
            assert passes.claim(connection, made.id, "another", soon, lease) is None
            assert not passes.hold(connection, taken.id, dead, soon)  # fenced: taken over
            assert passes.hold(connection, taken.id, "restarted", soon)
    finally:
        engine.dispose()
