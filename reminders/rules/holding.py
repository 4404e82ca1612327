"""Holdings: what a holder holds with each body, and the cycles that follow from it. Pure.

The credentials held on a day, by body, each once under the code the rules know it by (an
apprentice credential counts as its full one). The schedule of the cycles comes from the
cycle end the body states, the day a credential was earned, or the membership date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from reminders.rules.cycles import (
    AnchoredSchedule,
    MembershipSchedule,
    Schedule,
    Window,
    cycle_before,
)
from reminders.rules.explain import cite
from reminders.rules.facts import CredentialFact, HolderFacts, MembershipFact
from reminders.rules.loader import Rulebook
from reminders.rules.model import BodyFile

NO_MEMBERSHIP = MembershipFact()


@dataclass(frozen=True, slots=True)
class Holding:
    """Where a holder stands with one body on a day before any CEU is looked at: the
    credentials held, the membership, and the cycles that follow from them. The evaluation, the
    choice of what the database may add up and the next review day all start from it; a scan
    works it out once a holder and hands it to each (it cost a tenth of a scan done three times).
    """

    body: BodyFile
    held: tuple[CredentialFact, ...]
    membership: MembershipFact
    certified: date
    """The day the first of `held` was earned."""
    found: tuple[Schedule, Callable[[], str]] | str
    """The schedule of the cycles and why, or why there is none (a problem to report)."""
    current: Window | None
    """The cycle containing the day, and the one before it; None without a schedule."""
    previous: Window | None


def holdings(facts: HolderFacts, rulebook: Rulebook, as_of: date) -> tuple[Holding, ...]:
    """Each body the holder holds a credential with on `as_of`, in body order."""
    found_by_body = by_body(facts, rulebook, as_of)
    result = []
    for code in sorted(found_by_body):
        body = rulebook.bodies[code]
        held = distinct(body, found_by_body[code])
        membership = facts.memberships.get(code, NO_MEMBERSHIP)
        found = schedule(body, held, membership)
        certified = min(c.earned_on for c in held)
        if isinstance(found, str):
            result.append(Holding(body, held, membership, certified, found, None, None))
            continue
        current = found[0].cycle_containing(as_of)
        previous = cycle_before(found[0], current)
        result.append(Holding(body, held, membership, certified, found, current, previous))
    return tuple(result)


def by_body(facts: HolderFacts, rulebook: Rulebook, as_of: date) -> dict[str, list[CredentialFact]]:
    """The credentials held on `as_of`, by the body they belong to (unknown codes left out)."""
    index = rulebook.credential_bodies
    by_body: dict[str, list[CredentialFact]] = {}
    for credential in facts.credentials:
        owner = index.get(credential.code)
        if owner is not None and credential.earned_on <= as_of:
            by_body.setdefault(owner, []).append(credential)
    return by_body


def distinct(body: BodyFile, credentials: Iterable[CredentialFact]) -> tuple[CredentialFact, ...]:
    """Each credential once, earliest first earned. An apprentice credential counts as its full
    credential (a CPC-A is a CPC) but keeps its own code until the full one is held."""
    earliest: dict[str, CredentialFact] = {}
    for credential in sorted(credentials, key=lambda c: c.earned_on):
        full = rule_code(body, credential.code)
        if full not in earliest:
            earliest[full] = credential
        elif full == credential.code:  # the full credential after the apprentice one
            earliest[full] = CredentialFact(full, earliest[full].earned_on)
    return tuple(earliest[code] for code in sorted(earliest))


def rule_code(body: BodyFile, code: str) -> str:
    spec = body.credential(code)
    return spec.apprentice_of if spec and spec.apprentice_of else code


def schedule(
    body: BodyFile, held: Sequence[CredentialFact], membership: MembershipFact
) -> tuple[Schedule, Callable[[], str]] | str:
    cycle = body.cycle
    if membership.cycle_ends_on is not None:
        end = membership.cycle_ends_on

        def stated() -> str:
            citation = cite(cycle.id, cycle.sources)
            return f"the cycle ends on {end}, as {body.body} states it {citation}"

        # Whatever the anchor, a stated end fixes the cycles: each starts the day after one ends
        # (on 1 March after 28 February, so 29 February ends a cycle only in leap years).
        return AnchoredSchedule(end + timedelta(days=1), cycle.years), stated
    if cycle.anchor == "exam":
        first = min(held, key=lambda c: c.earned_on)

        def anchored() -> str:
            return (
                f"cycles run {cycle.years} years from the day {first.code} was earned, "
                f"{first.earned_on} {cite(cycle.id, cycle.sources)}"
            )

        return AnchoredSchedule(first.earned_on, cycle.years), anchored
    if membership.renews_on is None:
        return (
            f"no membership date: add renews_on (or cycle_ends_on) for {body.body} "
            "to memberships.csv"
        )
    renews = membership.renews_on
    phase = renews.month % cycle.years if cycle.parity == "membership-month" else renews.year
    day = _day(renews)

    def membership_month() -> str:
        kind = "odd" if renews.month % 2 else "even"
        when = f"the end of {renews:%B}" if day == MONTH_END else f"{renews:%B} {renews.day}"
        return (
            f"CEUs are due on the membership date ({when}) in {kind} years, "
            f"as the membership month is {kind} {cite(cycle.id, cycle.sources)}"
        )

    return MembershipSchedule(renews.month, day, cycle.years, phase % cycle.years), membership_month


MONTH_END = 31


def _day(anchor: date) -> int:
    """A date that ends its month stands for the month's end in every year (28 or 29 February)."""
    return MONTH_END if (anchor + timedelta(days=1)).day == 1 else anchor.day
