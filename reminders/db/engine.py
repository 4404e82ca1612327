"""Engines for SQLite (the default) and PostgreSQL (psycopg 3), set up the way the service needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url

SQLITE_BUSY_TIMEOUT_MS = 10_000


def conflict_insert(connection: Connection, table: Any) -> Any:
    """An INSERT that can say ON CONFLICT DO NOTHING, in the connection's dialect (both
    databases spell it alike; the core `insert` cannot)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def normalise_url(url: str | URL) -> URL:
    """Pick psycopg 3 for a bare `postgresql://` URL; SQLAlchemy would look for psycopg2."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _prepare_sqlite_file(url: URL) -> None:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so that a
        # rolled-back import really leaves nothing behind (the SQLAlchemy SQLite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A writer that starts deferred can fail with SQLITE_BUSY without waiting when it
        # upgrades to a write lock; writers ask for `sqlite_begin="IMMEDIATE"` up front.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        _prepare_sqlite_file(parsed)
        engine = create_engine(parsed, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(parsed, pool_pre_ping=True, **kwargs)


class GrowingTables:
    """Keeps PostgreSQL's statistics of tables that one long transaction fills (a full scan's
    messages, notices and review days) up to date as they grow.

    PostgreSQL plans a statement it runs again and again (the foreign-key check of each row
    inserted, psycopg's prepared statements) once, for the size the table had then: a table
    empty when the scan began is then scanned whole for every row inserted into a table that
    points at it, and the scan's time grows with the square of the roster (a first full scan
    of 100,000 holders took 199 s). ANALYZE within the transaction counts its own rows and makes
    those plans be made again; run each time the rows written double, it costs a few
    statements a scan. SQLite plans each statement afresh: nothing to do."""

    FIRST = 2_000

    def __init__(self, *tables: str) -> None:
        self.tables = tables
        self.rows, self.next = 0, self.FIRST

    def wrote(self, connection: Connection, rows: int) -> None:
        """`rows` more rows were written to the tables, in `connection`'s transaction."""
        self.rows += rows
        if connection.dialect.name == "postgresql" and self.rows >= self.next:
            for table in self.tables:
                connection.exec_driver_sql(f"ANALYZE {table}")
            self.next = 2 * self.rows
