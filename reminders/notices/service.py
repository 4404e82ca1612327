"""The use cases that join the pure core to the outbox: plan and queue (delivery.py sends).

queue_due       record the due notices and their messages in the outbox (scan.py plans them)
replan_changed  plan again the holders whose records changed (the change events)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Connection, Engine, text

from reminders.db import events, leads, operators, outbox, preferences, reviews
from reminders.db.engine import GrowingTables
from reminders.db.facts import holders_by_pk
from reminders.escalation.service import copy_to_leads
from reminders.notices.ladder import Ladder
from reminders.notices.planning import PAUSED, Plan, missed_on, paused, plan
from reminders.notices.preferences import DEFAULT, Ladders, kinds_for, wanted
from reminders.notices.review import ONE_DAY, after_plan
from reminders.notices.scan import SERIAL, ScanTally, Split, error_line, scan_plans
from reminders.rules.evaluate import evaluate
from reminders.rules.loader import Rulebook
from reminders.rules.results import Evaluation

log = logging.getLogger(__name__)


@dataclass
class ScanCounts:
    """What a scan did, for the daemon's metrics."""

    holders: int = 0
    queued: int = 0
    planned: dict[str, int] = field(default_factory=dict)
    """Notices planned, by kind."""
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(holder_id, the error) of the holders that could not be planned, left out."""


SCAN_LOCK = 0x52454D53  # "REMS": the advisory lock one scan at a time holds on PostgreSQL


def scan_lock(connection: Connection) -> bool:
    """Take the lock one scan (or tick) at a time holds, for this transaction; False if another
    instance holds it. On PostgreSQL an advisory lock; SQLite's one writer is lock enough (the
    transaction begins IMMEDIATE)."""
    if connection.dialect.name != "postgresql":
        return True
    locked = connection.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SCAN_LOCK})
    return bool(locked.scalar_one())


def prune(engine: Engine, before: datetime) -> int:
    """Delete messages that reached a final state before `before`, and the record of scans
    run before it. Their notices stay, with their keys, so that nothing is ever sent twice;
    how many messages went."""
    with engine.begin() as connection:
        operators.prune_runs(connection, before)
        return outbox.prune(connection, before)


def remember_scan(
    engine: Engine,
    source: str,
    as_of: date,
    started: datetime,
    finished: datetime,
    counts: ScanCounts,
) -> None:
    """Keep a scan's figures and the holders it left out, for the operators' page."""
    with engine.begin() as connection:
        operators.record_run(connection, source, as_of, started, finished, counts.holders,
                             counts.queued, counts.failed)  # fmt: skip


def queue_due(
    engine: Engine,
    rulebook: Rulebook,
    ladder: Ladder,
    as_of: date,
    now: datetime,
    counts: ScanCounts | None = None,
    split: Split = SERIAL,
    progress: Callable[[int], None] | None = None,
) -> int | None:
    """Record every due notice in the outbox, one message per person; how many messages, or
    None if another instance is scanning right now (PostgreSQL; SQLite has one writer anyway).
    `split` says how many processes evaluate and plan (notices/scan.py); `progress` is told
    the holders read so far."""
    counts = counts if counts is not None else ScanCounts()
    connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
    with connection, connection.begin():
        if not scan_lock(connection):
            return None
        # Changes recorded before this scan began are seen by it: their events are done with
        # once it commits (a bulk import's thousands of them would otherwise hold up the next
        # real change behind them).
        seen = events.newest(connection)
        escalating = leads.any_escalating(connection)
        # Streamed: each batch's reads are done before its plans are written, so memory stays
        # bounded by one batch however many holders there are.
        tally = ScanTally(progress=progress, reviews=[])
        index = ReviewWriter(connection, rulebook, ladder, as_of)
        batch: list[tuple[int, str, Plan]] = []
        growing = GrowingTables(connection, "messages", "notices", "holder_reviews")
        for planned in scan_plans(connection, rulebook, ladder, as_of, split, tally):
            batch.append((planned.pk, planned.email, planned.plan))
            if len(batch) >= RECORD_BATCH:
                record_batch(connection, batch, ladder, now, escalating, counts)
                growing.wrote(len(batch))
                batch.clear()
            index.keep(tally)
        record_batch(connection, batch, ladder, now, escalating, counts)
        index.keep(tally, everything=True)
        index.done()
        counts.holders += tally.holders
        counts.failed += tally.failed
        events.drop_through(connection, seen)
    return counts.queued


RECORD_BATCH = 500
"""Holders' plans recorded in one go (outbox.record_plans): a few statements for them all."""


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
    messages = outbox.record_plans(connection, batch, now)
    for pk, _, result in batch:
        message = messages.get(pk)
        if message is None:
            continue
        counts.queued += 1
        if escalating:
            copy_to_leads(connection, message, pk, result.due, ladder, now)
        for notice in result.due:
            counts.planned[notice.kind] = counts.planned.get(notice.kind, 0) + 1


class ReviewWriter:
    """Writes a full scan's review days as they come (a few thousand at a time: memory stays
    bounded), each no later than the holder's first CEU dated ahead (the scan did not load
    those), and at the end the index's state: these rules, planned as of this day."""

    FLUSH = 5_000

    def __init__(
        self, connection: Connection, rulebook: Rulebook, ladder: Ladder, as_of: date
    ) -> None:
        self.connection, self.as_of = connection, as_of
        self.rules = reviews.fingerprint(rulebook, ladder)
        self.ahead = reviews.dated_ahead(connection, as_of)

    def keep(self, tally: ScanTally, everything: bool = False) -> None:
        days = tally.reviews
        assert days is not None
        if days and (everything or len(days) >= self.FLUSH):
            ahead = self.ahead
            kept = [(pk, min(day, ahead[pk]) if pk in ahead else day) for pk, day in days]
            reviews.write(self.connection, kept, self.rules)
            days.clear()

    def done(self) -> None:
        reviews.set_state(self.connection, self.rules, self.as_of)


@dataclass(frozen=True)
class Replanned:
    holders: int
    queued: int
    cancelled: int
    more: bool = False
    """A full batch of events was taken: there may be more waiting."""
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(holder_id, the error) of the holders that could not be planned, left as they were."""
    pks: tuple[int, ...] = ()
    """The row ids of the holders whose events were taken (the alerts look at them too)."""


def replan_changed(
    engine: Engine, rulebook: Rulebook, ladder: Ladder, as_of: date, now: datetime
) -> Replanned:
    """Re-evaluate the holders whose data changed (their change events): cancel what no longer
    holds, queue what is now due, and drop the events handled. One transaction."""
    connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
    with connection, connection.begin():
        holder_pks, up_to, taken = events.take(connection)
        if not holder_pks:
            return Replanned(0, 0, 0)
        holders = holders_by_pk(connection, holder_pks)
        pending = outbox.pending_of(connection, holder_pks)
        known = outbox.known_notices(connection, holder_pks)
        chosen = preferences.levels(connection, [holder.email for holder in holders.values()])
        ladders = Ladders(ladder)
        escalating = leads.any_escalating(connection)
        stale: list[int] = []
        batch: list[tuple[int, str, Plan]] = []
        failed: list[tuple[str, str]] = []
        days: list[tuple[int, date]] = []
        for pk, holder in holders.items():
            level = chosen.get(holder.email, DEFAULT)
            try:
                evaluations = evaluate(holder.facts, rulebook, as_of)[0]
                result = plan(evaluations, ladders[level], as_of, known[pk], kinds_for(level))
                days.append((pk, after_plan(holder.facts, evaluations, ladders[level], known[pk],
                                            result, rulebook, as_of)))  # fmt: skip
            except Exception as exc:
                # As in a scan: the others go on; the next full scan, or tomorrow's tick,
                # tries this holder again.
                log.exception("holder %s: cannot be planned", holder.facts.holder_id)
                failed.append((holder.facts.holder_id, error_line(exc)))
                days.append((pk, as_of + ONE_DAY))
                continue
            by_body = {e.body: e for e in evaluations}
            stale += [
                n.id
                for _, n in pending[pk]
                if not still_applies(n, by_body, as_of)
                or not wanted(n.kind, n.rung, n.body, ladders[level], level)
            ]
            batch.append((pk, holder.email, result))
        counts = ScanCounts()
        record_batch(connection, batch, ladder, now, escalating, counts)
        outbox.cancel(connection, stale, now)
        reviews.write(connection, days, reviews.fingerprint(rulebook, ladder))
        events.drop(connection, up_to, holder_pks)
        more = taken >= events.TAKE
        return Replanned(
            len(holder_pks), counts.queued, len(stale), more, failed, tuple(holder_pks)
        )


def still_applies(
    record: outbox.StoredNotice, evaluations: dict[str, Evaluation], as_of: date
) -> bool:
    """Is the notice still true on fresh data? (A CEU recorded since planning may have solved
    it, or the holder said the cycle is submitted.)"""
    e = evaluations.get(record.body)
    if e is None:
        return False
    if record.kind in PAUSED and paused(e, as_of):
        return False
    if record.kind == "dues":
        return e.renews_on == record.cycle_end
    missed = missed_on(e) if record.kind in ("overdue", "lapsed") else e.cycle_end
    if missed != record.cycle_end:
        return False
    wanted = {
        "deadline": ("on_track", "behind"),
        "shortfall": ("behind",),
        "overdue": ("overdue",),
        "lapsed": ("lapsed",),
        "complete": ("complete",),
    }
    return e.status in wanted[record.kind]
