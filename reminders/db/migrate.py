"""Alembic, driven from code: `reminders init` upgrades to the newest schema, and every other
command checks that the schema is current before it touches data."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class SchemaNotCurrent(Exception):
    """The database is empty or older than this version of the service."""


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the package ships without migrations"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate to the newest schema (or `revision`); returns the revisions before and after.
    Idempotent."""
    before = current_revision(engine)
    config = _config()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying it and dropping the old one; with foreign keys
            # on, that drop would fire ON DELETE actions on the rows pointing at it. The pragma
            # only takes effect outside a transaction, hence the raw DBAPI connection.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
    return before, current_revision(engine)


def require_current(engine: Engine) -> None:
    current = current_revision(engine)
    if current is None:
        raise SchemaNotCurrent("the database is not initialised: run `reminders init`")
    if current != head_revision():
        raise SchemaNotCurrent(
            f"the database schema is at {current}, this version needs {head_revision()}: "
            "run `reminders init` to migrate it"
        )
