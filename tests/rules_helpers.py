"""Short builders for the rules tests: dates as strings, CEUs as numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import settings

from reminders.resources import bodies_dir
from reminders.rules.evaluate import evaluate
from reminders.rules.facts import CeuFact, CredentialFact, HolderFacts, MembershipFact
from reminders.rules.loader import Rulebook, load_rulebook
from reminders.rules.results import Evaluation

RULES: Rulebook = load_rulebook(bodies_dir())


def d(text: str) -> date:
    return date.fromisoformat(text)


def cents(ceus: float | str) -> int:
    return int(Decimal(str(ceus)) * 100)


def cred(code: str, earned_on: str) -> CredentialFact:
    return CredentialFact(code, d(earned_on))


def ceu(
    completed_on: str,
    hours: float,
    bodies: str = "AAPC",
    categories: str = "",
    provider: str | None = None,
    title: str | None = None,
) -> CeuFact:
    return CeuFact(
        completed_on=d(completed_on),
        cents=cents(hours),
        title=title or f"course of {completed_on}",
        bodies=frozenset(bodies.split(";")),
        categories=frozenset(c for c in categories.split(";") if c),
        provider=provider,
    )


def member(
    renews_on: str | None = None, cycle_ends_on: str | None = None, required: float | None = None
) -> MembershipFact:
    return MembershipFact(
        renews_on=d(renews_on) if renews_on else None,
        cycle_ends_on=d(cycle_ends_on) if cycle_ends_on else None,
        required_cents=None if required is None else cents(required),
    )


def holder(
    credentials: list[CredentialFact],
    ceus: list[CeuFact] | tuple[CeuFact, ...] = (),
    **memberships: MembershipFact,
) -> HolderFacts:
    return HolderFacts("h-1", tuple(credentials), dict(memberships), tuple(ceus))


def only(facts: HolderFacts, as_of: str) -> Evaluation:
    """The one evaluation of a holder with one body."""
    evaluations, problems = evaluate(facts, RULES, d(as_of))
    assert not problems, problems
    [evaluation] = evaluations
    return evaluation


def examples(normally: int) -> int:
    """How many examples a property test tries: `normally`, in proportion to the loaded
    Hypothesis profile. `make mutation` loads the "mutation" profile (tests/conftest.py), a
    quarter of the default: there each test runs once for each of a thousand mutants."""
    profile = settings.default
    assert profile is not None  # the profile is loaded before the tests are collected
    return max(10, normally * profile.max_examples // 100)


def scaled(normally: int, least: int) -> int:
    """A test's own size (days simulated, holders generated), in the same proportion as
    examples(), and at least `least`: under `make mutation` a simulation of a year day by day
    for each example would make each mutant's run take seconds."""
    profile = settings.default
    assert profile is not None
    return max(least, normally * profile.max_examples // 100)
