"""The pace rule of interfaces.md: `behind` is more than a month behind a steady pace, and never
in the first 90 days of a cycle; both numbers are settings. Each figure is worked by hand."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reminders.rules.evaluate import evaluate
from reminders.rules.pace import Pace
from tests.rules_helpers import RULES, cents, ceu, cred, d, holder, member, only

# An AAPC cycle of 730 days (2025-04-01 to 2027-03-31), 36 CEUs for a CPC.
START, END = d("2025-04-01"), d("2027-03-31")


def test_inside_the_grace_period_nobody_is_behind() -> None:
    pace = Pace()
    # Day 89: nothing earned, still on track; day 90: 36 x (90 - 30)/730 = 2.96 CEUs expected.
    assert pace.status(0, cents(36), START, END, d("2025-06-29")) == "on_track"
    assert pace.status(0, cents(36), START, END, d("2025-06-30")) == "behind"
    assert pace.expected(cents(36), START, END, d("2025-06-30")) == pytest.approx(295.9, abs=0.1)


def test_a_month_of_slack_below_the_straight_line() -> None:
    pace = Pace()
    # Day 365 (2026-04-01): the straight line is 36 x 365/730 = 18; less a month of slack,
    # 36 x 335/730 = 16.52. 17.6 (0.4 under the line) is on track; 16.5 is behind.
    day = d("2026-04-01")
    assert pace.status(cents(17.6), cents(36), START, END, day) == "on_track"
    assert pace.status(cents(16.6), cents(36), START, END, day) == "on_track"
    assert pace.status(cents(16.5), cents(36), START, END, day) == "behind"


def test_no_slack_and_no_grace_is_the_straight_line() -> None:
    pace = Pace(slack_days=0, grace_days=0)
    # Day 30: 36 x 30/730 = 1.48.
    assert pace.status(cents(1.4), cents(36), START, END, d("2025-05-01")) == "behind"
    assert pace.status(cents(1.5), cents(36), START, END, d("2025-05-01")) == "on_track"


def test_a_new_cycle_with_nothing_yet_is_on_track_for_its_first_90_days() -> None:
    """The case of issue 20: 20 days into a new cycle with no CEUs was `behind`, with a
    'behind pace' mail and 'newly behind, 727 days left' in the digest."""
    facts = holder([cred("CPC", "2015-01-10")], [ceu("2024-06-01", 36)], AAPC=member("2026-03-31"))
    assert only(facts, "2025-04-21").status == "on_track"
    assert only(facts, "2025-06-29").status == "on_track"
    assert only(facts, "2025-06-30").status == "behind"


def test_the_grace_period_counts_from_a_certification_inside_the_cycle() -> None:
    # Certified 2026-01-15 inside the cycle: its own pace starts then (day 60 on 2026-03-16).
    facts = holder([cred("CPC", "2026-01-15")], AAPC=member("2027-03-31"))
    assert only(facts, "2026-03-16").status == "on_track"
    assert only(facts, "2026-06-01").status == "behind"


def test_the_settings_reach_the_rules() -> None:
    facts = holder([cred("CPC", "2015-01-10")], [ceu("2024-06-01", 36)], AAPC=member("2026-03-31"))
    strict = replace(RULES, pace=Pace(slack_days=0, grace_days=0))
    [evaluation], _ = evaluate(facts, strict, d("2025-04-21"))
    assert evaluation.status == "behind"


def test_the_app_takes_the_pace_from_its_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from reminders.app import App
    from reminders.settings import load_settings

    monkeypatch.setenv("REMINDERS_PACE_SLACK_DAYS", "10")
    monkeypatch.setenv("REMINDERS_PACE_GRACE_DAYS", "0")
    assert App(load_settings()).rulebook.pace == Pace(slack_days=10, grace_days=0)


@pytest.mark.parametrize(
    ("remaining", "days_left", "per_month"),
    [
        # Worked by hand: a month is 30.4375 days (365.25 / 12); less than a month left asks
        # for all of it; the figure is rounded up to the cent.
        (cents(18.5), 304, 186),  # 304 days = 9.988 months: 1850 / 9.988 = 185.2 → 186
        (cents(12), 365, 101),  # 11.992 months: 1200 / 11.992 = 100.07 → 101
        (cents(12), 31, 1179),  # 1.018 months: 1200 / 1.018 = 1178.2 → 1179
        (cents(12), 30, 1200),  # under a month: all of it this month
        (cents(12), 0, 1200),  # due today: all of it
        (cents(12), -1, None),  # the cycle has ended: no pace to keep
        (0, 200, None),  # nothing remains
    ],
)
def test_the_pace_per_month_is_what_remains_over_the_months_left(
    remaining: int, days_left: int, per_month: int | None
) -> None:
    evaluation = replace(
        only(holder([cred("CPC", "2015-01-10")], AAPC=member("2027-03-31")), "2026-11-24"),
        remaining=remaining,
        days_left=days_left,
    )
    assert evaluation.pace_per_month == per_month


def test_a_slack_longer_than_the_grace_asks_for_nothing_until_it_is_used() -> None:
    pace = Pace(slack_days=60, grace_days=0)
    # Day 30: 30 - 60 days of slack is less than none: nothing expected, on track with 0.
    assert pace.expected(cents(36), START, END, d("2025-05-01")) == 0
    assert pace.status(0, cents(36), START, END, d("2025-05-01")) == "on_track"
    # Day 61: 36 x 1/730 = 0.05 expected.
    assert pace.status(0, cents(36), START, END, d("2025-06-01")) == "behind"
