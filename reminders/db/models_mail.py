"""The mail side of the tables: the notices planned, the outbox of messages that carry them,
copies of what was sent, and what governs sending: suppressed addresses, bounce reports, each
address's preference. models.py imports them all, so that it names every table."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from reminders.db.base import CODE_LENGTH, EMAIL_LENGTH, ID_LENGTH, Base
from reminders.db.types import UTCDateTime


class NoticeRecord(Base):
    """A notice planned for a holder: its key is unique, so it is planned, sent or skipped once.

    States: queued, sending, sent, retry, failed, expired, cancelled (with their message), or
    skipped (never sent: a more urgent rung of the same kind went out instead).
    """

    __tablename__ = "notices"
    __table_args__ = (
        Index("ix_notices_holder", "holder_pk"),
        # Each delivery outcome updates its message's notices: without it, a scan of them all.
        Index("ix_notices_message", "message_pk"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(ID_LENGTH + 96), unique=True)
    holder_pk: Mapped[int] = mapped_column(ForeignKey("holders.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(String(CODE_LENGTH))
    kind: Mapped[str] = mapped_column(String(16))
    rung: Mapped[str] = mapped_column(String(16))
    cycle_end: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))
    message_pk: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MessageRecord(Base):
    """The outbox: one mail to one holder, carrying every notice due for them in one run, or
    one employer digest."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_state_next", "state", "next_attempt_at"),
        Index("ix_messages_address_sent", "to_address", "sent_at"),  # the daily cap
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_pk: Mapped[int | None] = mapped_column(ForeignKey("holders.id", ondelete="CASCADE"))
    """The holder a notice mail goes to; empty for a digest (its `digests` row says whose)."""
    to_address: Mapped[str] = mapped_column(String(EMAIL_LENGTH))
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    """Which claim holds (or last held) the message: an outcome is recorded only by it."""
    last_error: Mapped[str | None] = mapped_column(String(500))
    """The mail server's last answer to a try that failed."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When it reached a final state: sent, failed, cancelled or expired."""
    reason: Mapped[str | None] = mapped_column(String(300))
    """Why it was not sent, in words, when the service decided so (cancelled, expired, or
    failed without a try: a suppressed address)."""


class MessageCopy(Base):
    """What a sent message said: its headers and text part, compressed (zlib), so that an
    operator can show what went out (`reminders mail show`). Pruned with its message."""

    __tablename__ = "message_copies"

    message_pk: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    compressed: Mapped[bytes] = mapped_column(LargeBinary)


class SignInMailRecord(Base):
    """A message with a sign-in link (to the team dashboard or the operators' page): sent at
    once by the web process, never queued, and kept in the outbox's table only so that the
    mail log shows it beside the rest. It does not count toward the daily cap."""

    __tablename__ = "sign_in_mails"

    message_pk: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    page: Mapped[str] = mapped_column(String(16))
    """What the link opens: dashboard or admin."""


class Suppression(Base):
    """An address no mail goes to: refused for good by the mail server (`refused`), bouncing
    after it accepted the mail (`bounce`), or whose owner reported our mail as spam
    (`complaint`). An import that changes the holder lifts the first two: the address may have
    been corrected. A complaint stays: only a new address gets mail again."""

    __tablename__ = "suppressions"

    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH), primary_key=True)
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16), server_default=text("'refused'"))


class BounceReport(Base):
    """Each report read from the bounce mailbox or a provider's webhook, once: its id (the
    report's Message-ID, a digest of its bytes, or the provider's event id) is unique, so a
    report read again changes nothing. `kind` is hard, soft, complaint, ignored or unmatched."""

    __tablename__ = "bounce_reports"
    __table_args__ = (Index("ix_bounce_reports_address", "address", "kind", "received_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[str] = mapped_column(String(255), unique=True)
    source: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    message_pk: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    address: Mapped[str | None] = mapped_column(String(EMAIL_LENGTH))
    status: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Preference(Base):
    """How much mail an address wants (set from the preference page its links open): `all`,
    `fewer`, or `final`. No row: all."""

    __tablename__ = "preferences"

    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH), primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
