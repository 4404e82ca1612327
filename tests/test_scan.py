"""The scan on both databases: what `scan_options` leaves out or lets the database add up must
not change a single evaluation, and worker processes must plan exactly what one process does."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from reminders.db import events
from reminders.db.engine import make_engine
from reminders.db.facts import holders_by_pk, scan_options, stored_holders
from reminders.db.models import Holder, MessageRecord, NoticeRecord
from reminders.notices.ladder import load_ladder
from reminders.notices.recording import ScanCounts
from reminders.notices.scan import ScanTally, Split, range_bounds, scan_plans
from reminders.notices.service import queue_due, replan_changed
from reminders.resources import config_dir
from reminders.rules.evaluate import evaluate
from reminders.rules.loader import Rulebook
from reminders.rules.settle import sums_suffice
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


# The demo roster's eight holders in ranges of three: three ranges, planned by two workers.
SPLIT = Split(workers=2, parallel_from=0, range_size=3)
LADDER = load_ladder(config_dir() / "notices.yaml")
SCAN_DAYS = [date(2026, 11, 24), date(2027, 6, 1)]


def test_worker_processes_plan_exactly_what_one_process_does(roster: str) -> None:
    engine = make_engine(roster)
    with engine.connect() as connection:
        for day in SCAN_DAYS:
            alone, spread = ScanTally(), ScanTally()
            expected = list(scan_plans(connection, RULES, LADDER, day, tally=alone))
            found = list(scan_plans(connection, RULES, LADDER, day, SPLIT, spread))
            assert found == expected, day
            assert len(expected) > 3  # several ranges have holders with notices due
            assert spread.holders == alone.holders == 8
    engine.dispose()


def test_a_scan_in_worker_processes_queues_what_one_process_plans(roster: str) -> None:
    day, now = SCAN_DAYS[0], datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    engine = make_engine(roster)
    with engine.connect() as connection:
        planned = list(scan_plans(connection, RULES, LADDER, day))
    counts = ScanCounts()
    queued = queue_due(engine, RULES, LADDER, day, now, counts, SPLIT)
    with engine.connect() as connection:
        keys = connection.execute(select(NoticeRecord.key, NoticeRecord.state)).all()
        messages = connection.execute(select(func.count()).select_from(MessageRecord)).scalar()
    engine.dispose()
    assert queued == messages == len([p for p in planned if p.plan.due])
    assert counts.holders == 8
    assert sorted(keys) == sorted(
        [(n.key, "queued") for p in planned for n in p.plan.due]
        + [(n.key, "skipped") for p in planned for n in p.plan.skipped]
    )


def test_the_range_bounds_cover_every_holder_once(roster: str) -> None:
    engine = make_engine(roster)
    with engine.connect() as connection:
        everyone = [h.pk for batch in stored_holders(connection) for h in batch]
        for size in (1, 3, 8, 9):
            ranges = range_bounds(connection, size)
            pks = [
                h.pk
                for between in ranges
                for batch in stored_holders(connection, between=between)
                for h in batch
            ]
            assert pks == everyone, size
            assert len(ranges) == 8 // size + 1
    engine.dispose()


def _rules_that_fail_for_aapc() -> Rulebook:
    """AAPC with only its oldest rules, which govern no cycle of these days: every AAPC
    evaluation raises, as a bug in the rules engine would."""
    aapc = RULES.bodies["AAPC"]
    broken = aapc.model_copy(update={"versions": aapc.versions[:1]})
    return dataclasses.replace(RULES, bodies={**RULES.bodies, "AAPC": broken})


@pytest.mark.parametrize("split", [Split(), SPLIT], ids=["one process", "workers"])
def test_a_holder_that_cannot_be_planned_holds_up_no_one_else(roster: str, split: Split) -> None:
    day = SCAN_DAYS[0]
    broken = _rules_that_fail_for_aapc()
    engine = make_engine(roster)
    with engine.connect() as connection:
        everyone = list(scan_plans(connection, RULES, LADDER, day))
        tally = ScanTally()
        found = list(scan_plans(connection, broken, LADDER, day, split, tally))
        aapc = {h.facts.holder_id for b in stored_holders(connection) for h in b} - {
            h.facts.holder_id
            for b in stored_holders(connection)
            for h in b
            if not any(RULES.credential_bodies.get(c.code) == "AAPC" for c in h.facts.credentials)
        }
    engine.dispose()
    assert aapc and tally.holders == 8
    assert sorted(holder_id for holder_id, _ in tally.failed) == sorted(aapc)
    assert all("AssertionError" in error for _, error in tally.failed)
    # Everyone else is planned as with sound rules.
    assert found == [p for p in everyone if p.holder_id not in aapc]
    assert found


def test_the_scan_and_the_replanning_leave_out_only_who_cannot_be_planned(roster: str) -> None:
    day, now = SCAN_DAYS[0], datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    broken = _rules_that_fail_for_aapc()
    engine = make_engine(roster)
    counts = ScanCounts()
    queued = queue_due(engine, broken, LADDER, day, now, counts, SPLIT)
    assert queued and counts.failed
    with engine.begin() as connection:
        pks = list(connection.execute(select(Holder.id)).scalars())
        events.record(connection, pks, "test", now)
    replanned = replan_changed(engine, broken, LADDER, day, now)
    with engine.connect() as connection:
        waiting = events.waiting(connection)
    engine.dispose()
    assert sorted(replanned.failed) == sorted(counts.failed)  # the same holders, the same errors
    assert replanned.holders == 8
    assert waiting == 0  # the events are done with: the next full scan tries again


def _copy_into_organisations(url: str) -> int:
    """Each organisation of the demo roster gets a holder of its own with every roster
    holder's id and records (as organisations creating the same ids through the API would).
    The holders there are afterwards."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO holders (holder_id, full_name, email, timezone, org_pk) "
                "SELECT h.holder_id, h.full_name, o.name || '.' || h.email, h.timezone, o.id "
                "FROM holders h, organisations o WHERE h.org_pk IS NULL"
            )
        )
        copies = (
            "FROM holders h JOIN holders c ON c.holder_id = h.holder_id "
            "AND c.org_pk IS NOT NULL AND h.org_pk IS NULL "
            "JOIN {table} r ON r.holder_pk = h.id"
        )
        for table, columns in (
            ("credentials", "code, body, earned_on"),
            ("memberships", "body, member_id, renews_on, cycle_ends_on, required_ceus"),
            ("ceu_records", ("natural_key, completed_on, hours, title, provider, index_number, "
                             "bodies, categories")),
        ):  # fmt: skip
            picked = ", ".join(f"r.{c.strip()}" for c in columns.split(","))
            connection.execute(
                text(
                    f"INSERT INTO {table} (holder_pk, {columns}) SELECT c.id, {picked} "
                    + copies.format(table=table)
                )
            )
        count = connection.execute(select(func.count()).select_from(Holder)).scalar_one()
    engine.dispose()
    return int(count)


def test_holders_of_one_id_in_several_organisations_are_each_scanned_and_told(
    roster: str,
) -> None:
    """Batches and ranges went by holder_id alone: a batch that ended inside a group of holders
    with one id skipped the rest of the group, and their notices' keys were the same."""
    everyone = _copy_into_organisations(roster)
    assert everyone == 8 * 3
    day, now = SCAN_DAYS[0], datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    engine = make_engine(roster)
    with engine.connect() as connection:
        for batch in (1, 2, 5, 100):
            pks = [h.pk for b in stored_holders(connection, batch=batch) for h in b]
            assert sorted(pks) == sorted(set(pks)) and len(pks) == everyone, batch
        for size in (1, 2, 4):
            ranges = range_bounds(connection, size)
            pks = [h.pk for r in ranges for b in stored_holders(connection, between=r) for h in b]
            assert len(pks) == len(set(pks)) == everyone, size
        planned = list(scan_plans(connection, RULES, LADDER, day))
    counts = ScanCounts()
    queued = queue_due(engine, RULES, LADDER, day, now, counts, SPLIT)
    with engine.connect() as connection:
        keys = list(connection.execute(select(NoticeRecord.key)).scalars())
        recipients = list(connection.execute(select(MessageRecord.to_address)).scalars())
    engine.dispose()
    assert counts.holders == everyone
    roster_keys = [k for k in keys if not k.startswith("org")]
    assert roster_keys and len(keys) == 3 * len(roster_keys) == len(set(keys))
    assert queued == len(recipients) == len(set(recipients)) == len(planned)
    assert len(planned) % 3 == 0  # each roster holder's copies are told as they are
