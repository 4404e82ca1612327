"""Coders' own word that a cycle is submitted (models.SelfReport)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection

from reminders.db import events
from reminders.db.engine import conflict_insert
from reminders.db.models import SelfReport


def record(
    connection: Connection,
    holder_pks: list[int],
    body: str,
    cycle_end: date,
    pause_until: date,
    now: datetime,
) -> bool:
    """Record it for each of these holders (one person may be on two rosters), once: True if
    any was new. A change event has the daemon cancel the reminders already queued for it."""
    if not holder_pks:
        return False
    rows = [
        {"holder_pk": pk, "body": body, "cycle_end": cycle_end, "reported_on": now.date(),
         "pause_until": pause_until, "created_at": now}
        for pk in holder_pks
    ]  # fmt: skip
    statement = conflict_insert(connection, SelfReport).values(rows).on_conflict_do_nothing()
    # The rows RETURNING gives, not rowcount: psycopg's counts none for this statement.
    added = bool(connection.execute(statement.returning(SelfReport.id)).all())
    if added:
        events.record(connection, holder_pks, "self-report", now)
    return added
