"""Change events: every write records the holders it touched, in its own transaction; the
daemon takes them in order, re-plans those holders, and drops the events it handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, text

from reminders.db.models import ChangeEvent


def take(connection: Connection, limit: int = 1_000) -> tuple[list[int], int]:
    """The holders of the oldest events (at most `limit` events) and the last event's id."""
    query = select(ChangeEvent.id, ChangeEvent.holder_pk).order_by(ChangeEvent.id).limit(limit)
    if connection.dialect.name == "postgresql":
        # Several daemons share the work: each takes events the others have not locked.
        query = query.with_for_update(skip_locked=True)
    rows = connection.execute(query).all()
    if not rows:
        return [], 0
    return sorted({holder for _, holder in rows}), max(event for event, _ in rows)


def drop(connection: Connection, up_to: int, holders: list[int]) -> None:
    connection.execute(
        delete(ChangeEvent).where(ChangeEvent.id <= up_to, ChangeEvent.holder_pk.in_(holders))
    )


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
