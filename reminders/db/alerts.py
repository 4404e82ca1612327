"""The store side of alerts: the events of organisations' members (once per organisation,
holder, body, cycle and kind), each subscription's alerts and the events each carries (once per
subscription and event), and the message that carries an alert in the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, exists, func, or_, select, update

from reminders.db import outbox, queueing, scope
from reminders.db.digests import Subscriber, subscribers
from reminders.db.engine import conflict_insert
from reminders.db.models import (
    AlertItem,
    AlertRecord,
    Holder,
    MessageRecord,
    Organisation,
    Subscription,
    Team,
    TeamEvent,
    TeamMember,
    Webhook,
)
from reminders.db.outbox import PENDING

# Events.


def holders_in_orgs(
    connection: Connection, org_pks: Sequence[int], after: int, batch: int
) -> list[int]:
    """Row ids of holders these organisations see (own, or have in a team), after `after`."""
    in_team = (
        select(TeamMember.holder_pk)
        .join(Team, Team.id == TeamMember.team_pk)
        .where(Team.org_pk.in_(org_pks))
    )
    query = (
        select(Holder.id)
        .where(Holder.id > after, or_(Holder.org_pk.in_(org_pks), Holder.id.in_(in_team)))
        .order_by(Holder.id)
        .limit(batch)
    )
    return list(connection.execute(query).scalars())


def wanting(connection: Connection) -> set[int]:
    """The organisations someone is told of events for: a subscription with alerts on (not
    paused), or a webhook not disabled. Only theirs are detected."""
    alerting = select(Subscription.org_pk).where(
        Subscription.alerts != "none", Subscription.paused.is_(False)
    )
    hooked = select(Webhook.org_pk).where(Webhook.disabled_at.is_(None))
    return set(connection.execute(alerting.union(hooked)).scalars())


def unwatch_except(connection: Connection, keep: set[int]) -> None:
    """Organisations nobody is told of any more are no longer watched: if someone is again,
    the first detection then is a baseline, and what happened meanwhile is not news."""
    connection.execute(
        update(Organisation)
        .where(Organisation.events_since.is_not(None), Organisation.id.not_in(keep))
        .values(events_since=None)
    )


def orgs_of(connection: Connection, holder_pks: Sequence[int]) -> dict[int, set[int]]:
    """The organisations that see each holder: its owner, and those with it in a team."""
    found: dict[int, set[int]] = {}
    owned = select(Holder.id, Holder.org_pk).where(
        Holder.id.in_(holder_pks), Holder.org_pk.is_not(None)
    )
    teams = (
        select(TeamMember.holder_pk, Team.org_pk)
        .join(Team, Team.id == TeamMember.team_pk)
        .where(TeamMember.holder_pk.in_(holder_pks))
    )
    for query in (owned, teams):
        for holder_pk, org_pk in connection.execute(query):
            if org_pk is not None:
                found.setdefault(holder_pk, set()).add(org_pk)
    return found


def unwatched(connection: Connection) -> set[int]:
    """Organisations whose events were never detected: their first detection is a baseline."""
    query = select(Organisation.id).where(Organisation.events_since.is_(None))
    return set(connection.execute(query).scalars())


def watch(connection: Connection, org_pks: Sequence[int], now: datetime) -> None:
    connection.execute(
        update(Organisation)
        .where(Organisation.id.in_(org_pks), Organisation.events_since.is_(None))
        .values(events_since=now)
    )


@dataclass(frozen=True, slots=True)
class NewEvent:
    org_pk: int
    holder_pk: int
    body: str
    cycle_end: date
    kind: str
    happened_on: date
    baseline: bool


def record_events(connection: Connection, found: Sequence[NewEvent], now: datetime) -> int:
    """Record the events not known yet (by their key); how many were new."""
    if not found:
        return 0
    rows = [
        {
            "org_pk": e.org_pk, "holder_pk": e.holder_pk, "body": e.body,
            "cycle_end": e.cycle_end, "kind": e.kind, "happened_on": e.happened_on,
            "baseline": e.baseline, "detected_at": now,
        }
        for e in found
    ]  # fmt: skip
    statement = (
        conflict_insert(connection, TeamEvent)
        .on_conflict_do_nothing(index_elements=["org_pk", "holder_pk", "body", "cycle_end", "kind"])
        .returning(TeamEvent.id)
    )
    return len(connection.execute(statement, rows).all())


# Subscriptions' alerts.


def alerting(connection: Connection) -> list[tuple[Subscriber, int | None]]:
    """The active subscriptions with alerts on, each with the event its alerts start after
    (None: not started yet)."""
    query = select(Subscription.id, Subscription.alerts_after).where(
        Subscription.alerts != "none", Subscription.paused.is_(False)
    )
    after: dict[int, int | None] = {pk: mark for pk, mark in connection.execute(query)}
    if not after:
        return []
    return [(s, after[s.id]) for s in subscribers(connection, ids=list(after))]


def start(connection: Connection, subscription: int) -> int:
    """Begin a subscription's alerts after the newest event: what was known before is not news."""
    newest = connection.execute(select(func.coalesce(func.max(TeamEvent.id), 0))).scalar_one()
    connection.execute(
        update(Subscription)
        .where(Subscription.id == subscription, Subscription.alerts_after.is_(None))
        .values(alerts_after=newest)
    )
    return int(newest)


def forget_stopped(connection: Connection) -> None:
    """Subscriptions whose alerts are off start afresh when they are turned on again."""
    connection.execute(
        update(Subscription)
        .where(Subscription.alerts == "none", Subscription.alerts_after.is_not(None))
        .values(alerts_after=None)
    )


def news(connection: Connection, subscriber: Subscriber, after: int) -> list[int]:
    """The events of the subscription's scope after `after`, neither baseline nor told it yet."""
    if subscriber.team_pk is not None:
        in_scope = select(TeamMember.holder_pk).where(TeamMember.team_pk == subscriber.team_pk)
    else:
        in_scope = scope.in_org(subscriber.org_pk)
    told = exists().where(
        AlertItem.subscription_pk == subscriber.id, AlertItem.event_pk == TeamEvent.id
    )
    query = (
        select(TeamEvent.id)
        .where(
            TeamEvent.org_pk == subscriber.org_pk,
            TeamEvent.id > after,
            TeamEvent.baseline.is_(False),
            TeamEvent.holder_pk.in_(in_scope),
            ~told,
        )
        .order_by(TeamEvent.id)
    )
    return list(connection.execute(query).scalars())


def waiting(connection: Connection, subscription: int) -> int | None:
    """The subscription's alert not yet sent and not taken by a sender, locked until the
    transaction ends so that no sender takes it meanwhile: new events join it."""
    query = (
        select(AlertRecord.id)
        .join(MessageRecord, MessageRecord.id == AlertRecord.message_pk)
        .where(AlertRecord.subscription_pk == subscription, MessageRecord.state.in_(PENDING))
        .order_by(AlertRecord.id.desc())
        .limit(1)
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(of=MessageRecord)
    return connection.execute(query).scalar_one_or_none()


def last_alert_at(connection: Connection, subscription: int) -> datetime | None:
    """When the subscription's newest alert that was not cancelled was queued."""
    query = select(func.max(AlertRecord.created_at)).where(
        AlertRecord.subscription_pk == subscription, AlertRecord.state != "cancelled"
    )
    found: datetime | None = connection.execute(query).scalar_one()
    return found


def create(connection: Connection, key: str, subscriber: Subscriber, now: datetime) -> int | None:
    """Queue an alert and its message; None (and nothing written) if its key was taken."""
    message = queueing.new_message(connection, subscriber.email, now)
    statement = (
        conflict_insert(connection, AlertRecord)
        .values(
            key=key,
            subscription_pk=subscriber.id,
            state="queued",
            message_pk=message,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(AlertRecord.id)
    )
    inserted = connection.execute(statement).scalar_one_or_none()
    if inserted is None:
        queueing.withdraw(connection, message)
    return inserted


def add_items(connection: Connection, subscription: int, alert: int, events: Sequence[int]) -> int:
    """Put events in an alert, each once per subscription; how many went in."""
    if not events:
        return 0
    statement = (
        conflict_insert(connection, AlertItem)
        .on_conflict_do_nothing(index_elements=["subscription_pk", "event_pk"])
        .returning(AlertItem.event_pk)
    )
    rows = [{"subscription_pk": subscription, "event_pk": e, "alert_pk": alert} for e in events]
    return len(connection.execute(statement, rows).all())


# What the outbox's sender needs.


@dataclass(frozen=True, slots=True)
class Item:
    event: int
    holder_pk: int
    body: str
    cycle_end: date
    kind: str
    happened_on: date


@dataclass(frozen=True, slots=True)
class StoredAlert:
    id: int
    key: str
    subscriber: Subscriber
    state: str
    items: tuple[Item, ...]


def of_messages(connection: Connection, messages: Sequence[int]) -> dict[int, StoredAlert]:
    """The alert each message carries, with its events not dropped; a message whose
    subscription was removed has none."""
    if not messages:
        return {}
    a = AlertRecord
    rows = connection.execute(
        select(a.message_pk, a.id, a.key, a.subscription_pk, a.state).where(
            a.message_pk.in_(messages)
        )
    ).all()
    if not rows:
        return {}
    e = TeamEvent
    items: dict[int, list[Item]] = {}
    query = (
        select(AlertItem.alert_pk, e.id, e.holder_pk, e.body, e.cycle_end, e.kind, e.happened_on)
        .join(e, e.id == AlertItem.event_pk)
        .where(AlertItem.alert_pk.in_([row[1] for row in rows]), AlertItem.dropped.is_(False))
        .order_by(e.id)
    )
    for alert_pk, event, holder_pk, body, cycle_end, kind, happened_on in connection.execute(query):
        items.setdefault(alert_pk, []).append(
            Item(event, holder_pk, body, cycle_end, kind, happened_on)
        )
    by_id = {s.id: s for s in subscribers(connection, ids=[row[3] for row in rows])}
    return {
        message: StoredAlert(pk, key, by_id[sub], state, tuple(items.get(pk, ())))
        for message, pk, key, sub, state in rows
        if message is not None
    }


def in_scope(connection: Connection, subscriber: Subscriber, holder_pks: Sequence[int]) -> set[int]:
    """Those of the holders the subscription's scope holds now."""
    if subscriber.team_pk is None:
        return scope.seen_by(connection, subscriber.org_pk, holder_pks)
    query = select(TeamMember.holder_pk).where(
        TeamMember.team_pk == subscriber.team_pk, TeamMember.holder_pk.in_(holder_pks)
    )
    return set(connection.execute(query).scalars())


def drop(connection: Connection, alert: int, events: Sequence[int]) -> None:
    """Events no longer true when their alert went: left out of it, and never told."""
    if events:
        connection.execute(
            update(AlertItem)
            .where(AlertItem.alert_pk == alert, AlertItem.event_pk.in_(events))
            .values(dropped=True)
        )


def finish(connection: Connection, messages: Sequence[int], state: str, now: datetime) -> None:
    """A delivery outcome, on the alerts the messages carry."""
    connection.execute(
        update(AlertRecord)
        .where(AlertRecord.message_pk.in_(messages), AlertRecord.state.in_(PENDING + ("sending",)))
        .values(state=state, updated_at=now)
    )


def cancel_pending(connection: Connection, subscription: int, now: datetime) -> int:
    """Cancel a subscription's alerts that have not gone out (paused, removed, alerts off)."""
    pending = [
        pk
        for pk in connection.execute(
            select(AlertRecord.message_pk).where(
                AlertRecord.subscription_pk == subscription,
                AlertRecord.state.in_(PENDING),
                AlertRecord.message_pk.is_not(None),
            )
        ).scalars()
        if pk is not None
    ]
    if not pending:
        return 0
    why = "the subscription's alerts were stopped, or it was paused or removed, before it went"
    outbox.cancel_messages(connection, pending, now, why)
    finish(connection, pending, "cancelled", now)
    return len(pending)


def set_alerts(connection: Connection, subscription: int, alerts: str, now: datetime) -> bool:
    """Choose a subscription's alerts; turning them off cancels those not yet sent."""
    changed = connection.execute(
        update(Subscription)
        .where(Subscription.id == subscription)
        .values(alerts=alerts, **({"alerts_after": None} if alerts == "none" else {}))
    ).rowcount
    if changed and alerts == "none":
        cancel_pending(connection, subscription, now)
    return bool(changed)
