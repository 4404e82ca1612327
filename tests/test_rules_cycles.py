"""Cycle date arithmetic, with the awkward rows: month ends, 29 February, year boundaries."""

from __future__ import annotations

import calendar
from datetime import date

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from reminders.rules.cycles import (
    ONE_DAY,
    AnchoredSchedule,
    MembershipSchedule,
    add_months,
    add_years,
    cycle_before,
    day_in_year,
)
from tests.rules_helpers import d


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        ("2024-02-29", 2, "2026-03-01"),  # no 29 February in 2026: the day after 28 February
        ("2024-02-29", 4, "2028-02-29"),
        ("2023-05-11", 2, "2025-05-11"),
        ("2025-12-31", 1, "2026-12-31"),
    ],
)
def test_add_years(day: str, years: int, expected: str) -> None:
    assert add_years(d(day), years) == d(expected)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2019-05-31", 3, "2019-08-31"),
        ("2019-11-30", 3, "2020-02-29"),  # shorter month: its last day
        ("2021-11-30", 3, "2022-02-28"),
        ("2020-12-31", 2, "2021-02-28"),
    ],
)
def test_add_months(day: str, months: int, expected: str) -> None:
    assert add_months(d(day), months) == d(expected)


# (month, day, phase): odd months fall due in odd years (phase 1), even months in even years.
@pytest.mark.parametrize(
    ("schedule", "day", "start", "end"),
    [
        ((3, 31, 1), "2026-11-24", "2025-04-01", "2027-03-31"),
        ((3, 31, 1), "2027-03-31", "2025-04-01", "2027-03-31"),  # the due date itself
        ((3, 31, 1), "2027-04-01", "2027-04-01", "2029-03-31"),
        ((12, 31, 0), "2026-11-24", "2025-01-01", "2026-12-31"),
        ((12, 31, 0), "2027-01-01", "2027-01-01", "2028-12-31"),
        ((2, 31, 0), "2026-11-24", "2026-03-01", "2028-02-29"),  # month end: 29 February 2028
        ((2, 31, 0), "2026-02-28", "2024-03-01", "2026-02-28"),
        ((1, 15, 1), "2027-01-16", "2027-01-16", "2029-01-15"),  # mid-month date
    ],
)
def test_membership_schedule(
    schedule: tuple[int, int, int], day: str, start: str, end: str
) -> None:
    month, month_day, phase = schedule
    window = MembershipSchedule(month, month_day, 2, phase).cycle_containing(d(day))
    assert (window.start, window.end) == (d(start), d(end))


@pytest.mark.parametrize(
    ("anchor", "day", "start", "end"),
    [
        ("2023-05-11", "2023-05-11", "2023-05-11", "2025-05-10"),
        ("2023-05-11", "2025-05-10", "2023-05-11", "2025-05-10"),
        ("2023-05-11", "2025-05-11", "2025-05-11", "2027-05-10"),
        ("2023-05-11", "2026-11-24", "2025-05-11", "2027-05-10"),
        ("2024-02-29", "2026-02-28", "2024-02-29", "2026-02-28"),
        ("2024-02-29", "2026-03-01", "2026-03-01", "2028-02-28"),
        ("2024-02-29", "2028-02-29", "2028-02-29", "2030-02-28"),
        ("2016-08-30", "2026-11-24", "2026-08-30", "2028-08-29"),
    ],
)
def test_anchored_schedule(anchor: str, day: str, start: str, end: str) -> None:
    window = AnchoredSchedule(d(anchor), 2).cycle_containing(d(day))
    assert (window.start, window.end) == (d(start), d(end))


def test_the_cycle_before() -> None:
    schedule = MembershipSchedule(3, 31, 2, 1)
    current = schedule.cycle_containing(d("2026-11-24"))
    previous = cycle_before(schedule, current)
    assert (previous.start, previous.end) == (d("2023-04-01"), d("2025-03-31"))
    assert previous.days == 731  # 2024 has a 29 February


# Properties: the rules of cycles stated once, checked on any day (hypothesis), so that a
# comparison one off at a boundary (a cycle's first or last day, 28/29 February) is caught.

DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
SCHEDULES = st.one_of(
    st.builds(
        MembershipSchedule,
        month=st.integers(1, 12),
        day=st.integers(1, 31),
        years=st.integers(1, 3),
        phase=st.integers(0, 2),
    ).filter(lambda s: s.phase < s.years),
    st.builds(
        AnchoredSchedule,
        anchor=st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)),
        years=st.integers(1, 3),
    ),
)


@given(schedule=SCHEDULES, day=DAYS)
def test_a_day_lies_in_exactly_one_cycle_and_the_cycles_tile(
    schedule: MembershipSchedule | AnchoredSchedule, day: date
) -> None:
    window = schedule.cycle_containing(day)
    assert window.start <= day <= window.end
    assert day in window
    for inside in (window.start, window.end):
        assert inside in window
        assert schedule.cycle_containing(inside) == window
    assert window.start - ONE_DAY not in window and window.end + ONE_DAY not in window
    before = cycle_before(schedule, window)
    assert before.end + ONE_DAY == window.start
    after = schedule.cycle_containing(window.end + ONE_DAY)
    assert after.start == window.end + ONE_DAY
    assert window.days == (window.end - window.start).days + 1
    # A cycle lasts its years, give or take the days a 29 February moves its ends.
    assert abs(window.days - 365.25 * schedule.years) <= 3


@given(schedule=SCHEDULES, day=DAYS)
def test_a_cycle_ends_on_its_schedules_day(
    schedule: MembershipSchedule | AnchoredSchedule, day: date
) -> None:
    window = schedule.cycle_containing(day)
    if isinstance(schedule, MembershipSchedule):
        last = calendar.monthrange(window.end.year, schedule.month)[1]
        assert (window.end.month, window.end.day) == (schedule.month, min(schedule.day, last))
        assert window.end.year % schedule.years == schedule.phase
    else:
        cycles, left = divmod(window.start.year - schedule.anchor.year, schedule.years)
        assert left == 0
        assert window.start == add_years(schedule.anchor, cycles * schedule.years)
        assert window.end == add_years(schedule.anchor, (cycles + 1) * schedule.years) - ONE_DAY


@given(month=st.integers(1, 12), day=st.integers(1, 31), year=st.integers(1990, 2090))
@example(month=2, day=29, year=2025)  # a membership date of 29 February, in a common year
@example(month=2, day=29, year=2028)
@example(month=4, day=31, year=2025)
def test_a_day_of_the_year_is_the_months_last_where_the_month_is_shorter(
    month: int, day: int, year: int
) -> None:
    last = calendar.monthrange(year, month)[1]
    assert day_in_year(month, day, year) == date(year, month, min(day, last))


@given(day=DAYS, years=st.integers(-5, 5))
def test_adding_years_keeps_the_day_or_moves_29_february_to_1_march(day: date, years: int) -> None:
    moved = add_years(day, years)
    if (day.month, day.day) == (2, 29) and not calendar.isleap(day.year + years):
        assert moved == date(day.year + years, 3, 1)
    else:
        assert (moved.year, moved.month, moved.day) == (day.year + years, day.month, day.day)


@given(day=DAYS, months=st.integers(-30, 30))
def test_adding_months_keeps_the_day_or_takes_the_months_last(day: date, months: int) -> None:
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day == min(day.day, calendar.monthrange(moved.year, moved.month)[1])
