"""The scan's own tables: each run with the holders it left out, each holder's next review day
(notices/review.py: the daily tick looks at the holders whose day has come), the state of that
index (the rules it was computed with, the last day ticked), and the full scans shared by
instances with their ranges of holders (db/passes.py)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from reminders.db.base import ID_LENGTH, Base
from reminders.db.types import UTCDateTime


class ScanRun(Base):
    """One scan of the holders (the daemon's, `reminders send`'s), or a re-planning of changed
    holders that left some out: its figures, and the holders it could not plan with why."""

    __tablename__ = "scan_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    """daemon, send or changes."""
    as_of: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    holders: Mapped[int] = mapped_column(Integer)
    queued: Mapped[int] = mapped_column(Integer)
    left_out: Mapped[int] = mapped_column(Integer)
    left_out_detail: Mapped[str] = mapped_column(Text)
    """The first holders left out, one `holder_id: error` a line."""


class HolderReview(Base):
    """The first day a holder's statuses or due notices may change with no new records, as of
    the last time they were planned, and the fingerprint of the rules and ladder used."""

    __tablename__ = "holder_reviews"

    holder_pk: Mapped[int] = mapped_column(
        ForeignKey("holders.id", ondelete="CASCADE"), primary_key=True
    )
    review_on: Mapped[date] = mapped_column(Date, index=True)
    rules: Mapped[str] = mapped_column(String(16))


class ReviewIndex(Base):
    """One row: the rules fingerprint the reviews were computed with by the last full scan,
    and the last day a tick or full scan planned as of. A tick trusts the index only when both
    still hold (the same rules, no day missed); otherwise it runs a full scan."""

    __tablename__ = "review_index"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rules: Mapped[str] = mapped_column(String(16))
    planned_as_of: Mapped[date] = mapped_column(Date)


class ScanPass(Base):
    """A full scan as of one day, shared by every instance that runs it: cut into ranges of
    holder ids that each instance claims, plans and records a range at a time (db/passes.py)."""

    __tablename__ = "scan_passes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    rules: Mapped[str] = mapped_column(String(16))
    """The rules fingerprint (db/reviews.py) it plans with."""
    seen: Mapped[int] = mapped_column(Integer)
    """The newest change event when it began: it has seen those changes, done with at its end."""
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    """done, or abandoned (a pass of another day or other rules began before it was)."""


class ScanRange(Base):
    """The holders of a pass whose holder_id is in (after, through] (through None: no end): who
    claims it holds it until `lease_until`; done once its plans are recorded, in the same
    transaction, by the claim that still held it."""

    __tablename__ = "scan_ranges"
    __table_args__ = (UniqueConstraint("pass_pk", "ordinal"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pass_pk: Mapped[int] = mapped_column(ForeignKey("scan_passes.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    after: Mapped[str] = mapped_column(String(ID_LENGTH))
    through: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[str | None] = mapped_column(String(40))
    holders: Mapped[int] = mapped_column(Integer, default=0)
    queued: Mapped[int] = mapped_column(Integer, default=0)
