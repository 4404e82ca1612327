"""Cycle date arithmetic, with the awkward rows: month ends, 29 February, year boundaries."""

from __future__ import annotations

import pytest

from reminders.rules.cycles import (
    AnchoredSchedule,
    MembershipSchedule,
    add_months,
    add_years,
    cycle_before,
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
