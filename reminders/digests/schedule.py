"""When a subscription's digest is due: weekly on Monday at 08:00 or monthly on the 1st at
08:00, in the subscriber's time zone. Pure: the moment is handed in.

One function answers for every subscriber, so one digest job serves them all; zoneinfo
places 08:00 correctly on either side of a daylight-saving change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from reminders.words import day

SEND_AT = time(8, 0)
FREQUENCIES = ("weekly", "monthly")


@dataclass(frozen=True, slots=True)
class Period:
    frequency: str
    day: date
    """The local day the digest is due on (a Monday, or the 1st of a month)."""
    moment: datetime
    """08:00 local on that day, in UTC."""
    next_day: date
    """The day the next period's digest is due: this one is stale by then."""

    @property
    def label(self) -> str:
        """The period in the digest's key: 2026-W48 or 2026-12."""
        if self.frequency == "weekly":
            year, week, _ = self.day.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.day.year}-{self.day.month:02d}"

    @property
    def title(self) -> str:
        """How the digest names its period for people."""
        return title_of(self.label)


def _first_of_month(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _period(frequency: str, day: date, zone: ZoneInfo) -> Period:
    following = day + timedelta(days=7) if frequency == "weekly" else _first_of_month(day, 1)
    moment = datetime.combine(day, SEND_AT, zone).astimezone(UTC)
    return Period(frequency, day, moment, following)


def latest_period(frequency: str, zone: ZoneInfo, now: datetime) -> Period:
    """The newest period whose digest is due at `now` (08:00 local has passed on its day).
    After downtime this is the only one sent: the ones before it are stale."""
    if frequency not in FREQUENCIES:
        raise ValueError(f"unknown frequency {frequency!r}")
    if now.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    local = now.astimezone(zone)
    if frequency == "weekly":
        day = local.date() - timedelta(days=local.weekday())
        previous = day - timedelta(days=7)
    else:
        day = local.date().replace(day=1)
        previous = _first_of_month(day, -1)
    period = _period(frequency, day, zone)
    return period if period.moment <= now else _period(frequency, previous, zone)


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The last moment of a local day, in UTC: "as of this day" for the digests due on it."""
    return datetime.combine(day, time(23, 59, 59), zone).astimezone(UTC)


def title_of(label: str) -> str:
    """The people's name of a period from its label (2026-W48, 2026-12)."""
    if "-W" in label:
        year, week = label.split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
        return f"week of {day(monday)}"
    year, month = label.split("-")
    return f"{date(int(year), int(month), 1):%B %Y}"
