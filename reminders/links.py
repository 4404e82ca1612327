"""The signed links in every mail: unsubscribe and preferences (/u/, /p/), the calendar feed
(/ics/) and the personal status page (/s/). Each token names one address and one list and expires; see reminders/tokens.py."""

from __future__ import annotations

from datetime import datetime, timedelta

from reminders.tokens import sign

UNSUBSCRIBE_VALID = timedelta(days=180)
CALENDAR_VALID = timedelta(days=3 * 365)
"""A calendar subscription is set up once and read for years; every notice carries a fresh link."""
STATUS_VALID = timedelta(days=365)
"""A status page is bookmarked; every notice carries a fresh link."""
NOTICES = "notices"
CALENDAR = "calendar"
STATUS = "status"


def digest_list(subscription: int) -> str:
    """The list an unsubscribe token of a digest names."""
    return f"digest:{subscription}"


def alert_list(subscription: int) -> str:
    """The list an unsubscribe token of an alert names: leaving it stops the alerts only."""
    return f"alerts:{subscription}"


def lead_list(team: int) -> str:
    """The list an unsubscribe token of a lead's copy names: that team's copies."""
    return f"lead:{team}"


def unsubscribe_url(
    base_url: str, secret: bytes, address: str, list_name: str, now: datetime
) -> str:
    return f"{base_url}/u/{sign(secret, address, list_name, now + UNSUBSCRIBE_VALID)}"


def calendar_url(base_url: str, secret: bytes, address: str, now: datetime) -> str:
    return f"{base_url}/ics/{sign(secret, address, CALENDAR, now + CALENDAR_VALID)}.ics"


def status_url(base_url: str, secret: bytes, address: str, now: datetime) -> str:
    return f"{base_url}/s/{sign(secret, address, STATUS, now + STATUS_VALID)}"


def preferences_url(base_url: str, secret: bytes, address: str, now: datetime) -> str:
    return f"{base_url}/p/{sign(secret, address, NOTICES, now + UNSUBSCRIBE_VALID)}"
