"""Sign-in mails on record: the web process sends them at once (web/signin_mail.py) and writes
here what became of each, so that the mail log shows who was sent a link and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert

from reminders.db import outbox
from reminders.db.models import MessageRecord, SignInMailRecord


def record(
    connection: Connection,
    address: str,
    page: str,
    now: datetime,
    *,
    copy: bytes | None = None,
    error: str | None = None,
    reason: str | None = None,
) -> int:
    """One sign-in mail: sent (with `copy`, Envelope.copy: no link token in it), refused by
    the mail server (`error`), or not tried (`reason`: a suppressed address). Its message id."""
    sent = error is None and reason is None
    values = {
        "holder_pk": None, "to_address": address, "state": "sent" if sent else "failed",
        "attempts": 0 if reason is not None else 1, "created_at": now,
        "sent_at": now if sent else None, "finished_at": now,
        "last_error": None if error is None else error[:500],
        "reason": None if reason is None else reason[:300],
    }  # fmt: skip
    message = connection.execute(
        insert(MessageRecord).values(values).returning(MessageRecord.id)
    ).scalar_one()
    connection.execute(insert(SignInMailRecord).values(message_pk=message, page=page))
    if copy is not None:
        outbox.keep_copies(connection, [(message, copy)])
    return int(message)
