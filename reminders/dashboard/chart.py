"""The chart of deadlines over the next twelve months, drawn on the server as SVG: one bar a
month, stacked by status, with its count above it. A pure function of the lines and the day;
the page also gives the same figures as a table (for screen readers, and to copy)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from reminders.digests.content import LABELS, URGENCY, Line

MONTHS = 12
WIDTH, HEIGHT = 720, 260
"""The drawing's own units (viewBox): it scales to the width of the page."""
NARROW = 360
"""The width of the drawing a phone shows: scaled down from 720, its words would be too small
to read, so the page draws it twice and shows the one that fits (web/dashboard-team.html)."""
TOP, BOTTOM, LEFT, RIGHT = 24, 40, 8, 8
"""Room for the counts above the bars and the month names below them."""
BAR = 0.62
"""A bar's share of its month's width."""
FILLS = {
    "lapsed": "#7a271a",
    "overdue": "#d92d20",
    "behind": "#dc6803",
    "on_track": "#2e6fdb",
    "complete": "#039855",
}
"""Told apart by more than hue: the legend and the table name each; contrast ≥ 3:1 on white."""


@dataclass(frozen=True, slots=True)
class Segment:
    status: str
    count: int
    y: float
    height: float

    @property
    def fill(self) -> str:
        return FILLS[self.status]

    @property
    def label(self) -> str:
        return LABELS[self.status]


@dataclass(frozen=True, slots=True)
class Month:
    start: date
    total: int
    segments: tuple[Segment, ...]
    x: float
    width: float

    @property
    def label(self) -> str:
        """ "Jan": the year is written once, under its first month (Chart.years)."""
        return self.start.strftime("%b")

    def count(self, status: str) -> int:
        return sum(s.count for s in self.segments if s.status == status)

    @property
    def centre(self) -> float:
        return self.x + self.width / 2

    @property
    def top(self) -> float:
        return min((s.y for s in self.segments), default=HEIGHT - BOTTOM)


@dataclass(frozen=True)
class Chart:
    first: date
    months: tuple[Month, ...]
    statuses: tuple[str, ...]
    """The statuses present, most urgent first: the legend."""
    total: int
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - BOTTOM

    @property
    def years(self) -> tuple[tuple[int, float], ...]:
        """Where each year's months begin: the year is written under its first month."""
        return tuple(
            (m.start.year, m.centre)
            for i, m in enumerate(self.months)
            if i == 0 or m.start.month == 1
        )

    def legend(self) -> tuple[tuple[str, str], ...]:
        return tuple((LABELS[s], FILLS[s]) for s in self.statuses)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def deadline_chart(lines: Iterable[Line], as_of: date, width: int = WIDTH) -> Chart:
    """The cycles that end in this month and the eleven after it, by month and status (the
    overdue and lapsed cycles ended before: the counts above the chart have them), drawn
    `width` units wide."""
    first = as_of.replace(day=1)
    end = _add_months(first, MONTHS)
    counted: Counter[tuple[date, str]] = Counter()
    for line in lines:
        if first <= line.cycle_end < end:
            counted[(line.cycle_end.replace(day=1), line.status)] += 1
    totals = Counter[date]()
    for (month, _), n in counted.items():
        totals[month] += n
    tallest = max(totals.values(), default=0) or 1
    plot = HEIGHT - TOP - BOTTOM
    slot = (width - LEFT - RIGHT) / MONTHS
    months = []
    for i in range(MONTHS):
        start = _add_months(first, i)
        y = float(HEIGHT - BOTTOM)
        segments = []
        # Most urgent at the bottom, where the eye starts.
        for status in URGENCY:
            n = counted[(start, status)]
            if n:
                height = plot * n / tallest
                y -= height
                segments.append(Segment(status, n, round(y, 2), round(height, 2)))
        bar = slot * BAR
        x = LEFT + i * slot + (slot - bar) / 2
        months.append(Month(start, totals[start], tuple(segments), round(x, 2), round(bar, 2)))
    present = {status for _, status in counted}
    return Chart(
        first=first,
        months=tuple(months),
        statuses=tuple(s for s in URGENCY if s in present),
        total=sum(totals.values()),
        width=width,
    )
