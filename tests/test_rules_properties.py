"""Properties of the allocation and the evaluation, checked on many generated cases."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from reminders.rules.allocation import allocate
from reminders.rules.evaluate import ceu_days, evaluate
from reminders.rules.facts import CeuFact, CredentialFact, HolderFacts, MembershipFact
from reminders.rules.settle import sums_suffice
from tests.rules_helpers import RULES, examples

NEEDS = ("a", "b", "c")


def _brute_force(
    items: Sequence[tuple[int, frozenset[str]]], needs: Mapping[str, int]
) -> tuple[int, int]:
    """The least total shortfall over every way of giving each item to one need or none, and
    the most needs met among the ways that leave it."""
    best = None
    options = [[*sorted(eligible & set(needs)), None] for _, eligible in items]
    for choice in itertools.product(*options):
        filled = dict.fromkeys(needs, 0)
        for (amount, _), need in zip(items, choice, strict=True):
            if need is not None:
                filled[need] += amount
        short = sum(max(0, needs[n] - filled[n]) for n in needs)
        met = sum(1 for n in needs if filled[n] >= needs[n])
        best = (short, -met) if best is None else min(best, (short, -met))
    assert best is not None
    return best[0], -best[1]


items_strategy = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=32).map(lambda halves: halves * 50),
        st.frozensets(st.sampled_from(NEEDS), min_size=1),
    ),
    max_size=7,
)
needs_strategy = st.dictionaries(
    st.sampled_from(NEEDS),
    st.integers(min_value=1, max_value=24).map(lambda n: n * 100),
    min_size=1,
)


@settings(max_examples=examples(400), deadline=None)
@given(items_strategy, needs_strategy)
def test_the_allocation_is_as_good_as_any_other(items, needs) -> None:  # type: ignore[no-untyped-def]
    allocation = allocate(items, needs)
    met = sum(1 for need, amount in needs.items() if allocation.filled[need] >= amount)
    assert (allocation.shortfall(needs), met) == _brute_force(items, needs)
    # It is a real assignment: each item to one of its own needs, and the sums add up.
    for (_amount, eligible), need in zip(items, allocation.assigned, strict=True):
        assert need is None or need in eligible
    for need in needs:
        assigned = [a for (a, _), n in zip(items, allocation.assigned, strict=True) if n == need]
        assert allocation.filled[need] == sum(assigned)


def test_the_greedy_trap() -> None:
    """A 16 for A or B and a 10 for A alone: the 16 must go to B."""
    allocation = allocate(
        [(1600, frozenset({"A", "B"})), (1000, frozenset({"A"}))], {"A": 1600, "B": 1600}
    )
    assert allocation.assigned == ("B", "A")
    assert allocation.shortfall({"A": 1600, "B": 1600}) == 600


def test_between_equal_totals_a_minimum_filled_exactly_wins() -> None:
    """5 for A (10) or B (5): either way 5 are covered, but to B it meets a minimum."""
    allocation = allocate([(500, frozenset({"A", "B"}))], {"A": 1000, "B": 500})
    assert allocation.filled == {"A": 0, "B": 500}


def test_what_is_already_certain_counts_before_the_choice() -> None:
    """4 and 4 can only go to A (10); the 6 for A or B (3) then covers more in B: A would
    take only 2 of it."""
    items = [(400, frozenset({"A"})), (400, frozenset({"A"})), (600, frozenset({"A", "B"}))]
    assert allocate(items, {"A": 1000, "B": 300}).filled == {"A": 800, "B": 600}


AS_OF = date(2026, 11, 24)
AAPC_CODES = ("CPC", "CPMA", "CPCO", "CDEO", "CIRCC", "CEMC", "CCC", "CRC")
AHIMA_CODES = ("RHIA", "RHIT", "CCS", "CCS-P", "CDIP")
CATEGORIES = (
    "auditing", "compliance", "documentation", "ir-cv", "specialty:CEMC", "specialty:CCC",
    "hiim", "ahima-source",
)  # fmt: skip


@st.composite
def ceus(draw: st.DrawFn, start: date) -> CeuFact:
    offset = draw(st.integers(min_value=0, max_value=(AS_OF - start).days))
    return CeuFact(
        completed_on=start + timedelta(days=offset),
        cents=draw(st.sampled_from([25, 50, 100, 150, 200, 400, 800, 1200])),
        title=f"course {draw(st.integers(0, 10**6))}",
        bodies=draw(
            st.sampled_from(
                [frozenset({"AAPC"}), frozenset({"AHIMA"}), frozenset({"AAPC", "AHIMA"})]
            )
        ),
        categories=draw(st.frozensets(st.sampled_from(CATEGORIES), max_size=3)),
        provider=draw(st.sampled_from([None, "MedLearn Publishing", "Other"])),
    )


@st.composite
def holders(draw: st.DrawFn, with_history: bool) -> HolderFacts:
    """Holders of both bodies. Without history, the body states a cycle that is still running,
    so the evaluation is of that one cycle whatever CEUs are added."""
    credentials = [
        CredentialFact(code, date(2015, 1, 1) + timedelta(days=draw(st.integers(0, 3000))))
        for code in draw(st.sets(st.sampled_from(AAPC_CODES + AHIMA_CODES), min_size=1, max_size=4))
    ]
    if with_history:
        memberships = {
            "AAPC": MembershipFact(
                renews_on=draw(st.sampled_from([date(2025, 3, 31), date(2027, 6, 30)]))
            ),
        }
        start = date(2022, 1, 1)
    else:
        memberships = {
            "AAPC": MembershipFact(cycle_ends_on=date(2027, 3, 31)),
            "AHIMA": MembershipFact(cycle_ends_on=date(2027, 5, 10)),
        }
        start = date(2025, 5, 11)
    records = draw(st.lists(ceus(start), max_size=12))
    return HolderFacts("h-1", tuple(credentials), memberships, tuple(records))


@settings(max_examples=examples(150), deadline=None)
@given(holders(with_history=False), st.data())
def test_adding_a_ceu_never_raises_what_remains(facts: HolderFacts, data: st.DataObject) -> None:
    before, _ = evaluate(facts, RULES, AS_OF)
    extra = data.draw(ceus(date(2025, 5, 11)))
    after, _ = evaluate(
        HolderFacts(facts.holder_id, facts.credentials, facts.memberships, (*facts.ceus, extra)),
        RULES,
        AS_OF,
    )
    assert [(e.body, e.cycle_end) for e in before] == [(e.body, e.cycle_end) for e in after]
    for old, new in zip(before, after, strict=True):
        assert new.remaining <= old.remaining
        assert new.earned >= old.earned


@settings(max_examples=examples(200), deadline=None)
@given(holders(with_history=True))
def test_complete_exactly_when_nothing_remains(facts: HolderFacts) -> None:
    evaluations, _ = evaluate(facts, RULES, AS_OF)
    for e in evaluations:
        assert (e.status == "complete") == (e.remaining == 0)
        assert e.remaining >= max(0, e.required - e.earned)
        assert e.days_left == (e.cycle_end - AS_OF).days
        if e.status in ("overdue", "lapsed"):
            assert e.days_left < 0
        if e.status in ("on_track", "behind"):
            assert e.days_left >= 0
        for minimum in e.minimums:
            assert e.remaining >= minimum.required - minimum.earned


@settings(max_examples=examples(200), deadline=None)
@given(holders(with_history=True), st.integers(min_value=0, max_value=5 * 365))
def test_a_scan_may_leave_out_the_ceus_outside_its_days(facts: HolderFacts, later: int) -> None:
    """A scan loads only the CEUs completed within `ceu_days` of its day: the others never
    count, so the evaluation, explanation included, is the same without them."""
    as_of = AS_OF + timedelta(days=later)
    first, last = ceu_days(RULES, as_of)
    kept = tuple(c for c in facts.ceus if first <= c.completed_on <= last)
    trimmed = HolderFacts(facts.holder_id, facts.credentials, facts.memberships, kept)
    full, full_problems = evaluate(facts, RULES, as_of)
    part, part_problems = evaluate(trimmed, RULES, as_of)
    assert part == full
    assert [tuple(e.explanation) for e in part] == [tuple(e.explanation) for e in full]
    assert part_problems == full_problems


def _summed(facts: HolderFacts, days: dict[str, date], as_of: date) -> HolderFacts:
    """The holder with, per body, one CEU of the sum that body counts from its day on."""
    ceus = []
    for body, first in days.items():
        cents = [
            c.cents for c in facts.ceus if body in c.bodies and first <= c.completed_on <= as_of
        ]
        if cents:
            ceus.append(CeuFact(first, sum(cents), "", frozenset({body})))
    return HolderFacts(facts.holder_id, facts.credentials, facts.memberships, tuple(ceus))


@st.composite
def members(draw: st.DrawFn) -> HolderFacts:
    """Mostly holders a sum suffices for: AAPC credentials without minimums, membership dates
    around the day, CEUs of every kind over several cycles; now and then a credential with a
    minimum or an AHIMA one, for which it does not."""
    codes = ("CPC", "CPC-A", "COC", "CIC", "CRC", "CPB") * 3 + ("CPMA", "CEMC", "RHIT")
    credentials = [
        CredentialFact(code, date(2019, 1, 1) + timedelta(days=draw(st.integers(0, 3000))))
        for code in draw(st.sets(st.sampled_from(codes), min_size=1, max_size=3))
    ]
    day = st.integers(0, 6 * 365).map(lambda n: date(2022, 1, 1) + timedelta(days=n))
    membership = MembershipFact(
        renews_on=draw(st.none() | day),
        cycle_ends_on=draw(st.sampled_from([None, None, None, date(2027, 3, 31)])),
        required_cents=draw(st.sampled_from([None, None, 1800])),
    )
    records = draw(st.lists(ceus(date(2019, 1, 1)), max_size=15))
    return HolderFacts("h-1", tuple(credentials), {"AAPC": membership}, tuple(records))


@settings(max_examples=examples(300), deadline=None)
@given(members(), st.integers(min_value=-800, max_value=2 * 365))
def test_where_sums_suffice_one_ceu_per_body_evaluates_the_same(
    facts: HolderFacts, later: int
) -> None:
    """The scan lets the database add up the CEUs of the holders `sums_suffice` names: their
    evaluation, explanation included, must be the same with the sums as with the CEUs."""
    as_of = AS_OF + timedelta(days=later)
    days = sums_suffice(facts, RULES, as_of)
    if days is None:
        return
    full, full_problems = evaluate(facts, RULES, as_of)
    summed, summed_problems = evaluate(_summed(facts, days, as_of), RULES, as_of)
    assert summed == full
    assert [tuple(e.explanation) for e in summed] == [tuple(e.explanation) for e in full]
    assert summed_problems == full_problems
