"""Date arithmetic of renewal cycles: pure, with inclusive windows [start, end]."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Window:
    start: date
    end: date

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 1 March in a year without one, so that
    a period begun on 29 February covers whole years up to 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day where it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def day_in_year(month: int, day: int, year: int) -> date:
    if day <= 28:  # every month has it: no calendar needed (the common case, and much faster)
        return date(year, month, day)
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True, slots=True)
class MembershipSchedule:
    """Cycles that end on one day of the year (a membership date) every `years` years, in the
    years whose remainder modulo `years` is `phase` (AAPC: odd months fall in odd years)."""

    month: int
    day: int
    years: int
    phase: int

    def cycle_containing(self, day: date) -> Window:
        year = day.year + (self.phase - day.year) % self.years
        end = day_in_year(self.month, self.day, year)
        if end < day:
            year += self.years
            end = day_in_year(self.month, self.day, year)
        previous = day_in_year(self.month, self.day, year - self.years)
        return Window(previous + ONE_DAY, end)


@dataclass(frozen=True, slots=True)
class AnchoredSchedule:
    """Cycles of `years` years from an anchor day (AHIMA: the day the exam was passed)."""

    anchor: date
    years: int

    def _start(self, index: int) -> date:
        return add_years(self.anchor, index * self.years)

    def cycle_containing(self, day: date) -> Window:
        # The cycle starting in the last cycle year up to day's year, unless that start is still
        # ahead of day in the same year: then the one before (which starts a cycle's years
        # earlier, so before day).
        index = (day.year - self.anchor.year) // self.years
        if self._start(index) > day:
            index -= 1
        return Window(self._start(index), self._start(index + 1) - ONE_DAY)


Schedule = MembershipSchedule | AnchoredSchedule


def cycle_before(schedule: Schedule, window: Window) -> Window:
    return schedule.cycle_containing(window.start - ONE_DAY)
