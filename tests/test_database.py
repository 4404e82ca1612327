"""The store: `reminders init` creates and migrates the schema on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from reminders.db import scope
from reminders.db.engine import make_engine
from reminders.db.migrate import head_revision, upgrade
from reminders.db.models import Base
from tests.conftest import CommandLine
from tests.pgserver import PostgresServer


def test_init_creates_every_table_and_is_idempotent(cli: CommandLine, database_url: str) -> None:
    cli.use(database_url)
    first = cli("init")
    assert first.code == 0, first.err
    assert first.out.startswith("created database ")
    second = cli("init")
    assert second.code == 0
    assert f"is up to date (schema {head_revision()})" in second.out
    engine = make_engine(database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) | {"alembic_version"} == tables


def test_the_migrations_build_exactly_the_models(cli: CommandLine, database_url: str) -> None:
    """A model changed without a migration shows up here, on both databases."""
    cli.use(database_url)
    assert cli("init").code == 0
    engine = make_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_commands_refuse_an_uninitialised_database(cli: CommandLine, database_url: str) -> None:
    cli.use(database_url)
    result = cli("show")
    assert result.code == 1
    assert result.err_lines == ["reminders: the database is not initialised: run `reminders init`"]


def test_check_answers_ok_once_initialised(cli: CommandLine, database_url: str) -> None:
    cli.use(database_url)
    assert cli("check").code == 1
    assert cli("init").code == 0
    result = cli("check")
    assert (result.code, result.out) == (0, "ok\n")


def test_sqlite_runs_in_wal_mode_with_foreign_keys(cli: CommandLine, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'r.db'}"
    cli.use(url)
    assert cli("init").code == 0
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_the_default_database_is_a_file_under_var(cli: CommandLine) -> None:
    result = cli("init")
    assert result.code == 0
    assert result.out == f"created database sqlite:///var/reminders.db (schema {head_revision()})\n"
    assert Path("var/reminders.db").is_file()


def test_an_unreachable_database_is_one_line_and_exit_1(
    cli: CommandLine, postgres: PostgresServer
) -> None:
    cli.use(f"postgresql+psycopg://nobody@127.0.0.1:{postgres.port + 1}/none")
    result = cli("init")
    assert result.code == 1
    assert len(result.err_lines) == 1
    assert result.err_lines[0].startswith("reminders: cannot use the database: ")


def test_init_migrates_an_older_database_and_keeps_its_data(
    cli: CommandLine, database_url: str
) -> None:
    engine = make_engine(database_url)
    assert upgrade(engine, "0001") == (None, "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO holders (holder_id, full_name, email) VALUES ('h-1', 'Ann', 'a@b.org')"
            )
        )
    engine.dispose()
    cli.use(database_url)
    assert cli("show").code == 1  # the schema is older than this version needs
    result = cli("init")
    assert result.out.startswith("migrated database ")
    assert result.out.endswith(f"from schema 0001 to {head_revision()}\n")
    assert "1 holders" in cli("show").out


def test_a_migration_that_copies_a_table_keeps_the_rows_pointing_at_it(
    cli: CommandLine, database_url: str
) -> None:
    """0004 rebuilds `messages` on SQLite; the notices that point at a message must keep it
    (with foreign keys on, dropping the old table would set them all to NULL)."""
    engine = make_engine(database_url)
    upgrade(engine, "0003")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO holders (id, holder_id, full_name, email) "
                "VALUES (1, 'h-1', 'Ann', 'a@b.org')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO messages (id, holder_pk, to_address, state, attempts, created_at) "
                "VALUES (7, 1, 'a@b.org', 'sent', 1, '2026-11-20 08:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO notices (key, holder_pk, body, kind, rung, cycle_end, due_on, "
                "expires_on, state, message_pk, updated_at) VALUES ('k-1', 1, 'AAPC', "
                "'deadline', '90', '2027-01-31', '2026-11-02', '2026-12-17', 'sent', 7, "
                "'2026-11-20 08:00:00')"
            )
        )
    upgrade(engine)
    with engine.connect() as connection:
        carried = connection.execute(text("SELECT message_pk FROM notices")).scalar_one()
        holder = connection.execute(text("SELECT holder_pk FROM messages")).scalar_one()
        foreign_keys_on = (
            connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one()
            if connection.dialect.name == "sqlite"
            else 1
        )
    engine.dispose()
    assert (carried, holder, foreign_keys_on) == (7, 1, 1)


def test_holders_stored_before_organisations_owned_them_stay_on_the_roster(
    database_url: str,
) -> None:
    """0008: every holder stored before stays on the operator's roster, where its id stays
    unique, and stays in its organisations' scope through their teams; an organisation's own
    holder may then use the same id."""
    engine = make_engine(database_url)
    upgrade(engine, "0007")
    with engine.begin() as connection:
        for statement in (
            "INSERT INTO holders (holder_id, full_name, email) VALUES ('h-1', 'Ann', 'a@b.org')",
            "INSERT INTO organisations (name) VALUES ('Riverside')",
            "INSERT INTO teams (org_pk, name) SELECT id, 'Coding' FROM organisations",
            "INSERT INTO team_members (team_pk, holder_pk) SELECT t.id, h.id FROM teams t, holders h",
        ):
            connection.execute(text(statement))
    upgrade(engine)
    with engine.begin() as connection:
        [(ann, owner)] = connection.execute(text("SELECT id, org_pk FROM holders")).all()
        org = connection.execute(text("SELECT id FROM organisations")).scalar_one()
        assert owner is None and scope.holder(connection, org, "h-1") == ann
        connection.execute(
            text(
                "INSERT INTO holders (holder_id, full_name, email, org_pk) "
                f"VALUES ('h-1', 'Bo', 'bo@b.org', {org})"
            )
        )
    for org_pk in ("NULL", str(org)):  # a second roster h-1, a second Riverside h-1
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO holders (holder_id, full_name, email, org_pk) "
                    f"VALUES ('h-1', 'Cy', 'cy@b.org', {org_pk})"
                )
            )
    engine.dispose()
