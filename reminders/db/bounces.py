"""The reports read from the bounce mailbox and providers' webhooks, and the suppressions they
lead to (bounces/record.py decides)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Connection, func, insert, select

from reminders.db.models import BounceReport, MessageRecord, Suppression


def already_read(connection: Connection, report_id: str) -> bool:
    query = select(BounceReport.id).where(BounceReport.report_id == report_id)
    return connection.execute(query).first() is not None


def address_of(connection: Connection, message: int) -> str | None:
    """The address a message of the outbox went to; None once it is pruned."""
    query = select(MessageRecord.to_address).where(MessageRecord.id == message)
    return connection.execute(query).scalar_one_or_none()


def add(
    connection: Connection,
    report_id: str,
    source: str,
    kind: str,
    message: int | None,
    address: str | None,
    status: str,
    detail: str,
    now: datetime,
) -> None:
    connection.execute(
        insert(BounceReport).values(
            report_id=report_id[:255],
            source=source,
            kind=kind,
            message_pk=message,
            address=address,
            status=status[:32],
            detail=detail[:500],
            received_at=now,
        )
    )


def soft_since(connection: Connection, address: str, since: datetime) -> int:
    query = select(func.count()).where(
        BounceReport.address == address,
        BounceReport.kind == "soft",
        BounceReport.received_at >= since,
    )
    return int(connection.execute(query).scalar_one())


def bouncing(connection: Connection, addresses: Sequence[str]) -> dict[str, date]:
    """Of these addresses, the ones mail does not reach (refused, or bouncing after it was
    accepted), with the day that started. Not complaints: those are a person's choice, told to
    nobody."""
    if not addresses:
        return {}
    query = select(Suppression.email, Suppression.created_at).where(
        Suppression.email.in_(addresses), Suppression.kind != "complaint"
    )
    return {email: created.date() for email, created in connection.execute(query)}
