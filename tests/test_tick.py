"""The daily tick against the full scan, on both databases: two copies of one roster, one
planned by a full scan every day, the other by the tick (the full scan only when the index
cannot be trusted), with the same records changed on the same days; every day both must have
recorded the same notices, while the tick looked at a small part of the roster."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bench.generate import generate as generate_roster_files
from reminders.db import events, preferences, reviews
from reminders.db.engine import make_engine
from reminders.db.models import Holder, HolderReview, NoticeRecord
from reminders.notices.ladder import load_ladder
from reminders.notices.planning import Plan
from reminders.notices.scan import SERIAL, ScanTally, scan_plans
from reminders.notices.service import queue_due, replan_changed
from reminders.notices.tick import choose, plan_chosen, tick, why_full
from reminders.resources import config_dir
from reminders.rules.pace import Pace
from tests.conftest import CommandLine, copy_database, write_csv
from tests.rules_helpers import RULES

LADDER = load_ladder(config_dir() / "notices.yaml")
START = date(2026, 9, 1)
DAYS = 200
HOLDERS = 40
# On these days both worlds get the same new CEUs (the change events re-plan those holders).
CHANGES = {
    20: ("h-0000003,2026-09-20,12,Audit week,AAPC,", "h-0000007,2026-09-20,3,Webinar,AHIMA,"),
    75: ("h-0000011,2026-11-15,20,Boot camp,AAPC,", "h-0000003,2027-01-10,5,Dated ahead,AAPC,"),
    140: ("h-0000015,2027-01-19,30,Conference,AAPC;AHIMA,",),
}


def _notices(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        query = select(NoticeRecord.key, NoticeRecord.state).order_by(NoticeRecord.key)
        return [tuple(row) for row in connection.execute(query)]  # type: ignore[misc]


def _indexed_plans(engine: Engine, day: date) -> list[tuple[str, Plan]]:
    assert why_full(engine, RULES, LADDER, day) is None
    with engine.connect() as connection:
        chosen = choose(connection, day)
        found = plan_chosen(connection, chosen.pks, RULES, LADDER, day, ScanTally())
        return sorted((planned.holder_id, planned.plan) for planned in found)


def _every_plan(engine: Engine, day: date) -> list[tuple[str, Plan]]:
    with engine.connect() as connection:
        found = scan_plans(connection, RULES, LADDER, day, SERIAL, ScanTally())
        return [(planned.holder_id, planned.plan) for planned in found]


def _no_events(engine: Engine) -> None:
    """As if the daemon's change job had run after the import."""
    with engine.begin() as connection:
        events.drop_through(connection, events.newest(connection))


def test_daily_ticks_record_what_daily_full_scans_record(
    cli: CommandLine,
    database_url: str,
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    generate_roster_files(HOLDERS, tmp_path / "roster")
    cli.use(database_url)
    assert cli("init").code == 0
    assert cli("import", "all", tmp_path / "roster").code == 0
    # Dated ahead of the first day: a full scan does not load it, yet it completes a cycle.
    ahead = write_csv(tmp_path / "ahead.csv", "holder_id,completed_on,hours,title,bodies,categories",
                      "h-0000002,2026-10-01,40,Boot camp,AAPC,")  # fmt: skip
    assert cli("import", "ceus", ahead).code == 0
    twin = copy_database(database_url, backend, request, tmp_path, "twin")
    full, ticked = make_engine(database_url), make_engine(twin)
    for engine in (full, ticked):
        _no_events(engine)
    examined = 0
    try:
        for offset in range(DAYS):
            day = START + timedelta(days=offset)
            now = datetime.combine(day, time(6), UTC)
            if offset in CHANGES:
                ceus = write_csv(tmp_path / f"ceus-{offset}.csv",
                                 "holder_id,completed_on,hours,title,bodies,categories",
                                 *CHANGES[offset])  # fmt: skip
                for url, engine in ((database_url, full), (twin, ticked)):
                    cli.use(url)
                    assert cli("import", "ceus", ceus).code == 0
                    assert replan_changed(engine, RULES, LADDER, day, now).holders > 0
            assert queue_due(full, RULES, LADDER, day, now) is not None
            if offset:
                # `reminders plan` from the index lists what a plan of everyone lists.
                assert _indexed_plans(ticked, day) == _every_plan(ticked, day), day
            result = tick(ticked, RULES, LADDER, day, now)
            assert result is not None
            # The first day builds the index with a full scan; every other day ticks.
            assert (result.full is not None) == (offset == 0), (day, result.full)
            if offset:
                examined += result.examined
            assert _notices(ticked) == _notices(full), day
        assert len(_notices(full)) > 30  # the year had plenty to say
        # Far fewer holder-days looked at than a daily full scan's.
        assert examined < HOLDERS * (DAYS - 1) / 5, examined
    finally:
        full.dispose()
        ticked.dispose()


def test_a_change_writes_the_holders_new_day(cli: CommandLine, roster: str, tmp_path: Path) -> None:
    """A CEU dated ahead, imported today: the change's re-planning makes its day the holder's
    next review, whatever the full scan had said."""
    engine = make_engine(roster)
    day, now = date(2026, 11, 24), datetime(2026, 11, 24, 6, tzinfo=UTC)
    try:
        assert tick(engine, RULES, LADDER, day, now) is not None  # builds the index
        _no_events(engine)
        with engine.connect() as connection:
            [(pk, before)] = connection.execute(
                select(HolderReview.holder_pk, HolderReview.review_on)
                .join(Holder, Holder.id == HolderReview.holder_pk)
                .where(Holder.holder_id == "h-002")
            ).all()
        ahead = day + timedelta(days=3)
        assert ahead < before  # else the test would prove nothing
        cli.use(roster)
        ceus = write_csv(tmp_path / "ceus.csv", "holder_id,completed_on,hours,title,bodies,categories",
                         f"h-002,{ahead},2,Webinar,AAPC,")  # fmt: skip
        assert cli("import", "ceus", ceus).code == 0
        assert replan_changed(engine, RULES, LADDER, day, now).holders == 1
        with engine.connect() as connection:
            after = connection.execute(
                select(HolderReview.review_on).where(HolderReview.holder_pk == pk)
            ).scalar_one()
        assert after == ahead
    finally:
        engine.dispose()


def test_the_tick_runs_the_full_scan_when_the_index_cannot_be_trusted(
    cli: CommandLine, roster: str
) -> None:
    engine = make_engine(roster)
    day, now = date(2026, 11, 24), datetime(2026, 11, 24, 6, tzinfo=UTC)
    try:
        assert why_full(engine, RULES, LADDER, day) == "the index has not been built yet"
        first = tick(engine, RULES, LADDER, day, now)
        assert first is not None and first.full == "the index has not been built yet"
        assert first.evaluated == 8 and first.queued > 0
        with engine.connect() as connection:
            state = reviews.state(connection)
            assert state is not None and state.planned_as_of == day
            assert len(reviews.due(connection, date(2099, 1, 1))) == 8  # every holder has a day
        assert why_full(engine, RULES, LADDER, day + timedelta(days=1)) is None
        again = tick(engine, RULES, LADDER, day + timedelta(days=1), now)
        assert again is not None and again.full is None and again.examined < 8
        slower = RULES.__class__(RULES.bodies, Pace(slack_days=10), RULES.missing_history)
        assert "changed since it was built" in (why_full(engine, slower, LADDER, day) or "")
        assert "days were missed" in (
            why_full(engine, RULES, LADDER, day + timedelta(days=5)) or ""
        )
    finally:
        engine.dispose()


def test_a_change_of_preference_re_plans_the_holders_of_the_address(roster: str) -> None:
    """Their review day was worked out with the ladder of their old level: a coder going from
    the final notices to all of them must not wait for it."""
    engine = make_engine(roster)
    now = datetime(2026, 11, 24, 6, tzinfo=UTC)
    try:
        _no_events(engine)
        with engine.begin() as connection:
            preferences.choose(connection, "maria.alvarez@riverside.example", "final", now)
        with engine.connect() as connection:
            taken, _, _ = events.take(connection)
            [maria] = connection.execute(
                select(Holder.id).where(Holder.holder_id == "h-001")
            ).scalars()
        assert taken == [maria]
    finally:
        engine.dispose()


def test_a_tick_plans_the_holders_whose_records_changed_since(
    cli: CommandLine, roster: str, tmp_path: Path
) -> None:
    """An import with no daemon running: its change events wait; the next tick plans those
    holders too, and is done with the events."""
    engine = make_engine(roster)
    day, now = date(2026, 11, 24), datetime(2026, 11, 24, 6, tzinfo=UTC)
    try:
        assert tick(engine, RULES, LADDER, day, now) is not None  # the full scan: the index
        cli.use(roster)
        # Maria (h-001) completes her AAPC cycle: a "complete" notice is due at once.
        ceus = write_csv(tmp_path / "ceus.csv", "holder_id,completed_on,hours,title,bodies,categories",
                         "h-001,2026-11-20,18.5,Audit Week,AAPC,auditing")  # fmt: skip
        assert cli("import", "ceus", ceus).code == 0
        later = tick(engine, RULES, LADDER, day + timedelta(days=1), now)
        assert later is not None and later.full is None
        keys = [key for key, state in _notices(engine) if state == "queued"]
        assert any(key.startswith("h-001|AAPC|") and "|complete|" in key for key in keys), keys
        with engine.connect() as connection:
            assert events.waiting(connection) == 0
    finally:
        engine.dispose()
