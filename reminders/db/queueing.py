"""Queueing into the outbox: a holder's notices recorded under their unique keys, in the same
transaction as the message that carries them, many holders in a few statements; the empty
message a digest, an alert or a lead's copy points at. db/outbox.py claims the messages and
records what became of them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from reminders.db.engine import conflict_insert
from reminders.db.models import MessageRecord, NoticeRecord
from reminders.notices.planning import Known, Notice, Plan


def known_notices(connection: Connection, holder_pks: Sequence[int]) -> dict[int, dict[str, Known]]:
    """Every notice key already recorded for these holders, whatever became of it."""
    known: dict[int, dict[str, Known]] = {pk: {} for pk in holder_pks}
    n = NoticeRecord
    query = select(n.holder_pk, n.key, n.due_on, n.updated_at).where(n.holder_pk.in_(holder_pks))
    for pk, key, due_on, updated_at in connection.execute(query):
        known[pk][key] = Known(key, max(due_on, updated_at.date()))
    return known


def _insert_notices(connection: Connection, rows: list[dict[str, object]]) -> list[Any]:
    """Insert notice rows; a key another planner recorded first is left alone. The (key,
    message_pk) of the rows inserted. Executed as many rows: SQLAlchemy sends them a page of
    rows per statement, within each database's limit on parameters."""
    if not rows:
        return []
    statement = (
        conflict_insert(connection, NoticeRecord)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(NoticeRecord.key, NoticeRecord.message_pk)
    )
    return list(connection.execute(statement, rows))


def _row(
    notice: Notice, holder_pk: int, state: str, message: int | None, now: datetime
) -> dict[str, object]:
    return {
        "key": notice.key,
        "holder_pk": holder_pk,
        "body": notice.body,
        "kind": notice.kind,
        "rung": notice.rung,
        "cycle_end": notice.cycle_end,
        "due_on": notice.due_on,
        "expires_on": notice.expires_on,
        "state": state,
        "message_pk": message,
        "updated_at": now,
    }


def record_plans(
    connection: Connection, plans: Sequence[tuple[int, str, Plan]], now: datetime
) -> dict[int, int]:
    """Queue for each holder (each once) one message with every due notice, and record the
    skipped ones, in a few statements: the skipped notices, one message for each holder with
    notices due, their notices; a message none of whose notices was new (another planner
    recorded them first) is taken back. Each holder's message id, if one was queued.

    One holder at a time cost three or four round trips a holder, which made the scan's and
    the tick's writes most of their time (docs/benchmarks.md)."""
    skipped = [_row(n, pk, "skipped", None, now) for pk, _, plan in plans for n in plan.skipped]
    _insert_notices(connection, skipped)
    due = [(pk, address, plan) for pk, address, plan in plans if plan.due]
    if not due:
        return {}
    if len({pk for pk, _, _ in due}) != len(due):
        raise ValueError("record_plans: a holder was given twice")
    rows = [
        {"holder_pk": pk, "to_address": address, "state": "queued", "attempts": 0,
         "created_at": now}
        for pk, address, _ in due
    ]  # fmt: skip
    made = connection.execute(
        insert(MessageRecord).returning(
            MessageRecord.holder_pk, MessageRecord.id, sort_by_parameter_order=True
        ),
        rows,
    )
    messages: dict[int, int] = dict(made.all())  # type: ignore[arg-type]
    notices = [_row(n, pk, "queued", messages[pk], now) for pk, _, plan in due for n in plan.due]
    carrying = {message for _, message in _insert_notices(connection, notices)}
    empty = [message for message in messages.values() if message not in carrying]
    if empty:
        connection.execute(delete(MessageRecord).where(MessageRecord.id.in_(empty)))
    return {pk: message for pk, message in messages.items() if message in carrying}


def new_message(
    connection: Connection, address: str, now: datetime, holder_pk: int | None = None
) -> int:
    """Queue an empty message: its notices, or the digest, alert or lead's copy it carries,
    point at it."""
    return int(
        connection.execute(
            insert(MessageRecord)
            .values(
                holder_pk=holder_pk,
                to_address=address,
                state="queued",
                attempts=0,
                created_at=now,
            )
            .returning(MessageRecord.id)
        ).scalar_one()
    )


def withdraw(connection: Connection, message: int) -> None:
    """Take back a message queued in this transaction whose content another queued first."""
    connection.execute(delete(MessageRecord).where(MessageRecord.id == message))
