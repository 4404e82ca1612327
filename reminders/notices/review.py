"""The next day a holder needs looking at: the first day after today on which, with no change to
their records, their status with a body or the notices due to them may differ from today's.
Pure. The daily tick of the scan redesign (issue 14) evaluates only the holders whose day has
come, and those whose records changed; a full scan remains for what no day foretells (a new
rule file, a changed ladder, days the daemon missed).

A day comes from each thing that moves with the calendar alone:
- dates in the records themselves that lie ahead: a credential earned, a CEU completed, a
  membership renewed or a stated cycle end (whatever they change, they change it then);
- each evaluation's cycle end and the end of the window before revocation (the day after each:
  overdue, lapsed, a new cycle), the end of the cycle running (an evaluation of the one before
  gives way to it), the membership renewal, and the end of a self-report's pause;
- the notice ladder's rungs still ahead: before the due date, after it, before the dues (none
  while a self-report pauses the reminders: its end is the day);
- while behind pace, the end of the interval since the last shortfall reminder (or the
  deadline reminder standing in for it);
- while on track, the day the pace turns behind with no new CEUs (the pace only ever asks more
  as the days pass, so that day is found by bisection over Pace.status itself).

And at most REVIEW_WITHIN days ahead: a bound on what a missed kind of day could cost.
tests/test_review.py checks, over generated holders and a year of days, that no day before the
one given changes a status or makes a notice due.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta

from reminders.notices.ladder import Ladder
from reminders.notices.planning import Known, Plan, missed_on, notice_key, paused
from reminders.rules import holding
from reminders.rules.facts import HolderFacts
from reminders.rules.loader import Rulebook
from reminders.rules.pace import Pace
from reminders.rules.results import Evaluation

REVIEW_WITHIN = 92
"""Days at most between two looks at a holder, whatever their dates say."""
ONE_DAY = timedelta(days=1)


def next_review(
    facts: HolderFacts,
    evaluations: Iterable[Evaluation],
    ladder: Ladder,
    known: Mapping[str, Known],
    rulebook: Rulebook,
    as_of: date,
    holdings: Sequence[holding.Holding] | None = None,
) -> date:
    """The first day after `as_of` on which the holder's statuses or due notices may change,
    given the notices known once `as_of`'s plan is recorded; `ladder` as the holder's
    preference has it; `holdings` (holding.holdings of the facts on `as_of`) if known."""
    if holdings is None:
        holdings = holding.holdings(facts, rulebook, as_of)
    days = list(_in_the_records(facts))
    # The day after each running cycle ends: an evaluation may be of the cycle before (ended
    # unmet), which the running one's end replaces.
    days += [held.current.end + ONE_DAY for held in holdings if held.current is not None]
    for evaluation in evaluations:
        days += _of_the_evaluation(evaluation, rulebook.pace, as_of)
        days += _of_the_ladder(evaluation, ladder, known, as_of)
    latest = as_of + timedelta(days=REVIEW_WITHIN)
    return min([day for day in days if as_of < day < latest], default=latest)


def after_plan(
    facts: HolderFacts,
    evaluations: Iterable[Evaluation],
    ladder: Ladder,
    known: Mapping[str, Known],
    planned: Plan,
    rulebook: Rulebook,
    as_of: date,
    holdings: Sequence[holding.Holding] | None = None,
) -> date:
    """next_review once `planned` (as_of's plan) is recorded: its notices known as of today."""
    told = dict(known)
    told.update((n.key, Known(n.key, as_of)) for n in (*planned.due, *planned.skipped))
    return next_review(facts, evaluations, ladder, told, rulebook, as_of, holdings)


def _in_the_records(facts: HolderFacts) -> Iterable[date]:
    for credential in facts.credentials:
        yield credential.earned_on
    for ceu in facts.ceus:
        yield ceu.completed_on
    for membership in facts.memberships.values():
        for day in (membership.renews_on, membership.cycle_ends_on):
            if day is not None:
                yield day
                yield day + ONE_DAY


def _of_the_evaluation(e: Evaluation, pace: Pace, as_of: date) -> list[date]:
    days = [e.cycle_end + ONE_DAY, e.deadline + ONE_DAY]
    if e.renews_on is not None:
        days += [e.renews_on, e.renews_on + ONE_DAY]
    if e.unrenewed is not None:
        days.append(e.unrenewed + ONE_DAY)
    if e.submitted is not None:
        days.append(e.submitted.pause_until)
    if e.status == "on_track":
        behind = _turns_behind(e, pace, as_of)
        if behind is not None:
            days.append(behind)
    return days


def _turns_behind(e: Evaluation, pace: Pace, as_of: date) -> date | None:
    """The first day after `as_of`, within the cycle, on which the pace calls `e` behind."""

    def behind(day: date) -> bool:
        return pace.status(e.earned, e.required, e.cycle_start, e.cycle_end, day) == "behind"

    low, high = as_of, e.cycle_end  # not behind on `low`; the answer is in (low, high]
    if high <= low or not behind(high):
        return None
    while (high - low).days > 1:
        middle = low + timedelta(days=(high - low).days // 2)
        if behind(middle):
            high = middle
        else:
            low = middle
    return high


def _of_the_ladder(
    e: Evaluation, ladder: Ladder, known: Mapping[str, Known], as_of: date
) -> list[date]:
    rungs = ladder.bodies.get(e.body)
    if rungs is None or paused(e, as_of):
        return []  # paused: nothing the ladder says goes out before the pause ends (a day above)
    days = [e.cycle_end - timedelta(days=n) for n in rungs.before]
    missed = missed_on(e)
    days += [missed + timedelta(days=n) for n in rungs.after]
    if e.renews_on is not None:
        days += [e.renews_on - timedelta(days=n) for n in rungs.dues_before]
    if e.status == "behind":
        days.append(_next_shortfall(e, ladder, known, as_of))
    return days


def _next_shortfall(e: Evaluation, ladder: Ladder, known: Mapping[str, Known], as_of: date) -> date:
    """While behind: a shortfall reminder is due once the interval since the last one (or the
    deadline reminder that stood in for it) has passed; tomorrow if none was ever sent."""
    prefixes = tuple(
        notice_key(e.holder_id, e.body, e.cycle_end, kind, "", e.owner)
        for kind in ("shortfall", "deadline")
    )
    told = [n.on for key, n in known.items() if key.startswith(prefixes)]
    if not told:
        return as_of + ONE_DAY
    return max(told) + timedelta(days=ladder.shortfall_interval_days)
