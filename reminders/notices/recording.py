"""Recording plans in the outbox, shared by the full scan (notices/passes.py), the tick and the
re-planning of changes: a batch of holders at a time, with the leads' copies and the counts;
and the lock that keeps a tick and the cutting of a new full scan apart."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, text

from reminders.db import queueing
from reminders.escalation.service import copy_to_leads
from reminders.notices.ladder import Ladder
from reminders.notices.planning import Plan
from reminders.notices.scan import Planned


@dataclass
class ScanCounts:
    """What a scan did, for the daemon's metrics."""

    holders: int = 0
    queued: int = 0
    planned: dict[str, int] = field(default_factory=dict)
    """Notices planned, by kind."""
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(holder_id, the error) of the holders that could not be planned, left out."""

    def add(self, other: ScanCounts) -> None:
        """Count what another part of the scan did (a worker's, a range's) too."""
        self.holders += other.holders
        self.queued += other.queued
        for kind, number in other.planned.items():
            self.planned[kind] = self.planned.get(kind, 0) + number
        self.failed += other.failed


RECORD_BATCH = 500
"""Holders' plans recorded in one go (queueing.record_plans): a few statements for them all."""


def record_batch(
    connection: Connection,
    batch: Sequence[tuple[int, str, Plan]],
    ladder: Ladder,
    now: datetime,
    escalating: bool,
    counts: ScanCounts,
) -> None:
    """Record these holders' plans (holder row id, address, plan) in the outbox; copy each new
    message to the leads who escalate it; count the messages and the notices by kind."""
    messages = queueing.record_plans(connection, batch, now)
    for pk, _, result in batch:
        message = messages.get(pk)
        if message is None:
            continue
        counts.queued += 1
        if escalating:
            copy_to_leads(connection, message, pk, result.due, ladder, now)
        for notice in result.due:
            counts.planned[notice.kind] = counts.planned.get(notice.kind, 0) + 1


def record_planned(
    connection: Connection,
    planned: Iterable[Planned],
    ladder: Ladder,
    now: datetime,
    escalating: bool,
    counts: ScanCounts,
) -> None:
    """record_batch for a stream of plans, RECORD_BATCH holders at a time."""
    batch: list[tuple[int, str, Plan]] = []
    for one in planned:
        batch.append((one.pk, one.email, one.plan))
        if len(batch) >= RECORD_BATCH:
            record_batch(connection, batch, ladder, now, escalating, counts)
            batch.clear()
    record_batch(connection, batch, ladder, now, escalating, counts)


SCAN_LOCK = 0x52454D53  # "REMS": the advisory lock a tick (or the start of a full scan) holds


def scan_lock(connection: Connection, wait: bool = False) -> bool:
    """Take the lock one tick at a time holds, for this transaction; False if another instance
    holds it (with `wait`, wait for it instead). A full scan takes it only to cut its ranges: a
    running tick finishes first. On PostgreSQL an advisory lock; SQLite's one writer is lock
    enough (the transaction begins IMMEDIATE)."""
    if connection.dialect.name != "postgresql":
        return True
    if wait:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCAN_LOCK})
        return True
    locked = connection.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SCAN_LOCK})
    return bool(locked.scalar_one())
