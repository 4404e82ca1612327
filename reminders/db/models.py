"""The tables. Natural keys from the import files are unique columns; joins use integer keys.

Naming: `holders.holder_id` is the holder's id in the employer's own records (the `holder_id` of
the CSV files and the JSON); child tables point at `holders.id` through a `holder_pk` column, so
the two never get mixed up. The same goes for `org_pk` and `team_pk`.

The tables of access (keys, sessions, rate limits, the audit log) are in models_access.py, the
scan's own (its runs, the next-review index) in models_scan.py, those of mail (notices, the
outbox, suppressions, bounces, preferences) in models_mail.py, and those of employers' digests,
alerts and webhooks in models_employers.py: all imported here, so that this module names every
table.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from reminders.db.base import (
    CODE_LENGTH,
    EMAIL_LENGTH,
    ID_LENGTH,
    NAME_LENGTH,
    TITLE_LENGTH,
    Base,
    holder_fk,
)
from reminders.db.models_access import (
    AdminToken,
    ApiKey,
    AuditEntry,
    RateLimit,
    UsedSignInLink,
    WebSession,
)
from reminders.db.models_employers import (
    AlertItem,
    AlertRecord,
    DigestRecord,
    TeamEvent,
    Webhook,
    WebhookDelivery,
    WebhookItem,
)
from reminders.db.models_mail import (
    BounceReport,
    MessageCopy,
    MessageRecord,
    NoticeRecord,
    Preference,
    SignInMailRecord,
    Suppression,
)
from reminders.db.models_scan import HolderReview, ReviewIndex, ScanPass, ScanRange, ScanRun
from reminders.db.types import Ceus, UTCDateTime

__all__ = [
    "CODE_LENGTH",
    "EMAIL_LENGTH",
    "ID_LENGTH",
    "NAME_LENGTH",
    "TITLE_LENGTH",
    "AdminToken",
    "AlertItem",
    "AlertRecord",
    "ApiKey",
    "AuditEntry",
    "Base",
    "BounceReport",
    "CeuRecord",
    "ChangeEvent",
    "Credential",
    "DigestRecord",
    "Holder",
    "HolderReview",
    "LeadCopy",
    "Membership",
    "MessageCopy",
    "MessageRecord",
    "NoticeRecord",
    "Organisation",
    "Preference",
    "RateLimit",
    "ReviewIndex",
    "ScanPass",
    "ScanRange",
    "ScanRun",
    "SelfReport",
    "SignInMailRecord",
    "Subscription",
    "Suppression",
    "Team",
    "TeamEvent",
    "TeamLead",
    "TeamMember",
    "UsedSignInLink",
    "WebSession",
    "Webhook",
    "WebhookDelivery",
    "WebhookItem",
]


class Holder(Base):
    """A credential holder. `org_pk` is the organisation that created them through the API, and
    their holder_id is unique within it; None for the operator's roster (the CSV imports),
    unique among those. Organisations may use the same ids without seeing one another's."""

    __tablename__ = "holders"
    __table_args__ = (
        UniqueConstraint("org_pk", "holder_id"),
        Index(
            "uq_holders_roster_holder_id",
            "holder_id",
            unique=True,
            sqlite_where=text("org_pk IS NULL"),
            postgresql_where=text("org_pk IS NULL"),
        ),
        Index("ix_holders_holder_id_id", "holder_id", "id"),  # scans go in this order
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_pk: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), nullable=True
    )
    holder_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    full_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH))
    timezone: Mapped[str | None] = mapped_column(String(64))


class Credential(Base):
    __tablename__ = "credentials"
    __table_args__ = (UniqueConstraint("holder_pk", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_pk: Mapped[int] = holder_fk()
    code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    body: Mapped[str] = mapped_column(String(CODE_LENGTH))
    earned_on: Mapped[date] = mapped_column(Date)


class Membership(Base):
    """What the certifying body's own portal shows for a holder."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("holder_pk", "body"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_pk: Mapped[int] = holder_fk()
    body: Mapped[str] = mapped_column(String(CODE_LENGTH))
    member_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    renews_on: Mapped[date | None] = mapped_column(Date)
    cycle_ends_on: Mapped[date | None] = mapped_column(Date)
    required_ceus: Mapped[Decimal | None] = mapped_column(Ceus)


class CeuRecord(Base):
    """One completed course or event.

    `natural_key` is the import key inside a holder: `i:<index number>` when the course has one
    (a course counts once), else `d:<completed_on>|<title>`.
    """

    __tablename__ = "ceu_records"
    __table_args__ = (
        UniqueConstraint("holder_pk", "natural_key"),
        Index("ix_ceu_records_holder_completed", "holder_pk", "completed_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_pk: Mapped[int] = holder_fk()
    natural_key: Mapped[str] = mapped_column(String(TITLE_LENGTH + 16))
    completed_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[Decimal] = mapped_column(Ceus)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    provider: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    index_number: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    # `;`-joined, sorted codes: the bodies that accept the CEU and its category tags.
    bodies: Mapped[str] = mapped_column(String(64))
    categories: Mapped[str] = mapped_column(String(TITLE_LENGTH), server_default="")


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    events_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When its members' events were first detected (alerts/service.py): what was true then is
    the baseline, recorded but never news."""
    escalate: Mapped[str] = mapped_column(String(16), server_default=text("'off'"))
    """Which of its members' notices its team leads get a copy of: off, final (the final rung
    before a due date, and the overdue and lapse notices) or overdue (escalation/policy.py)."""


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("org_pk", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_pk: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))


class TeamMember(Base):
    __tablename__ = "team_members"
    __table_args__ = (Index("ix_team_members_holder", "holder_pk"),)

    team_pk: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    holder_pk: Mapped[int] = mapped_column(
        ForeignKey("holders.id", ondelete="CASCADE"), primary_key=True
    )


class TeamLead(Base):
    """Someone told of a team's escalated notices (when the organisation escalates): a copy of
    each, in a mail of their own. `muted`: they used the copy's unsubscribe link."""

    __tablename__ = "team_leads"
    __table_args__ = (UniqueConstraint("team_pk", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_pk: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), nullable=False)
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH))
    name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    muted: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class LeadCopy(Base):
    """A message to a team lead carrying a copy of the notices of a holder's message (the
    original): once per original and lead, so a lead never gets one reminder twice."""

    __tablename__ = "lead_copies"
    __table_args__ = (UniqueConstraint("original_pk", "email"),)

    message_pk: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    original_pk: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    team_pk: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), nullable=False)
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH))


class Subscription(Base):
    """An employer's digest of one organisation (`team_pk` empty) or of one of its teams."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        # NULL never equals NULL in a unique constraint, so the whole-organisation subscriptions
        # get an index of their own.
        Index(
            "uq_subscriptions_team",
            "org_pk",
            "team_pk",
            "email",
            unique=True,
            sqlite_where=text("team_pk IS NOT NULL"),
            postgresql_where=text("team_pk IS NOT NULL"),
        ),
        Index(
            "uq_subscriptions_org",
            "org_pk",
            "email",
            unique=True,
            sqlite_where=text("team_pk IS NULL"),
            postgresql_where=text("team_pk IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_pk: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False
    )
    team_pk: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH))
    frequency: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    paused: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    alerts: Mapped[str] = mapped_column(String(16), server_default=text("'none'"))
    """none, daily or immediate: alerts of the events in its scope (alerts/service.py)."""
    alerts_after: Mapped[int | None] = mapped_column(Integer)
    """The newest event when its alerts began: older events were known before and are not
    alerted. Empty while its alerts are off (set by the first alert run after they start)."""


class ChangeEvent(Base):
    """A holder whose data changed; the daemon re-evaluates and re-plans them, then deletes it.

    Written in the same transaction as the change itself, so no change goes unnoticed.
    """

    __tablename__ = "change_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_pk: Mapped[int] = mapped_column(ForeignKey("holders.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SelfReport(Base):
    """A holder's word, from their status page or a notice's link, that they have submitted
    the cycle of one body ending on `cycle_end`: its reminders pause until `pause_until`
    (rules/facts.py Submitted). Once per holder, body and cycle: saying it again changes nothing."""

    __tablename__ = "self_reports"
    __table_args__ = (UniqueConstraint("holder_pk", "body", "cycle_end"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_pk: Mapped[int] = holder_fk()
    body: Mapped[str] = mapped_column(String(CODE_LENGTH))
    cycle_end: Mapped[date] = mapped_column(Date)
    reported_on: Mapped[date] = mapped_column(Date)
    pause_until: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
