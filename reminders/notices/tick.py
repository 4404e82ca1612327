"""The daily tick: plan only the holders whose next review day has come (notices/review.py,
db/reviews.py), instead of every holder. On a given day only a few percent of holders reach a
rung, a cycle end, the end of a window or the day their pace turns; the tick's cost follows
them, not the roster.

A holder whose records change is re-planned at once by the change events (service.py
replan_changed), which writes their new day too; the tick plans the holders of the events still
waiting as well (`reminders tick` after an import, with no daemon running). The tick trusts the index only when it was
built with the same rules and ladder and planned up to the day before: otherwise (a new rule
file, a changed ladder or pace, a first run, days missed) it runs the full scan, which
rebuilds it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Engine

from reminders.db import events, leads, outbox, preferences, reviews
from reminders.db.facts import holders_by_pk
from reminders.notices.ladder import Ladder
from reminders.notices.planning import Plan
from reminders.notices.preferences import DEFAULT, Ladders
from reminders.notices.review import ONE_DAY
from reminders.notices.scan import Split, error_line, plan_holder
from reminders.notices.service import ScanCounts, queue_due, record_batch, scan_lock
from reminders.rules.loader import Rulebook

log = logging.getLogger(__name__)


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
    if found is None:
        return "the index has not been built yet"
    if found.rules != reviews.fingerprint(rulebook, ladder):
        return "the rules, the ladder or the pace settings changed since it was built"
    if found.planned_as_of < as_of - ONE_DAY:
        return f"the last plan was as of {found.planned_as_of}: days were missed"
    if found.planned_as_of > as_of:
        return f"the index was built as of a later day ({found.planned_as_of})"
    return None


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
        # The holders whose day has come, and those whose records changed: as a full scan
        # does, the changes recorded before it began are seen by it, and done with after.
        seen = events.newest(connection)
        due = reviews.due(connection, as_of)
        pks = sorted(set(due).union(events.holders_through(connection, seen)))
        result = Ticked(None, examined=len(due))
        counts = result.counts
        escalating = leads.any_escalating(connection)
        ladders = Ladders(ladder)
        rules = reviews.fingerprint(rulebook, ladder)
        for start in range(0, len(pks), reviews.CHUNK):
            chunk = pks[start : start + reviews.CHUNK]
            holders = holders_by_pk(connection, chunk)
            known = outbox.known_notices(connection, chunk)
            chosen = preferences.levels(connection, [h.email for h in holders.values()])
            days: list[tuple[int, date]] = []
            batch: list[tuple[int, str, Plan]] = []
            for pk, holder in holders.items():
                level = chosen.get(holder.email, DEFAULT)
                try:
                    planned = plan_holder(holder, known[pk], level, rulebook, ladders, as_of, days)
                except Exception as exc:
                    log.exception("holder %s: cannot be planned", holder.facts.holder_id)
                    counts.failed.append((holder.facts.holder_id, error_line(exc)))
                    days.append((pk, as_of + ONE_DAY))
                    continue
                counts.holders += 1
                if planned.due or planned.skipped:
                    batch.append((pk, holder.email, planned))
            record_batch(connection, batch, ladder, now, escalating, counts)
            reviews.write(connection, days, rules)
        reviews.set_state(connection, rules, as_of)
        events.drop_through(connection, seen)
    return result
