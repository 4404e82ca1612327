"""The scan's set-based part on random rosters, on SQLite and PostgreSQL: where the database
adds up a holder's CEUs (rules.settle.sums_suffice), and where the scan hands each holder's
holdings on to the evaluation and the review day, the holder must get exactly what the
per-holder evaluation of all their CEUs gives: the same evaluations, explanations included,
the same plan and the same next review day."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, delete, insert

from reminders.db.engine import make_engine
from reminders.db.facts import StoredHolder, holders_by_pk, scan_options, stored_holders
from reminders.db.models import CeuRecord, Credential, Holder, Membership
from reminders.notices.ladder import load_ladder
from reminders.notices.preferences import DEFAULT, Ladders
from reminders.notices.scan import plan_holder
from reminders.resources import config_dir
from reminders.rules.evaluate import evaluate
from reminders.rules.facts import CeuFact, CredentialFact, HolderFacts, MembershipFact
from tests.rules_helpers import RULES, examples
from tests.test_rules_properties import AS_OF, holders, members

LADDERS = Ladders(load_ladder(config_dir() / "notices.yaml"))


@st.composite
def rosters(draw: st.DrawFn) -> list[HolderFacts]:
    """A few holders, mostly ones a sum suffices for (members), some with minimums, AHIMA
    credentials and histories (holders)."""
    drawn = draw(st.lists(members() | holders(with_history=True), min_size=1, max_size=6))
    return [
        HolderFacts(f"h-{n}", f.credentials, f.memberships, f.ceus) for n, f in enumerate(drawn)
    ]


def _store(connection: Connection, roster: list[HolderFacts]) -> None:
    for table in (CeuRecord, Membership, Credential, Holder):
        connection.execute(delete(table))
    for facts in roster:
        pk = connection.execute(
            insert(Holder).values(
                holder_id=facts.holder_id, full_name=facts.holder_id,
                email=f"{facts.holder_id}@example.org",
            ).returning(Holder.id)
        ).scalar_one()  # fmt: skip
        for credential in facts.credentials:
            body = RULES.credential_bodies[credential.code]
            connection.execute(insert(Credential).values(
                holder_pk=pk, code=credential.code, body=body, earned_on=credential.earned_on))  # fmt: skip
        for body, m in facts.memberships.items():
            stated = None if m.required_cents is None else Decimal(m.required_cents) / 100
            connection.execute(insert(Membership).values(
                holder_pk=pk, body=body, renews_on=m.renews_on, cycle_ends_on=m.cycle_ends_on,
                required_ceus=stated))  # fmt: skip
        for n, ceu in enumerate(facts.ceus):
            connection.execute(insert(CeuRecord).values(
                holder_pk=pk, natural_key=f"d:{n}", completed_on=ceu.completed_on,
                hours=Decimal(ceu.cents) / 100, title=ceu.title, provider=ceu.provider,
                index_number=ceu.index_number, bodies=";".join(sorted(ceu.bodies)),
                categories=";".join(sorted(ceu.categories))))  # fmt: skip


def test_a_scan_of_random_rosters_gives_each_holder_what_their_ceus_do(
    initialised: str,
) -> None:
    engine = make_engine(initialised)
    summed = 0

    @settings(max_examples=examples(60), deadline=None)
    @given(rosters(), st.integers(min_value=-800, max_value=2 * 365))
    def check(roster: list[HolderFacts], later: int) -> None:
        nonlocal summed
        as_of = AS_OF + timedelta(days=later)
        with engine.begin() as connection:
            _store(connection, roster)
        with engine.connect() as connection:
            options = scan_options(RULES, as_of)
            scanned = [h for b in stored_holders(connection, batch=4, **options) for h in b]
        given_facts = {facts.holder_id: facts for facts in roster}
        assert sorted(given_facts) == [h.facts.holder_id for h in scanned]
        for holder in scanned:
            facts = given_facts[holder.facts.holder_id]
            expected = evaluate(facts, RULES, as_of)
            found = evaluate(holder.facts, RULES, as_of, holder.holdings)
            assert found == expected
            assert [list(e.explanation) for e in found[0]] == [
                list(e.explanation) for e in expected[0]
            ]
            whole = StoredHolder(holder.pk, holder.full_name, holder.email, None, facts)
            days: list[tuple[int, date]] = []
            assert plan_holder(holder, {}, DEFAULT, RULES, LADDERS, as_of, days) == plan_holder(
                whole, {}, DEFAULT, RULES, LADDERS, as_of, days
            )
            assert days[0] == days[1]
            summed += len(holder.facts.ceus) < len(facts.ceus)

    check()
    engine.dispose()
    assert summed > 0  # the database added up some holders' CEUs


@pytest.mark.parametrize("codes", [("CPC",), ("CPC", "CPMA")], ids=["summed", "read"])
def test_a_scan_reviews_a_holder_when_a_ceu_dated_ahead_comes(
    initialised: str, codes: tuple[str, ...]
) -> None:
    """A CEU recorded with a completion day ahead counts from that day: a full scan must set
    the holder's next review no later, whether the database added up their CEUs or not."""
    as_of, ahead = date(2026, 6, 1), date(2026, 6, 11)
    facts = HolderFacts(
        "h-0",
        tuple(CredentialFact(code, date(2020, 5, 5)) for code in codes),
        {"AAPC": MembershipFact(cycle_ends_on=date(2027, 3, 31))},
        (
            CeuFact(date(2025, 6, 1), 400, "done", frozenset({"AAPC"})),
            CeuFact(ahead, 5000, "booked", frozenset({"AAPC"}), frozenset({"ir-cv"})),
        ),
    )
    engine = make_engine(initialised)
    with engine.begin() as connection:
        _store(connection, [facts])
    options = scan_options(RULES, as_of)
    with engine.connect() as connection:
        [[scanned]] = list(stored_holders(connection, **options))  # a full scan
        ticked = holders_by_pk(connection, [scanned.pk], **options)[scanned.pk]  # a tick
    engine.dispose()
    for holder in (scanned, ticked):
        summed = any(ceu.title == "" for ceu in holder.facts.ceus)  # a sum stands for CEUs
        assert summed == (codes == ("CPC",))
        days: list[tuple[int, date]] = []
        plan_holder(holder, {}, DEFAULT, RULES, LADDERS, as_of, days)
        assert days == [(holder.pk, ahead)]
