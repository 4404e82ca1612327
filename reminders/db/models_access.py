"""The tables of access and of the operators' records: organisations' API keys and operators'
tokens, browser sessions and used sign-in links, rate limits, and the audit log of changes made
by hand."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from reminders.db.base import EMAIL_LENGTH, Base
from reminders.db.types import UTCDateTime


class AuditEntry(Base):
    """A change an operator made by hand (a suppression lifted, say): who, what, when, why."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(String(500))


class ApiKey(Base):
    """An organisation's API key: only its SHA-256 is kept (the key itself is shown once), with
    a short prefix to tell keys apart in listings."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_pk: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    prefix: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A signed-in browser of the team dashboard (`kind` dashboard) or, later, the operators'
    page: only the SHA-256 of its cookie is kept, with the secret its forms carry against
    cross-site requests (web/sessions.py)."""

    __tablename__ = "web_sessions"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class UsedSignInLink(Base):
    """A mailed sign-in link that was used: its nonce's SHA-256 is unique, so a link signs in
    once. Kept until the link would have expired anyway."""

    __tablename__ = "used_sign_in_links"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class RateLimit(Base):
    """A token bucket of the API's rate limits (web/limits.py), kept in the database so that
    several web instances enforce one limit. `stamp` is seconds since the epoch."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    stamp: Mapped[float] = mapped_column(Float, index=True)
    allowed: Mapped[bool] = mapped_column(Boolean)
    """Whether the request that last touched the bucket was let through."""


class AdminToken(Base):
    """An operator's sign-in token for /admin (`reminders admin token create`): only its SHA-256
    is kept (the token is shown once), with a prefix and a label to tell tokens apart."""

    __tablename__ = "admin_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
