"""The daily tick: plan only the holders whose next review day has come (notices/review.py,
db/reviews.py), instead of every holder. On a given day only a few percent of holders reach a
rung, a cycle end, the end of a window or the day their pace turns; the tick's cost follows
them, not the roster.

A holder whose records change is re-planned at once by the change events (service.py
replan_changed), which writes their new day too; the tick plans the holders of the events
still waiting as well (`reminders tick` after an import, with no daemon running). The tick
trusts the index only when it was built with the same rules and ladder and planned up to the
day before: otherwise (a new rule file, a changed ladder or pace, a first run, days missed) it
runs the full scan, which rebuilds it. `reminders plan` reads the index the same way, and
writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Connection, Engine

from reminders.db import events, leads, passes, reviews
from reminders.db.facts import holders_by_pk, scan_options
from reminders.notices.ladder import Ladder
from reminders.notices.preferences import Ladders
from reminders.notices.recording import ScanCounts, record_planned, scan_lock
from reminders.notices.review import ONE_DAY
from reminders.notices.scan import Planned, ScanTally, Split, plan_batch
from reminders.notices.service import queue_due
from reminders.rules.loader import Rulebook


@dataclass
class Ticked:
    """What a tick did."""

    full: str | None
    """Why it ran the full scan instead, or None."""
    examined: int = 0
    """Rows of the index read: the holders whose day had come (the full scan: every holder)."""
    counts: ScanCounts = field(default_factory=ScanCounts)
    """The holders evaluated, the messages queued, the notices planned by kind, those left out."""

    @property
    def evaluated(self) -> int:
        return self.counts.holders

    @property
    def queued(self) -> int:
        return self.counts.queued

    @property
    def failed(self) -> list[tuple[str, str]]:
        return self.counts.failed


def why_full(engine: Engine, rulebook: Rulebook, ladder: Ladder, as_of: date) -> str | None:
    """Why the index cannot be trusted for a tick as of `as_of`, or None if it can."""
    with engine.connect() as connection:
        found = reviews.state(connection)
        under_way = passes.unfinished(connection)
    if under_way is not None:
        return f"a full scan as of {under_way.as_of} is under way"
    if found is None:
        return "the index has not been built yet"
    if found.rules != reviews.fingerprint(rulebook, ladder):
        return "the rules, the ladder or the pace settings changed since it was built"
    if found.planned_as_of < as_of - ONE_DAY:
        return f"the last plan was as of {found.planned_as_of}: days were missed"
    if found.planned_as_of > as_of:
        return f"the index was built as of a later day ({found.planned_as_of})"
    return None


@dataclass(frozen=True)
class Chosen:
    """The holders a tick plans."""

    due: int
    """How many rows of the index were read: the holders whose day has come."""
    pks: list[int]
    """Their row ids with those of the holders whose change events are waiting, in order."""
    seen: int
    """The newest change event when they were chosen (the tick is done with those up to it)."""


def choose(connection: Connection, as_of: date) -> Chosen:
    """The holders whose day has come, and those whose records changed: as a full scan does,
    a tick sees the changes recorded before it began."""
    seen = events.newest(connection)
    due = reviews.due(connection, as_of)
    return Chosen(len(due), sorted(set(due).union(events.holders_through(connection, seen))), seen)


def plan_chosen(
    connection: Connection,
    pks: list[int],
    rulebook: Rulebook,
    ladder: Ladder,
    as_of: date,
    tally: ScanTally,
) -> Iterator[Planned]:
    """These holders' plans (those with something due or skipped), a chunk at a time, read as
    a full scan reads them."""
    ladders = Ladders(ladder)
    options = scan_options(rulebook, as_of)
    for start in range(0, len(pks), reviews.CHUNK):
        holders = holders_by_pk(connection, pks[start : start + reviews.CHUNK], **options)
        yield from plan_batch(connection, list(holders.values()), rulebook, ladders, as_of, tally)


def tick(
    engine: Engine,
    rulebook: Rulebook,
    ladder: Ladder,
    as_of: date,
    now: datetime,
    split: Split | None = None,
) -> Ticked | None:
    """Plan and queue as of `as_of` the holders whose day has come, or everyone (the full scan)
    when the index cannot be trusted; None if another instance is scanning right now."""
    reason = why_full(engine, rulebook, ladder, as_of)
    if reason is not None:
        counts = ScanCounts()
        queued = queue_due(engine, rulebook, ladder, as_of, now, counts, split or Split())
        if queued is None:
            return None
        return Ticked(reason, counts.holders, counts)
    connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
    with connection, connection.begin():
        if not scan_lock(connection):
            return None
        chosen = choose(connection, as_of)
        result = Ticked(None, examined=chosen.due)
        counts = result.counts
        escalating = leads.any_escalating(connection)
        rules = reviews.fingerprint(rulebook, ladder)
        tally = ScanTally(reviews=[])
        planned = plan_chosen(connection, chosen.pks, rulebook, ladder, as_of, tally)
        record_planned(connection, planned, ladder, now, escalating, counts)
        reviews.write(connection, tally.reviews or [], rules)
        counts.holders, counts.failed = tally.holders, tally.failed
        reviews.set_state(connection, rules, as_of)
        events.drop_through(connection, chosen.seen)
    return result
