"""The notices still to come for one evaluation, if nothing changes: their dates and what they
will say. Pure; the personal status page shows them. The same ladder as planning.py (with the
coder's preference applied, notices/preferences.py): deadline rungs before the due date, dues
rungs before a membership renewal, overdue rungs after the date missed, and the notice of lapse
the day after the last day before revocation. A behind-pace reminder has no fixed date: it is
said in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from reminders.notices.ladder import Ladder
from reminders.notices.planning import missed_on
from reminders.rules.results import Evaluation


@dataclass(frozen=True, order=True)
class Upcoming:
    on: date
    what: str


def upcoming(
    evaluation: Evaluation, ladder: Ladder, as_of: date, whose: str = "your"
) -> list[Upcoming]:
    """The dated notices after `as_of`, soonest first; `whose`: "their" for a page that speaks
    of the coder (the team dashboard)."""
    rungs = ladder.bodies.get(evaluation.body)
    if rungs is None:
        return []
    e = evaluation
    found: list[Upcoming] = []
    if e.status in ("on_track", "behind"):
        for days in rungs.before:
            found.append(Upcoming(e.cycle_end - timedelta(days=days),
                                  f"a reminder that {whose} {e.body} CEUs are due in {days} days"))  # fmt: skip
    if e.status == "overdue":
        missed = missed_on(e)
        for days in rungs.after:
            on = missed + timedelta(days=days)
            if on <= e.deadline:
                found.append(Upcoming(on, f"a notice that {whose} {e.body} credential is overdue"))
        revoked = e.deadline + timedelta(days=1)
        found.append(Upcoming(revoked, f"the notice that {e.body} revokes {whose} credential, "
                                       "if it is still not done"))  # fmt: skip
    if e.renews_on is not None:
        for days in rungs.dues_before:
            found.append(Upcoming(e.renews_on - timedelta(days=days),
                                  f"a reminder that {whose} {e.body} membership dues are due"))  # fmt: skip
    return sorted(u for u in found if u.on > as_of)


def behind_words(evaluation: Evaluation, ladder: Ladder, who: str = "you are") -> str | None:
    """While behind pace: how often a reminder of the pace comes."""
    if evaluation.status != "behind":
        return None
    every = ladder.shortfall_interval_days
    return f"while {who} behind pace, a reminder at most every {every} days"
