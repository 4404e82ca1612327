"""How dates read for people, in every mail, digest, page and calendar event: one style,
"November 30, 2026" (US English, as the certifying bodies write them). Files for programs
(CSV, JSON, iCalendar values) keep ISO dates."""

from __future__ import annotations

from datetime import date


def day(value: date | None) -> str:
    """November 30, 2026; "" for no date."""
    return "" if value is None else f"{value:%B} {value.day}, {value.year}"
