"""`reminders import`: the six files, upserts on natural keys, and all-or-nothing on bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, event, func, select

from reminders.db import orgs
from reminders.db.engine import make_engine
from reminders.db.models import CeuRecord, ChangeEvent, Credential, Holder, Subscription
from reminders.imports.runner import import_objects
from tests.conftest import CommandLine, copy_demo, database_state, demo_dir, write_csv
from tests.conftest import rows as _rows
from tests.pgserver import PostgresServer
from tests.rules_helpers import RULES


def test_the_demo_roster_imports_and_a_second_import_changes_nothing(
    cli: CommandLine, initialised: str
) -> None:
    first = cli("import", "all", demo_dir())
    assert first.code == 0, first.err
    assert first.err == ""
    names = [line.split(": ")[0].rsplit("/", 1)[-1] for line in first.out.splitlines()]
    assert names == [
        "holders.csv", "credentials.csv", "memberships.csv", "ceus.csv", "teams.csv",
        "subscriptions.csv",
    ]  # fmt: skip
    assert "holders.csv: 8 added, 0 changed, 0 unchanged" in first.out
    assert "ceus.csv: 20 added, 0 changed, 0 unchanged" in first.out
    assert "teams.csv: 8 added, 0 changed, 0 unchanged (2 new organisations, 4 new teams)" in (
        first.out
    )
    before = database_state(initialised)
    again = cli("import", "all", demo_dir())
    assert again.code == 0
    assert all(" 0 added, 0 changed, " in line for line in again.out.splitlines())
    single = cli("import", "ceus", demo_dir() / "ceus.csv")
    assert single.out.endswith("ceus.csv: 0 added, 0 changed, 20 unchanged\n")
    assert database_state(initialised) == before


def test_changed_rows_are_updated_and_new_rows_added(
    cli: CommandLine, roster: str, tmp_path: Path
) -> None:
    cli.use(roster)
    path = write_csv(
        tmp_path / "holders.csv",
        "holder_id,full_name,email,timezone",
        "h-001,Maria Alvarez-Soto,maria.alvarez@riverside.example,America/Chicago",
        "h-002,James Okafor,james.okafor@riverside.example,America/Chicago",
        "h-100,Ana Lima,ana.lima@example.org,",
    )
    result = cli("import", "holders", path)
    assert result.code == 0, result.err
    assert result.out == f"{path}: 1 added, 1 changed, 1 unchanged\n"
    names = dict(_rows(roster, select(Holder.holder_id, Holder.full_name)))
    assert names["h-001"] == "Maria Alvarez-Soto"
    assert names["h-100"] == "Ana Lima"
    assert len(names) == 9


def test_an_import_records_a_change_event_per_affected_holder(
    cli: CommandLine, roster: str, tmp_path: Path
) -> None:
    cli.use(roster)
    before = _rows(roster, select(func.count()).select_from(ChangeEvent))[0][0]
    path = write_csv(
        tmp_path / "ceus.csv",
        "holder_id,completed_on,hours,title,bodies",
        "h-002,2026-10-01,1,Compliance Basics,AAPC",
        "h-002,2026-10-02,2,Compliance Advanced,AAPC",
        "h-006,2025-02-03,4,Outpatient Facility Coding,AAPC",
    )
    assert cli("import", "ceus", path).code == 0
    events = _rows(
        roster,
        select(Holder.holder_id, ChangeEvent.reason)
        .join(Holder, Holder.id == ChangeEvent.holder_pk)
        .order_by(ChangeEvent.id),
    )
    # h-006's row is new too (no index number: the key is date and title); h-002 gets one event.
    assert events[before:] == [("h-002", "ceus"), ("h-006", "ceus")]


def test_columns_in_any_order_a_bom_and_absent_optional_columns(
    cli: CommandLine, roster: str, tmp_path: Path
) -> None:
    cli.use(roster)
    path = tmp_path / "ceus.csv"
    path.write_bytes(
        "\ufeffbodies,hours,holder_id,title,completed_on\r\n"
        "AAPC;AHIMA,1.25,h-005,Coding Clinic Q3,2026-09-30\r\n".encode()
    )
    result = cli("import", "ceus", path)
    assert result.code == 0, result.err
    columns = (CeuRecord.hours, CeuRecord.completed_on, CeuRecord.bodies, CeuRecord.categories)
    rows = _rows(
        roster,
        select(*columns, CeuRecord.index_number, CeuRecord.provider, Holder.holder_id)
        .join(Holder)
        .where(CeuRecord.title == "Coding Clinic Q3"),
    )
    assert rows == [(Decimal("1.25"), date(2026, 9, 30), "AAPC;AHIMA", "", None, None, "h-005")]


def test_a_course_with_an_index_number_is_one_record_per_holder(
    cli: CommandLine, roster: str, tmp_path: Path
) -> None:
    """The same index number again is the same course: an update, never a second record."""
    cli.use(roster)
    path = write_csv(
        tmp_path / "ceus.csv",
        "holder_id,completed_on,hours,title,index_number,bodies",
        "h-001,2025-05-20,2,Auditing E/M Services (retake),AAPC-15C4D7,AAPC",
    )
    result = cli("import", "ceus", path)
    assert result.out == f"{path}: 0 added, 1 changed, 0 unchanged\n"
    rows = _rows(
        roster,
        select(CeuRecord.title, CeuRecord.completed_on, CeuRecord.categories).where(
            CeuRecord.index_number == "AAPC-15C4D7"
        ),
    )
    assert rows == [("Auditing E/M Services (retake)", date(2025, 5, 20), "")]


def test_holders_of_the_same_import_run_count(
    cli: CommandLine, initialised: str, tmp_path: Path
) -> None:
    folder = copy_demo(tmp_path / "roster", only=["holders", "credentials"])
    assert cli("import", "all", folder).code == 0
    assert len(_rows(initialised, select(Credential.id))) == 13


def test_a_credential_implies_its_body(cli: CommandLine, roster: str) -> None:
    bodies = dict(
        _rows(roster, select(Credential.code, Credential.body).where(Credential.holder_pk <= 3))
    )
    assert bodies == {"CPC": "AAPC", "CPMA": "AAPC", "CCS": "AHIMA", "RHIT": "AHIMA"}


def test_a_subscription_to_a_whole_organisation_is_a_key_of_its_own(
    cli: CommandLine, roster: str, tmp_path: Path
) -> None:
    cli.use(roster)
    path = write_csv(
        tmp_path / "subscriptions.csv",
        "org,team,email,frequency,timezone",
        "Riverside Health,,coding.manager@riverside.example,monthly,America/Chicago",
        "Riverside Health,Professional Coding,coding.manager@riverside.example,weekly,",
    )
    result = cli("import", "subscriptions", path)
    assert result.out == f"{path}: 1 added, 1 changed, 0 unchanged\n"
    assert cli("import", "subscriptions", path).out == f"{path}: 0 added, 0 changed, 2 unchanged\n"
    frequencies = sorted(
        _rows(roster, select(Subscription.team_pk.is_(None), Subscription.frequency))
    )
    assert frequencies == [
        (False, "monthly"),
        (False, "weekly"),
        (True, "monthly"),
        (True, "weekly"),
    ]


def test_import_all_needs_a_directory_with_import_files(
    cli: CommandLine, roster: str, tmp_path: Path
) -> None:
    cli.use(roster)
    empty = tmp_path / "empty"
    empty.mkdir()
    result = cli("import", "all", empty)
    assert result.code == 2
    assert result.err_lines == [
        (
            f"reminders: {empty}: none of holders.csv, credentials.csv, memberships.csv, "
            "ceus.csv, teams.csv, subscriptions.csv is there"
        )
    ]


def test_a_missing_file_and_an_unknown_kind_are_usage_errors(cli: CommandLine, roster: str) -> None:
    cli.use(roster)
    missing = cli("import", "holders", "nowhere.csv")
    assert (missing.code, missing.err_lines) == (2, ["reminders: nowhere.csv: no such file"])
    unknown = cli("import", "people", "x.csv")
    assert unknown.code == 2
    assert len(unknown.err_lines) == 1
    assert "'people' is not one of 'holders', 'credentials'" in unknown.err


def test_progress_follows_the_bytes_read(roster: str, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from reminders.imports.runner import import_files
    from reminders.resources import bodies_dir
    from reminders.rules.loader import load_rulebook

    rows = [f"h-{n:04},Holder Number,holder{n}@example.org," for n in range(20_000)]
    path = write_csv(tmp_path / "holders.csv", "holder_id,full_name,email,timezone", *rows)
    seen: list[tuple[str, int, int]] = []
    engine = make_engine(roster)
    import_files(
        engine,
        load_rulebook(bodies_dir()),
        [("holders", path, "holders.csv")],
        datetime(2026, 11, 24, tzinfo=UTC),
        report=lambda problem: pytest.fail(str(problem)),
        progress=lambda name, done, total: seen.append((name, done, total)),
    )
    engine.dispose()
    size = path.stat().st_size
    assert len(seen) > 1
    assert [done for _, done, _ in seen] == sorted(done for _, done, _ in seen)
    assert seen[-1] == ("holders.csv", size, size)


def test_an_import_into_an_emptied_and_analysed_table_plans_no_scan_per_row(
    cli: CommandLine, roster: str
) -> None:
    """Emptied and analysed, ceu_records is planned as empty; an anti-join with it became a
    scan of the table for every staged row, growing as the insert filled it (a million-row
    import ran for hours on PostgreSQL). The insert into an empty table needs no anti-join."""
    engine = make_engine(roster)
    with engine.begin() as connection:
        connection.execute(delete(CeuRecord))
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("ANALYZE")
    if engine.dialect.name == "postgresql":  # VACUUM leaves the table no pages at all
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE ceu_records")
    engine.dispose()
    plans: list[str] = []

    def explain(_c: object, cursor: Any, statement: str, parameters: Any, *_: object) -> None:
        if statement.startswith("INSERT INTO ceu_records"):
            prefix = "EXPLAIN QUERY PLAN " if roster.startswith("sqlite") else "EXPLAIN "
            cursor.execute(prefix + statement, parameters)
            plans.append("\n".join(str(row) for row in cursor.fetchall()))

    event.listen(Engine, "before_cursor_execute", explain)
    try:
        cli.use(roster)
        result = cli("import", "ceus", demo_dir() / "ceus.csv")
    finally:
        event.remove(Engine, "before_cursor_execute", explain)
    assert result.code == 0, result.err
    assert result.out.endswith("ceus.csv: 20 added, 0 changed, 0 unchanged\n")
    assert len(plans) == 1
    assert "ceu_records" not in plans[0].split("\n", 1)[-1], plans[0]  # read nowhere below
    assert _rows(roster, select(func.count()).select_from(CeuRecord)) == [(20,)]


def test_names_of_every_script_and_punctuation_people_use_are_taken(
    cli: CommandLine, initialised: str, tmp_path: Path
) -> None:
    names = ["Zoë O’Brien-Ørsted", "José María de la Cruz", "Nguyễn Thị Minh Khai",
             "محمد عبد الله", "山田 太郎", "Mary-Kate Smith, Jr.", "Ana (Ani) Lima"]  # fmt: skip
    rows = [f'h-{n},"{name}",p{n}@example.org,' for n, name in enumerate(names)]
    path = write_csv(tmp_path / "holders.csv", "holder_id,full_name,email,timezone", *rows)
    result = cli("import", "holders", path)
    assert result.code == 0, result.err
    assert f"{len(names)} added" in result.out


def test_the_csv_files_keep_the_operators_roster_apart_from_organisations_holders(
    cli: CommandLine, roster: str, tmp_path: Path
) -> None:
    """An organisation's own holder (made through the API) of an id the roster also uses, and
    one of an id only it uses: the CSV files reach neither, and make a roster holder of their
    own rather than change the organisation's."""
    cli.use(roster)
    engine = make_engine(roster)
    with engine.connect() as connection:
        org = orgs.find(connection, "Summit Billing Partners")
    assert org is not None
    theirs = [
        {"holder_id": "h-002", "full_name": "Bo Chen", "email": "bo@summit.example"},
        {"holder_id": "s-1", "full_name": "Cy Diaz", "email": "cy@summit.example"},
    ]
    import_objects(engine, RULES, [("holders", theirs)], datetime.now(UTC), owner=org)
    before = _rows(roster, select(Holder.holder_id, Holder.full_name).where(Holder.org_pk == org))
    write_csv(tmp_path / "ceus.csv", "holder_id,completed_on,hours,title,bodies",
              "s-1,2026-11-20,2,Audit,AAPC")  # fmt: skip
    refused = cli("import", "ceus", tmp_path / "ceus.csv")
    assert refused.code == 2
    assert "ceus.csv:2: holder_id: no holder 's-1'" in refused.err
    write_csv(tmp_path / "holders.csv", "holder_id,full_name,email",
              "s-1,Dee Evans,dee@example.org", "h-002,Kim Ode,kim@example.org")  # fmt: skip
    result = cli("import", "holders", tmp_path / "holders.csv")
    assert result.code == 0, result.err
    assert result.out.endswith("holders.csv: 1 added, 1 changed, 0 unchanged\n")
    after = _rows(roster, select(Holder.holder_id, Holder.full_name).where(Holder.org_pk == org))
    assert after == before
    named = sorted(_rows(roster, select(Holder.full_name).where(Holder.holder_id == "s-1")))
    assert named == [("Cy Diaz",), ("Dee Evans",)]
    # Summit's own h-002 and the roster's h-002 cannot both be in Summit's scope.
    write_csv(tmp_path / "teams.csv", "org,team,holder_id",
              "Summit Billing Partners,Coding,h-002", "Riverside Health,Coding,s-1")  # fmt: skip
    clash = cli("import", "teams", tmp_path / "teams.csv")
    assert clash.code == 2
    assert clash.err.splitlines()[0] == (
        f"{tmp_path / 'teams.csv'}:2: holder_id: organisation 'Summit Billing Partners' has a "
        "holder 'h-002' of its own (made with its API key); the roster's cannot join its teams "
        "under the same id"
    )
    engine.dispose()


def test_postgresql_counts_the_holders_an_import_added_before_the_next_file_looks_them_up(
    cli: CommandLine, postgres: PostgresServer, tmp_path: Path
) -> None:
    """`import all` looks the holders of each later file up by a statement PostgreSQL plans
    once for the size `holders` had then: planned on an empty table, a sequential scan for
    every batch. The import analyses `holders` after adding to it; without, the statistics
    still say the table is empty (autovacuum, which would catch up later, is off here)."""
    url = postgres.create_database("imports_analyse")
    cli.use(url)
    assert cli("init").code == 0
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE holders SET (autovacuum_enabled = false)")
        connection.exec_driver_sql("ANALYZE holders")
    letters = "abcdefghijklmnopqrstuvwxyz"
    lines = [f"h-{n:05d},Holder {letters[n % 26]}{letters[n // 26 % 26]},h{n}@example.org,"
             for n in range(3_000)]  # fmt: skip
    holders = write_csv(tmp_path / "holders.csv", "holder_id,full_name,email,timezone", *lines)
    assert cli("import", "holders", holders).code == 0
    with engine.connect() as connection:
        counted = connection.exec_driver_sql(
            "SELECT reltuples FROM pg_class WHERE relname = 'holders'"
        ).scalar_one()
    engine.dispose()
    assert counted == 3_000
