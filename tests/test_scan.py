"""The scan's loading of facts on both databases: what `scan_options` leaves out or lets the
database add up must not change a single evaluation."""

from __future__ import annotations

from datetime import date, timedelta

from reminders.db.engine import make_engine
from reminders.db.facts import holders_by_pk, scan_options, stored_holders
from reminders.rules.evaluate import evaluate, sums_suffice
from tests.rules_helpers import RULES

# From before the demo roster's first CEU to after its last cycle ends, every 73 days.
DAYS = [date(2023, 1, 1) + timedelta(days=73 * n) for n in range(30)]


def test_a_scan_evaluates_exactly_what_the_full_facts_do(roster: str) -> None:
    engine = make_engine(roster)
    summed = 0
    with engine.connect() as connection:
        for day in DAYS:
            full = [h for batch in stored_holders(connection, batch=3) for h in batch]
            options = scan_options(RULES, day)
            scanned = [h for batch in stored_holders(connection, batch=3, **options) for h in batch]
            assert [h.pk for h in scanned] == [h.pk for h in full]
            for whole, part in zip(full, scanned, strict=True):
                expected = evaluate(whole.facts, RULES, day)
                found = evaluate(part.facts, RULES, day)
                assert found == expected, (whole.facts.holder_id, day)
                assert [list(e.explanation) for e in found[0]] == [
                    list(e.explanation) for e in expected[0]
                ]
                summed += bool(sums_suffice(whole.facts, RULES, day))
    engine.dispose()
    assert summed > 0  # the database added up some holders' CEUs


def test_holders_by_pk_loads_every_ceu(roster: str) -> None:
    engine = make_engine(roster)
    with engine.connect() as connection:
        full = [h for batch in stored_holders(connection) for h in batch]
        by_pk = holders_by_pk(connection, [h.pk for h in full])
    engine.dispose()
    assert {pk: h.facts for pk, h in by_pk.items()} == {h.pk: h.facts for h in full}
    assert sum(len(h.facts.ceus) for h in full) == 20  # config/demo/ceus.csv
