"""Evaluation: where a holder stands with each certifying body as of a day. Pure.

For each body the holder has credentials with, this finds the cycle in force, its requirement
and minimums under the rule version that governs it, the CEUs that count, their best allocation
to the minimums, and the status; or, when the previous cycle ended unmet and the body's window
after the deadline is open (or closed during the current cycle), that previous cycle. Every
figure comes with a reason naming the rule and its sources.

This module puts the parts together. The credentials held and their cycles are in
rules.holding, what a rule version requires in rules.requirements, what the CEUs come to in
rules.assess, whether the ended cycle needs a check in rules.settle, the reasons in
rules.explain and the results in rules.results.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta

from reminders.rules import holding, settle
from reminders.rules.assess import Assessment, assess
from reminders.rules.cycles import Schedule, Window, add_months
from reminders.rules.explain import Explanation, Reason, ceus, cite
from reminders.rules.facts import CeuFact, CredentialFact, HolderFacts, MembershipFact
from reminders.rules.loader import Rulebook
from reminders.rules.membership import Unrenewed, unrenewed
from reminders.rules.membership import reason as unrenewed_reason
from reminders.rules.model import BodyFile, Version
from reminders.rules.pace import Pace
from reminders.rules.results import Evaluation, Problem


def ceu_days(rulebook: Rulebook, as_of: date) -> tuple[date, date]:
    """The first and last completion day of any CEU an evaluation as of `as_of` can count.

    The oldest cycle looked at is the one before the current one: two cycles of the longest
    length back, plus a day of slack for month ends. Nothing completed after `as_of` counts.
    """
    years = max(body.cycle.years for body in rulebook.bodies.values())
    return as_of - timedelta(days=366 * 2 * years + 1), as_of


def evaluate(
    facts: HolderFacts,
    rulebook: Rulebook,
    as_of: date,
    holdings: Sequence[holding.Holding] | None = None,
) -> tuple[list[Evaluation], list[Problem]]:
    """Every body the holder holds a credential with on `as_of`, in body order. `holdings`:
    holding.holdings of these facts on `as_of`, if the caller has them already."""
    if holdings is None:
        holdings = holding.holdings(facts, rulebook, as_of)
    evaluations, problems = [], []
    for held in holdings:
        if isinstance(held.found, str):
            problems.append(Problem(facts.holder_id, held.body.body, held.found))
        else:
            evaluations.append(_evaluate_body(facts, held, held.found, as_of, rulebook))
    return evaluations, problems


def _evaluate_body(
    facts: HolderFacts,
    holds: holding.Holding,
    found: tuple[Schedule, Callable[[], str]],
    as_of: date,
    rulebook: Rulebook,
) -> Evaluation:
    body, held, membership, certified = holds.body, holds.held, holds.membership, holds.certified
    cycle_reason = found[1]
    code = body.body
    accepted = tuple(c for c in facts.ceus if code in c.bodies and c.completed_on <= as_of)
    current, previous = holds.current, holds.previous
    assert current is not None and previous is not None  # there is a schedule
    consumed: frozenset[CeuFact] = frozenset()
    moved: list[CeuFact] = []
    missing = rulebook.missing_history
    due = unrenewed(body, membership, as_of, missing)
    settled = settle.settled(body, membership, previous, certified, accepted, as_of, missing)
    if settled is None:
        earlier = _previous_cycle(body, held, membership, previous, certified, accepted, as_of)
        if earlier is not None and not earlier[0].complete:
            assessment = earlier[0]
            deadline = _deadline(assessment.version, previous.end)
            if due is not None:  # revoked at the first of the two
                deadline = min(deadline, due.cancelled_after)
            status = "overdue" if as_of <= deadline else "lapsed"
            assessment.reasons.append(_after_deadline(body, assessment.version, status, deadline))
            return _result(
                facts, body, membership, assessment, certified, as_of, status, cycle_reason,
                deadline, due,
            )  # fmt: skip
        if earlier is not None:
            consumed, moved = earlier[1], earlier[2]
    start = max(current.start, certified)
    if consumed:
        counted = [c for c in accepted if start <= c.completed_on and c not in consumed]
    else:
        counted = [c for c in accepted if start <= c.completed_on]
    counted.extend(moved)
    assessment = assess(body, held, membership, current, certified, counted)
    if settled:
        assessment.reasons.append(settled)
    if due is not None:
        return _result(
            facts, body, membership, assessment, certified, as_of, due.status(as_of),
            cycle_reason, due.cancelled_after, due,
        )  # fmt: skip
    status = _status(assessment, certified, as_of, rulebook.pace)
    return _result(facts, body, membership, assessment, certified, as_of, status, cycle_reason)


def _after_deadline(body: BodyFile, version: Version, status: str, deadline: date) -> Reason:
    def reason() -> str:
        if status == "overdue":
            closing = f"{body.body} revokes the credential after {deadline}"
        else:
            closing = f"the window closed on {deadline}: {body.body} revokes the credential"
        after = version.after_deadline
        return (
            f"{status}: the cycle ended unmet; {closing} "
            f"{cite(f'{version.id}.after_deadline', after.sources)}"
        )

    return reason


def _previous_cycle(
    body: BodyFile,
    held: tuple[CredentialFact, ...],
    membership: MembershipFact,
    window: Window,
    certified: date,
    accepted: Sequence[CeuFact],
    as_of: date,
) -> tuple[Assessment, frozenset[CeuFact], list[CeuFact]] | None:
    """The cycle before the current one; the CEUs of the current cycle's window it takes; and
    its own CEUs that it gives to the current cycle.

    CEUs completed in the renewal month (AAPC) and after the deadline but before revocation go
    to the ended cycle only if it needs them to be complete (choices renewal-month, late-ceus).
    """
    held_then = tuple(c for c in held if c.earned_on <= window.end)
    if not held_then:
        return None
    start = max(window.start, certified)
    inside = [c for c in accepted if start <= c.completed_on <= window.end]
    early: list[CeuFact] = []
    if body.cycle.renewal_month_ceus == "either-cycle":
        month_start = window.end.replace(day=1)
        early = [c for c in inside if c.completed_on >= month_start]
        inside = [c for c in inside if c.completed_on < month_start]
    version = body.version_for(window.start, window.end)
    if version is None:
        return None
    deadline = _deadline(version, window.end)
    late = [c for c in accepted if window.end < c.completed_on <= min(deadline, as_of)]
    attempts: list[tuple[list[CeuFact], list[CeuFact]]] = [(inside, [])]
    # An attempt with no more CEUs than the one before cannot do better.
    if early:
        attempts.append((inside + early, early))
    if late:
        attempts.append((inside + early + late, early + late))
    for ceu_list, taken in attempts:
        assessment = assess(body, held_then, membership, window, certified, ceu_list)
        if assessment.complete:
            return assessment, frozenset(taken), [c for c in early if c not in taken]
    return assessment, frozenset(early + late), []


def _deadline(version: Version, cycle_end: date) -> date:
    after = version.after_deadline
    if after.days is not None:
        return cycle_end + timedelta(days=after.days)
    assert after.months is not None
    return add_months(cycle_end, after.months)


def _status(assessment: Assessment, certified: date, as_of: date, pace: Pace) -> str:
    if assessment.complete:
        return "complete"
    window = assessment.window
    start = max(window.start, certified)
    return pace.status(assessment.earned, assessment.required, start, window.end, as_of)


def _result(
    facts: HolderFacts,
    body: BodyFile,
    membership: MembershipFact,
    assessment: Assessment,
    certified: date,
    as_of: date,
    status: str,
    cycle_reason: Callable[[], str],
    deadline: date | None = None,
    due: Unrenewed | None = None,
) -> Evaluation:
    """`deadline`, when it is not the cycle's own; `due`, an unrenewed membership behind it."""
    window = assessment.window
    start = max(window.start, certified)
    earned = assessment.earned

    def cycle() -> str:
        return f"cycle {start} to {window.end}: {cycle_reason()}"

    renewal = [lambda: unrenewed_reason(body, due, status)] if due else []

    def counted() -> str:
        return (
            f"{ceus(earned)} CEUs count: completed from {start} to {window.end} "
            f"(not before certification), accepted by {body.body}"
        )

    return Evaluation(
        holder_id=facts.holder_id,
        body=body.body,
        credentials=tuple(c.code for c in assessment.held),
        cycle_start=start,
        cycle_end=window.end,
        required=assessment.required,
        earned=earned,
        remaining=assessment.remaining,
        minimums=assessment.minimums,
        status=status,
        days_left=(window.end - as_of).days,
        version=assessment.version.id,
        deadline=deadline or _deadline(assessment.version, window.end),
        required_stated=assessment.required_stated,
        explanation=Explanation((cycle, *assessment.reasons, *renewal, counted)),
        renews_on=membership.renews_on if body.membership is not None else None,
        submission_opens=(
            add_months(window.end, -body.submission.opens_months_before)
            if body.submission is not None
            else None
        ),
        owner=facts.owner,
        unrenewed=due.renewal_due if due else None,
        submitted=facts.submitted.get((body.body, window.end)),
        counted=assessment.counted,
    )
