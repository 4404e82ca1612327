"""A claim's cost does not grow with the queue: it reads the due messages it takes, not the
whole outbox. Measured in SQLite's own units (virtual machine steps, through its progress
handler), not in seconds: a count does not vary with the machine's load."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from reminders.db import migrate, outbox
from reminders.db.engine import make_engine
from reminders.db.models import MessageRecord

NOW = datetime(2026, 12, 5, 15, tzinfo=UTC)


def _claim_steps(path: Path, queued: int) -> int:
    """The steps one claim of 100 takes with `queued` messages due, behind as many deferred
    to tomorrow (the send window, the daily cap) that it must not take."""
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate.upgrade(engine)
        later = NOW + timedelta(days=1)
        with engine.begin() as connection:
            rows = [
                {"to_address": f"c{n}@example.org", "state": "retry", "created_at": NOW,
                 "next_attempt_at": later}
                for n in range(queued)
            ] + [
                {"to_address": f"c{n}@example.org", "state": "queued", "created_at": NOW,
                 "next_attempt_at": None}
                for n in range(queued)
            ]  # fmt: skip
            connection.execute(insert(MessageRecord), rows)
        with engine.begin() as connection:
            raw = connection.connection.dbapi_connection
            assert isinstance(raw, sqlite3.Connection)
            steps = 0

            def count() -> int:
                nonlocal steps
                steps += 1
                return 0  # go on

            raw.set_progress_handler(count, 100)
            claimed = outbox.claim(connection, NOW, timedelta(minutes=5), 100, "t")
            raw.set_progress_handler(None, 0)
        assert len(claimed) == 100
        assert {c.to_address for c in claimed} <= {f"c{n}@example.org" for n in range(queued)}
        return steps
    finally:
        engine.dispose()


def test_a_claim_costs_the_same_with_a_small_queue_and_a_large_one(tmp_path: Path) -> None:
    small = _claim_steps(tmp_path / "small.db", 1_000)
    large = _claim_steps(tmp_path / "large.db", 20_000)
    # Sorting the queue by id for each claim made this twenty times more.
    assert large < small * 2, (small, large)
