"""The tables of what employers are sent: digests, the team events that alerts tell, the
alerts, and webhooks with their deliveries."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from reminders.db.base import CODE_LENGTH, Base, holder_fk
from reminders.db.types import UTCDateTime


class DigestRecord(Base):
    """One digest of one subscription for one period: its key (subscription + period) is
    unique, so a period's digest is queued once. `shown` keeps what the digest showed (the
    table of members, as JSON) for the next digest's "what changed"."""

    __tablename__ = "digests"
    __table_args__ = (
        Index("ix_digests_subscription", "subscription_pk", "id"),
        Index("ix_digests_message", "message_pk"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(96), unique=True)
    subscription_pk: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False
    )
    period: Mapped[str] = mapped_column(String(16))
    as_of: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))
    message_pk: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    previous_pk: Mapped[int | None] = mapped_column(ForeignKey("digests.id", ondelete="SET NULL"))
    shown: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TeamEvent(Base):
    """Something an employer is alerted to: a member of the organisation turned behind near a
    deadline, overdue or lapsed, for one body's cycle. Once per organisation, holder, body,
    cycle and kind (the key), whoever is told of it and however often it is seen. `baseline`:
    true when the organisation's events were first detected, so known already."""

    __tablename__ = "team_events"
    __table_args__ = (
        UniqueConstraint("org_pk", "holder_pk", "body", "cycle_end", "kind"),
        Index("ix_team_events_org", "org_pk", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_pk: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False
    )
    holder_pk: Mapped[int] = holder_fk()
    body: Mapped[str] = mapped_column(String(CODE_LENGTH))
    cycle_end: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    happened_on: Mapped[date] = mapped_column(Date)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    baseline: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class AlertRecord(Base):
    """One alert mail of one subscription: the events it carries are its items. Its key (the
    subscription and its day, or its quarter of an hour) is unique, so two instances queue it
    once."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_subscription", "subscription_pk", "id"),
        Index("ix_alerts_message", "message_pk"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(96), unique=True)
    subscription_pk: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False
    )
    state: Mapped[str] = mapped_column(String(16))
    message_pk: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertItem(Base):
    """An event in an alert: once per subscription and event, so no event is told twice.
    `dropped`: no longer true when the alert was sent, so left out of it."""

    __tablename__ = "alert_items"
    __table_args__ = (Index("ix_alert_items_alert", "alert_pk"),)

    subscription_pk: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), primary_key=True
    )
    event_pk: Mapped[int] = mapped_column(
        ForeignKey("team_events.id", ondelete="CASCADE"), primary_key=True
    )
    alert_pk: Mapped[int] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False
    )
    dropped: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class Webhook(Base):
    """An organisation's endpoint that its events are posted to (webhooks/), as Slack, Teams or
    JSON. Its secret signs each request and is kept encrypted under REMINDERS_SECRET_KEY. An
    endpoint failing for a day is disabled; `events_after`: the newest event when it began."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_pk: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False
    )
    url: Mapped[str] = mapped_column(String(2000))
    format: Mapped[str] = mapped_column(String(16))
    secret_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    events_after: Mapped[int | None] = mapped_column(Integer)


class WebhookDelivery(Base):
    """One request to an endpoint, carrying its items: an outbox of its own, with claims that
    expire, attempts and a next attempt."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_state", "state", "next_attempt_at"),
        Index("ix_webhook_deliveries_webhook", "webhook_pk", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webhook_pk: Mapped[int] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False
    )
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookItem(Base):
    """An event in a delivery: once per endpoint and event, so none is posted twice."""

    __tablename__ = "webhook_items"
    __table_args__ = (Index("ix_webhook_items_delivery", "delivery_pk"),)

    webhook_pk: Mapped[int] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), primary_key=True
    )
    event_pk: Mapped[int] = mapped_column(
        ForeignKey("team_events.id", ondelete="CASCADE"), primary_key=True
    )
    delivery_pk: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False
    )
    dropped: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
