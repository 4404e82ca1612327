"""The next-review day (notices/review.py) against the truth: a holder looked at only on the
days it names must be told exactly what a full scan every day would tell them, and keep every
status between two looks. Over generated holders, preferences and starting days, a year at a
time, day by day."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from reminders.notices.ladder import load_ladder
from reminders.notices.planning import Known, plan
from reminders.notices.preferences import LEVELS, kinds_for, ladder_for
from reminders.notices.review import REVIEW_WITHIN, next_review
from reminders.resources import config_dir
from reminders.rules.evaluate import evaluate
from reminders.rules.facts import CeuFact, CredentialFact, HolderFacts, MembershipFact, Submitted
from tests.rules_helpers import RULES, examples, scaled
from tests.test_rules_properties import AS_OF, holders, members

LADDER = load_ladder(config_dir() / "notices.yaml")
DAYS = scaled(400, least=120)


def _watch(facts: HolderFacts, level: str, start: date, days: int = DAYS) -> tuple[int, int]:
    """Scan every day from `start` as the daemon would if it looked at the holder only on the
    days next_review names; on each other day, check that a full scan finds nothing new. How
    many days the holder was looked at, and on how many of those a notice was due or a status
    changed."""
    ladder, kinds = ladder_for(LADDER, level), kinds_for(level)
    known: dict[str, Known] = {}
    review, looked, eventful, seen = start, 0, 0, None
    for offset in range(days):
        day = start + timedelta(days=offset)
        evaluations, _ = evaluate(facts, RULES, day)
        due = plan(evaluations, ladder, day, known, kinds)
        statuses = [(e.body, e.status, e.cycle_end) for e in evaluations]
        if day < review:
            assert due.due == [], (day, review, due.due)
            assert statuses == seen, (day, review)
            continue
        looked += 1
        eventful += bool(due.due) or statuses != seen
        for notice in (*due.due, *due.skipped):
            known[notice.key] = Known(notice.key, day)
        review = next_review(facts, evaluations, ladder, known, RULES, day)
        assert day < review <= day + timedelta(days=REVIEW_WITHIN)
        seen = statuses
    return looked, eventful


@settings(max_examples=examples(60), deadline=None)
@given(
    st.one_of(holders(with_history=True), holders(with_history=False), members()),
    st.sampled_from(LEVELS),
    st.integers(min_value=-700, max_value=400),
)
def test_a_holder_looked_at_on_their_review_days_is_told_what_a_daily_scan_tells(
    facts: HolderFacts, level: str, start: int
) -> None:
    _watch(facts, level, AS_OF + timedelta(days=start))


@settings(max_examples=examples(30), deadline=None)
@given(
    members(), st.integers(min_value=-400, max_value=200), st.integers(min_value=1, max_value=60)
)
def test_a_self_report_pauses_the_reminders_until_its_day_only(
    facts: HolderFacts, start: int, pause: int
) -> None:
    """The holder says the cycle ending next is submitted: the reminders wait for the pause."""
    day = AS_OF + timedelta(days=start)
    evaluations, _ = evaluate(facts, RULES, day)
    said = {(e.body, e.cycle_end): Submitted(day, day + timedelta(days=pause)) for e in evaluations}
    _watch(replace(facts, submitted=said), "all", day)


@given(st.integers(min_value=0, max_value=365), st.sampled_from([0, 800, 2000, 3600]))
@settings(max_examples=examples(20), deadline=None)
def test_a_holder_is_looked_at_when_something_happens_and_a_few_times_a_year_besides(
    offset: int, cents: int
) -> None:
    """Not every day: on the days a notice is due or a status changes, and besides those at
    most once in REVIEW_WITHIN days (the bound) or on a rung's day of a kind not yet due."""
    facts = HolderFacts(
        "h-1",
        (CredentialFact("CPC", date(2020, 1, 10)),),
        {"AAPC": MembershipFact(renews_on=date(2027, 1, 31))},
        (CeuFact(date(2025, 2, 1), cents, "course", frozenset({"AAPC"})),),
    )
    looked, eventful = _watch(facts, "all", date(2025, 3, 1) + timedelta(days=offset), days=365)
    assert looked <= eventful + 365 // REVIEW_WITHIN + 4
    assert looked < 40
