"""How mail goes out: who sends it, the links it carries, how much a day, how often it is
retried, when it may arrive and how long a sender's claim on it lasts. Plain values, read by
the notice and digest senders alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class MailSettings:
    mail_from: str
    base_url: str
    secret: bytes
    daily_cap: int
    max_attempts: int
    retry_seconds: int
    timezone: str = "America/New_York"
    send_window: tuple[time, time] | None = None
    """Local hours (in the holder's time zone) mail may go out in; None: any time."""
    unsubscribe_mailto: str | None = None
    lease_seconds: int = 300
    """How long a claim lasts: a sender that dies leaves its messages to others after that."""
    pause_after: int = 10
    """A pass stops after this many failures in a row with nothing accepted between them."""
    bounce_domain: str | None = None
    """Where bounces come back: each message's envelope sender names it (mail/bounces.py)."""
    alert_interval_minutes: int = 15
    """Immediate employer alerts: at most one mail per subscriber per this many minutes."""

    def window_opens(self, zone: str | None, now: datetime) -> datetime | None:
        """When the send window opens next in a time zone (None: the default zone), if it is
        closed now."""
        window = self.send_window
        if window is None:
            return None
        local = now.astimezone(ZoneInfo(zone or self.timezone))
        start, end = window
        if start <= local.time() < end:
            return None
        day = local.date() if local.time() < start else local.date() + timedelta(days=1)
        return datetime.combine(day, start, local.tzinfo).astimezone(UTC)
