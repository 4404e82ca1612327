"""Change events: every write records the holders it touched, in its own transaction; the
daemon takes them in order, re-plans those holders, and drops the events it handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, text

from reminders.db.models import ChangeEvent

TAKE = 1_000


def take(connection: Connection, limit: int = TAKE) -> tuple[list[int], int, int]:
    """The holders of the oldest events (at most `limit` events), the last event's id, and
    how many events that was."""
    query = select(ChangeEvent.id, ChangeEvent.holder_pk).order_by(ChangeEvent.id).limit(limit)
    if connection.dialect.name == "postgresql":
        # Several daemons share the work: each takes events the others have not locked.
        query = query.with_for_update(skip_locked=True)
    rows = connection.execute(query).all()
    if not rows:
        return [], 0, 0
    return sorted({holder for _, holder in rows}), max(event for event, _ in rows), len(rows)


def drop(connection: Connection, up_to: int, holders: list[int]) -> None:
    connection.execute(
        delete(ChangeEvent).where(ChangeEvent.id <= up_to, ChangeEvent.holder_pk.in_(holders))
    )


def newest(connection: Connection) -> int:
    """The id of the newest event (0 if none)."""
    return int(connection.execute(select(func.coalesce(func.max(ChangeEvent.id), 0))).scalar_one())


def drop_through(connection: Connection, up_to: int) -> None:
    """Drop the events up to an id: a full scan that began after them has seen their changes.
    On PostgreSQL the ones a change job has locked are left to it: waiting for them could
    deadlock with that job, which may itself wait on the notices this scan inserted."""
    if not up_to:
        return
    done = select(ChangeEvent.id).where(ChangeEvent.id <= up_to)
    if connection.dialect.name == "postgresql":
        done = done.with_for_update(skip_locked=True)
    connection.execute(delete(ChangeEvent).where(ChangeEvent.id.in_(done.scalar_subquery())))


def holders_through(connection: Connection, up_to: int) -> list[int]:
    """The holders of the events up to an id (a tick plans them with the holders due)."""
    query = select(ChangeEvent.holder_pk).where(ChangeEvent.id <= up_to).distinct()
    return list(connection.execute(query).scalars())


def waiting(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(ChangeEvent)).scalar_one())


CHANNEL = "reminders_changes"


def announce(connection: Connection) -> None:
    """On PostgreSQL, wake listening daemons when this transaction commits (LISTEN/NOTIFY);
    elsewhere they poll."""
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"NOTIFY {CHANNEL}"))


def record(connection: Connection, holder_pks: list[int], reason: str, now: datetime) -> None:
    """Change events for holders whose data a write outside the imports changed."""
    if holder_pks:
        connection.execute(
            insert(ChangeEvent),
            [{"holder_pk": pk, "reason": reason, "created_at": now} for pk in holder_pks],
        )
        announce(connection)
