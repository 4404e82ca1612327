"""The store side of webhooks: an organisation's endpoints, the deliveries to each (a small
outbox of their own, with claims that expire, attempts and backoff), and the events each
delivery carries (once per endpoint and event)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, exists, func, insert, or_, select, update

from reminders.db import scope
from reminders.db.alerts import Item
from reminders.db.engine import conflict_insert
from reminders.db.models import (
    Organisation,
    TeamEvent,
    Webhook,
    WebhookDelivery,
    WebhookItem,
)

PENDING = ("queued", "retry")


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: int
    org_pk: int
    org: str
    url: str
    format: str
    sealed: str
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None
    failing_since: datetime | None
    events_after: int | None

    @property
    def state(self) -> str:
        """disabled, failing (retried until it has failed for a day) or active."""
        if self.disabled_at is not None:
            return "disabled"
        return "failing" if self.failing_since is not None else "active"


def _endpoints_query() -> Any:
    w = Webhook
    return (
        select(
            w.id,
            w.org_pk,
            Organisation.name,
            w.url,
            w.format,
            w.secret_sealed,
            w.created_at,
            w.disabled_at,
            w.disabled_reason,
            w.failing_since,
            w.events_after,
        )
        .join(Organisation, Organisation.id == w.org_pk)
        .order_by(w.id)
    )


def endpoints(
    connection: Connection, org_pk: int | None = None, active: bool = False
) -> list[Endpoint]:
    query = _endpoints_query()
    if org_pk is not None:
        query = query.where(Webhook.org_pk == org_pk)
    if active:
        query = query.where(Webhook.disabled_at.is_(None))
    return [Endpoint(*row) for row in connection.execute(query)]


def endpoint(connection: Connection, webhook: int) -> Endpoint | None:
    row = connection.execute(_endpoints_query().where(Webhook.id == webhook)).first()
    return None if row is None else Endpoint(*row)


def add(
    connection: Connection, org_pk: int, url: str, form: str, sealed: str, now: datetime
) -> int:
    """A new endpoint; its events start after the newest one: what was known is not news."""
    newest = connection.execute(select(func.coalesce(func.max(TeamEvent.id), 0))).scalar_one()
    return int(
        connection.execute(
            insert(Webhook)
            .values(
                org_pk=org_pk,
                url=url,
                format=form,
                secret_sealed=sealed,
                created_at=now,
                events_after=newest,
            )
            .returning(Webhook.id)
        ).scalar_one()
    )


def remove(connection: Connection, org_pk: int, webhook: int) -> bool:
    gone = connection.execute(
        delete(Webhook).where(Webhook.id == webhook, Webhook.org_pk == org_pk)
    ).rowcount
    return bool(gone)


def enable(connection: Connection, org_pk: int, webhook: int) -> bool:
    """Turn a disabled endpoint on again, from the events after now."""
    newest = connection.execute(select(func.coalesce(func.max(TeamEvent.id), 0))).scalar_one()
    changed = connection.execute(
        update(Webhook)
        .where(Webhook.id == webhook, Webhook.org_pk == org_pk)
        .values(disabled_at=None, disabled_reason=None, failing_since=None, events_after=newest)
    ).rowcount
    return bool(changed)


def news(connection: Connection, hook: Endpoint) -> list[int]:
    """The organisation's events after the endpoint began, neither baseline nor posted to it."""
    posted = exists().where(WebhookItem.webhook_pk == hook.id, WebhookItem.event_pk == TeamEvent.id)
    query = (
        select(TeamEvent.id)
        .where(
            TeamEvent.org_pk == hook.org_pk,
            TeamEvent.id > (hook.events_after or 0),
            TeamEvent.baseline.is_(False),
            TeamEvent.holder_pk.in_(scope.in_org(hook.org_pk)),
            ~posted,
        )
        .order_by(TeamEvent.id)
    )
    return list(connection.execute(query).scalars())


def waiting(connection: Connection, webhook: int) -> int | None:
    """The endpoint's delivery not yet taken by a sender (locked until the transaction ends)."""
    query = (
        select(WebhookDelivery.id)
        .where(WebhookDelivery.webhook_pk == webhook, WebhookDelivery.state == "queued")
        .order_by(WebhookDelivery.id.desc())
        .limit(1)
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    return connection.execute(query).scalar_one_or_none()


def queue(
    connection: Connection, webhook: int, events: Sequence[int], now: datetime
) -> tuple[int, int]:
    """Put the events in the endpoint's waiting delivery, or a new one: (delivery, events added)."""
    delivery = waiting(connection, webhook)
    if delivery is None:
        delivery = int(
            connection.execute(
                insert(WebhookDelivery)
                .values(webhook_pk=webhook, state="queued", attempts=0, created_at=now)
                .returning(WebhookDelivery.id)
            ).scalar_one()
        )
    statement = (
        conflict_insert(connection, WebhookItem)
        .on_conflict_do_nothing(index_elements=["webhook_pk", "event_pk"])
        .returning(WebhookItem.event_pk)
    )
    rows = [{"webhook_pk": webhook, "event_pk": e, "delivery_pk": delivery} for e in events]
    added = len(connection.execute(statement, rows).all()) if rows else 0
    return delivery, added


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    endpoint: Endpoint
    attempts: int
    items: tuple[Item, ...]
    """Its events not dropped."""


def claim(
    connection: Connection, now: datetime, lease: timedelta, limit: int, token: str
) -> list[Claimed]:
    """Take due deliveries of active endpoints for `lease`, under `token`."""
    d = WebhookDelivery
    due = and_(
        or_(d.state.in_(PENDING), and_(d.state == "sending", d.lease_until < now)),
        or_(d.next_attempt_at.is_(None), d.next_attempt_at <= now),
    )
    candidates = (
        select(d.id).join(Webhook, Webhook.id == d.webhook_pk)
        .where(due, Webhook.disabled_at.is_(None)).order_by(d.id).limit(limit)
    )  # fmt: skip
    if connection.dialect.name == "postgresql":
        candidates = candidates.with_for_update(of=d, skip_locked=True)
    ids = list(connection.execute(candidates).scalars())
    if not ids:
        return []
    taken = connection.execute(
        update(d).where(d.id.in_(ids), due)
        .values(state="sending", lease_until=now + lease, claim_token=token)
        .returning(d.id, d.webhook_pk, d.attempts)
    ).all()  # fmt: skip
    hooks = {hook.id: hook for hook in endpoints(connection)}
    e = TeamEvent
    items: dict[int, list[Item]] = {}
    query = (
        select(
            WebhookItem.delivery_pk, e.id, e.holder_pk, e.body, e.cycle_end, e.kind, e.happened_on
        )
        .join(e, e.id == WebhookItem.event_pk)
        .where(
            WebhookItem.delivery_pk.in_([row[0] for row in taken]), WebhookItem.dropped.is_(False)
        )
        .order_by(e.id)
    )
    for delivery, event, holder_pk, body, cycle_end, kind, happened_on in connection.execute(query):
        items.setdefault(delivery, []).append(
            Item(event, holder_pk, body, cycle_end, kind, happened_on)
        )
    return sorted(
        (
            Claimed(pk, hooks[hook], attempts, tuple(items.get(pk, ())))
            for pk, hook, attempts in taken
        ),
        key=lambda c: c.id,
    )


def drop(connection: Connection, delivery: int, events: Sequence[int]) -> None:
    if events:
        connection.execute(
            update(WebhookItem)
            .where(WebhookItem.delivery_pk == delivery, WebhookItem.event_pk.in_(events))
            .values(dropped=True)
        )


def finish(
    connection: Connection,
    delivery: int,
    token: str,
    state: str,
    now: datetime,
    status: int | None = None,
    error: str | None = None,
    next_attempt: datetime | None = None,
    attempted: bool = True,
) -> bool:
    """Record an outcome, if the claim `token` still holds the delivery."""
    d = WebhookDelivery
    values: dict[str, Any] = {
        "state": state, "lease_until": None, "last_status": status,
        "last_error": None if error is None else error[:500], "next_attempt_at": next_attempt,
    }  # fmt: skip
    if attempted:
        values["attempts"] = d.attempts + 1
    if state == "sent":
        values["sent_at"] = now
    done = connection.execute(
        update(d)
        .where(d.id == delivery, d.claim_token == token, d.state == "sending")
        .values(values)
    ).rowcount
    return bool(done)


def worked(connection: Connection, webhook: int) -> None:
    connection.execute(update(Webhook).where(Webhook.id == webhook).values(failing_since=None))


def failing(connection: Connection, webhook: int, now: datetime) -> datetime:
    """Note a failure; since when the endpoint has been failing."""
    connection.execute(
        update(Webhook)
        .where(Webhook.id == webhook, Webhook.failing_since.is_(None))
        .values(failing_since=now)
    )
    since = connection.execute(
        select(Webhook.failing_since).where(Webhook.id == webhook)
    ).scalar_one()
    return since if since is not None else now


def disable(connection: Connection, webhook: int, reason: str, now: datetime) -> None:
    """Stop an endpoint that keeps failing; its deliveries not yet sent fail with it."""
    connection.execute(
        update(Webhook).where(Webhook.id == webhook)
        .values(disabled_at=now, disabled_reason=reason[:500])
    )  # fmt: skip
    connection.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.webhook_pk == webhook, WebhookDelivery.state.in_(PENDING))
        .values(state="failed", last_error="the endpoint was disabled", lease_until=None)
    )


def disabled(connection: Connection, org_pk: int) -> list[Endpoint]:
    """The organisation's endpoints that were turned off for failing: every digest says so."""
    return [e for e in endpoints(connection, org_pk) if e.disabled_at is not None]


@dataclass(frozen=True, slots=True)
class Logged:
    id: int
    webhook: int
    url: str
    created_at: datetime
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    sent_at: datetime | None
    events: int


def log(
    connection: Connection, org_pk: int, limit: int = 50, webhook: int | None = None
) -> list[Logged]:
    """The organisation's (or one endpoint's) newest deliveries first."""
    d = WebhookDelivery
    events = (
        select(func.count())
        .where(WebhookItem.delivery_pk == d.id, WebhookItem.dropped.is_(False))
        .scalar_subquery()
    )
    query = (
        select(
            d.id,
            d.webhook_pk,
            Webhook.url,
            d.created_at,
            d.state,
            d.attempts,
            d.last_status,
            d.last_error,
            d.sent_at,
            events,
        )
        .join(Webhook, Webhook.id == d.webhook_pk)
        .where(Webhook.org_pk == org_pk)
        .order_by(d.id.desc())
        .limit(limit)
    )
    if webhook is not None:
        query = query.where(d.webhook_pk == webhook)
    return [Logged(*row) for row in connection.execute(query)]
