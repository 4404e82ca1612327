"""The use cases that join the pure core to the outbox: plan and queue (delivery.py sends).

queue_due       record the due notices and their messages in the outbox (scan.py plans them)
replan_changed  plan again the holders whose records changed (the change events)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Engine

from reminders.db import events, leads, operators, outbox, passes, preferences, queueing, reviews
from reminders.db.facts import holders_by_pk
from reminders.notices.ladder import Ladder
from reminders.notices.passes import Job, join, run_pass
from reminders.notices.planning import PAUSED, Plan, missed_on, paused
from reminders.notices.preferences import DEFAULT, Ladders, wanted
from reminders.notices.recording import ScanCounts, record_batch
from reminders.notices.review import ONE_DAY
from reminders.notices.scan import SERIAL, Split, error_line, evaluate_and_plan
from reminders.rules.loader import Rulebook
from reminders.rules.results import Evaluation

log = logging.getLogger(__name__)


def prune(engine: Engine, before: datetime) -> int:
    """Delete messages that reached a final state before `before`, and the record of scans
    run before it. Their notices stay, with their keys, so that nothing is ever sent twice;
    how many messages went."""
    with engine.begin() as connection:
        operators.prune_runs(connection, before)
        passes.prune(connection, before)
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
    """The full scan: record every due notice in the outbox, one message per person, and each
    holder's next review day. Shared by every instance that runs it at the same time (the pass
    as of `as_of`, notices/passes.py): `counts` gets this instance's share, and the messages it
    queued are returned. `split` says how many processes claim ranges here; `progress` is told
    the holders planned so far."""
    counts = counts if counts is not None else ScanCounts()
    pass_pk = join(engine, rulebook, ladder, as_of, split.range_size)
    share = run_pass(
        engine, Job(rulebook, ladder, as_of, now, pass_pk, split.lease), split, progress
    )
    counts.add(share)
    return share.queued


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
        known = queueing.known_notices(connection, holder_pks)
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
                evaluations, result = evaluate_and_plan(
                    holder, known[pk], level, rulebook, ladders, as_of, days
                )
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
