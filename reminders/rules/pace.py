"""When a cycle that is not yet complete counts as `behind` (interfaces.md, `status`).

Behind means more than a month behind a steady pace: fewer CEUs than the requirement times
(days elapsed − `slack_days`) over the cycle's days. Never in the first `grace_days` of a
cycle: nobody is told they are behind for a fraction of a CEU, or weeks after a cycle starts,
when nobody has had the time to earn anything. Both are settings (REMINDERS_PACE_SLACK_DAYS,
REMINDERS_PACE_GRACE_DAYS); docs/rules.md has a worked example.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Pace:
    slack_days: int = 30
    grace_days: int = 90

    def expected(self, required: int, start: date, end: date, as_of: date) -> float:
        """The CEUs (in the evaluation's units) a steady pace asks for by `as_of`, less the
        slack; 0 inside the grace period."""
        elapsed = (as_of - start).days
        if elapsed < self.grace_days:
            return 0.0
        cycle_days = (end - start).days + 1
        return required * max(0, elapsed - self.slack_days) / cycle_days

    def status(self, earned: int, required: int, start: date, end: date, as_of: date) -> str:
        """`on_track` or `behind`, for a cycle from `start` to `end` that is not complete."""
        return "behind" if earned < self.expected(required, start, end, as_of) else "on_track"
