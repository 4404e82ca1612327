"""How dates read for people, in every mail, digest, page and calendar event: one style,
"November 30, 2026" (US English, as the certifying bodies write them). Files for programs
(CSV, JSON, iCalendar values) keep ISO dates."""

from __future__ import annotations

from datetime import date


def day(value: date | None) -> str:
    """November 30, 2026; "" for no date."""
    return "" if value is None else f"{value:%B} {value.day}, {value.year}"


def days(count: int) -> str:
    """1 day, 2 days."""
    return f"{count} day" if count == 1 else f"{count} days"


def when(days_left: int) -> str:
    """A due date's distance from today: in 28 days, tomorrow, today, yesterday, 534 days ago.
    Never "in 0 days" or "-534 days left"."""
    if days_left == 0:
        return "today"
    if days_left == 1:
        return "tomorrow"
    if days_left == -1:
        return "yesterday"
    return f"in {days(days_left)}" if days_left > 0 else f"{days(-days_left)} ago"
