"""The store side of the team dashboard: the subscriptions an address signs in to, the one
member of a subscription's scope a page asks for (nobody outside it, whatever the address of
the page says), and the notices that member was sent."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from reminders.dashboard.member import SentNotice
from reminders.db import digests, scope
from reminders.db.models import (
    BounceReport,
    Holder,
    MessageRecord,
    NoticeRecord,
    Subscription,
    TeamMember,
)

HISTORY_LIMIT = 100
"""Notices shown per member, the newest first: two cycles of a ladder, many times over."""


def subscriptions_of(connection: Connection, address: str) -> list[digests.Subscriber]:
    """The subscriptions of this address, whatever its case: an address is typed by hand at
    sign-in, and the import kept it as the HR system spelt it."""
    query = select(Subscription.id).where(func.lower(Subscription.email) == address.lower())
    ids = list(connection.execute(query).scalars())
    return digests.subscribers(connection, ids=ids) if ids else []


def member(connection: Connection, subscriber: digests.Subscriber, holder_id: str) -> int | None:
    """The row id of the holder of this id in the subscription's scope, else None: a page of
    someone outside it is a page of nobody."""
    if subscriber.team_pk is None:
        return scope.holder(connection, subscriber.org_pk, holder_id)
    query = (
        select(Holder.id)
        .join(TeamMember, TeamMember.holder_pk == Holder.id)
        .where(TeamMember.team_pk == subscriber.team_pk, Holder.holder_id == holder_id)
        .limit(1)
    )
    return connection.execute(query).scalar()


def notices_of(connection: Connection, holder_pk: int) -> list[SentNotice]:
    """The holder's notices, the newest first, each with what became of its mail."""
    n, m = NoticeRecord, MessageRecord
    bounced = (
        select(BounceReport.kind)
        .where(
            BounceReport.message_pk == n.message_pk,
            BounceReport.kind.in_(("hard", "soft", "complaint")),
        )
        .order_by(BounceReport.received_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    columns = (n.body, n.kind, n.rung, n.cycle_end, n.due_on, n.state, n.updated_at)
    query = (
        select(*columns, m.sent_at, m.last_error, bounced)
        .outerjoin(m, m.id == n.message_pk)
        .where(n.holder_pk == holder_pk)
        .order_by(n.due_on.desc(), n.id.desc())
        .limit(HISTORY_LIMIT)
    )
    return [SentNotice(*row) for row in connection.execute(query)]
