"""The store side of digests: subscribers and their scope, the digests recorded (one per
subscription and period, under a unique key) with the message that carries each, and what
each digest showed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import aliased

from reminders.db import outbox, queueing, scope
from reminders.db.engine import conflict_insert
from reminders.db.models import (
    DigestRecord,
    Holder,
    Organisation,
    Subscription,
    Team,
    TeamMember,
)

PENDING = ("queued", "retry", "sending")


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: int
    org_pk: int
    org: str
    team_pk: int | None
    team: str | None
    email: str
    frequency: str
    timezone: str | None
    paused: bool
    alerts: str = "none"
    """none, daily or immediate (db/alerts.py)."""

    @property
    def scope(self) -> str:
        """How the digest names what it covers."""
        return self.org if self.team is None else f"{self.org}, {self.team}"


def subscribers(
    connection: Connection,
    subscription: int | None = None,
    org_pk: int | None = None,
    ids: Sequence[int] | None = None,
) -> list[Subscriber]:
    """Subscriptions (one, an organisation's, these ids, or all) with their organisation's
    and team's names, by id."""
    s, o, t = Subscription, Organisation, Team
    query = (
        select(
            s.id,
            s.org_pk,
            o.name,
            s.team_pk,
            t.name,
            s.email,
            s.frequency,
            s.timezone,
            s.paused,
            s.alerts,
        )
        .join(o, o.id == s.org_pk)
        .outerjoin(t, t.id == s.team_pk)
        .order_by(s.id)
    )
    if subscription is not None:
        query = query.where(s.id == subscription)
    if org_pk is not None:
        query = query.where(s.org_pk == org_pk)
    if ids is not None:
        query = query.where(s.id.in_(ids))
    return [Subscriber(*row[:9], alerts=row[9]) for row in connection.execute(query)]


def scope_members(
    connection: Connection, org_pk: int, team_pk: int | None, batch: int = 1_000
) -> Iterator[list[int]]:
    """The holders in a subscription's scope: one team's members, or the members of every team
    of the organisation and the holders it owns (each once), in holder_id order, a batch of row
    ids at a time. No other organisation's people can appear (reminders.db.scope)."""
    in_scope = scope.in_org(org_pk)
    if team_pk is not None:
        in_scope = select(TeamMember.holder_pk).where(TeamMember.team_pk == team_pk)
    last = ""
    while True:
        query = (
            select(Holder.id, Holder.holder_id)
            .where(Holder.id.in_(in_scope), Holder.holder_id > last)
            .order_by(Holder.holder_id)
            .limit(batch)
        )
        rows = connection.execute(query).all()
        if not rows:
            return
        yield [pk for pk, _ in rows]
        if len(rows) < batch:
            return
        last = rows[-1][1]


def recorded(connection: Connection, keys: Sequence[str]) -> set[str]:
    """The keys among these whose digest was already recorded (whatever became of it)."""
    if not keys:
        return set()
    query = select(DigestRecord.key).where(DigestRecord.key.in_(keys))
    return set(connection.execute(query).scalars())


@dataclass(frozen=True, slots=True)
class SentDigest:
    id: int
    period: str
    shown: str


def last_sent(
    connection: Connection, subscription: int, before: str, as_of: date
) -> SentDigest | None:
    """The newest digest of a subscription that went out before the period `before` (a label)
    as of `as_of`: what a digest of that period compares with. A preview of a period whose
    digest, or a later one, has gone out compares with the one before it all the same."""
    d = DigestRecord
    query = (
        select(d.id, d.period, d.shown)
        .where(d.subscription_pk == subscription, d.state == "sent")
        .where(d.period != before, d.as_of < as_of)
        .order_by(d.as_of.desc(), d.id.desc())
        .limit(1)
    )
    row = connection.execute(query).first()
    return None if row is None else SentDigest(row[0], row[1], row[2])


@dataclass(frozen=True, slots=True)
class NewDigest:
    key: str
    subscription: int
    email: str
    period: str
    as_of: date
    expires_on: date
    shown: str
    previous: int | None


def record(connection: Connection, digest: NewDigest, now: datetime) -> int | None:
    """Queue a digest and its message; None (and nothing written) if its key was recorded
    already, by this instance or another."""
    message = queueing.new_message(connection, digest.email, now)
    statement = (
        conflict_insert(connection, DigestRecord)
        .values(
            key=digest.key,
            subscription_pk=digest.subscription,
            period=digest.period,
            as_of=digest.as_of,
            expires_on=digest.expires_on,
            state="queued",
            message_pk=message,
            previous_pk=digest.previous,
            shown=digest.shown,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(DigestRecord.id)
    )
    inserted = connection.execute(statement).scalar_one_or_none()
    if inserted is None:
        queueing.withdraw(connection, message)
    return inserted


@dataclass(frozen=True, slots=True)
class StoredDigest:
    id: int
    key: str
    subscriber: Subscriber
    period: str
    as_of: date
    expires_on: date
    state: str
    shown: str
    previous_shown: str | None
    previous_period: str | None


def of_messages(connection: Connection, messages: Sequence[int]) -> dict[int, StoredDigest]:
    """The digest each message carries; a message whose subscription was removed has none."""
    if not messages:
        return {}
    d = DigestRecord
    before = aliased(DigestRecord)
    previous = select(before.shown).where(before.id == d.previous_pk)
    previous_period = select(before.period).where(before.id == d.previous_pk)
    query = select(
        d.message_pk, d.id, d.key, d.subscription_pk, d.period, d.as_of, d.expires_on, d.state,
        d.shown, previous.scalar_subquery(), previous_period.scalar_subquery(),
    ).where(d.message_pk.in_(messages))  # fmt: skip
    rows = connection.execute(query).all()
    by_id = {s.id: s for s in subscribers(connection, ids=[row[3] for row in rows])}
    return {row[0]: StoredDigest(row[1], row[2], by_id[row[3]], *row[4:]) for row in rows}


def finish(connection: Connection, messages: Sequence[int], state: str, now: datetime) -> None:
    """A delivery outcome, on the digests the messages carry."""
    connection.execute(
        update(DigestRecord)
        .where(DigestRecord.message_pk.in_(messages), DigestRecord.state.in_(PENDING))
        .values(state=state, updated_at=now)
    )


def cancel_pending(connection: Connection, subscription: int, now: datetime) -> int:
    """Cancel a subscription's digests that have not gone out (it was paused or removed)."""
    found = connection.execute(
        select(DigestRecord.message_pk).where(
            DigestRecord.subscription_pk == subscription,
            DigestRecord.state.in_(("queued", "retry")),
            DigestRecord.message_pk.is_not(None),
        )
    ).scalars()
    pending = [pk for pk in found if pk is not None]
    if not pending:
        return 0
    why = "the subscription was paused or removed before it went"
    outbox.cancel_messages(connection, pending, now, why)
    finish(connection, pending, "cancelled", now)
    return len(pending)
