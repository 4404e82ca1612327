"""Shared fixtures: every test that takes `database_url` runs twice, on a SQLite file and on a
real PostgreSQL server that this harness starts itself; the command line runs in-process."""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import settings
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.sql.expression import Executable

from reminders.app import App
from reminders.cli import main
from reminders.db.engine import make_engine
from reminders.settings import load_settings
from reminders.web.server import build
from tests.pgserver import PostgresServer
from tests.smtpserver import SmtpServer
from tests.webserver import serving

# `make mutation` runs the core's tests once for each of a thousand mutants: a quarter of the
# examples there (--hypothesis-profile=mutation; tests.rules_helpers.examples).
settings.register_profile("mutation", max_examples=25)

_database_names = itertools.count(1)
_backend_runs: dict[str, list[str]] = {"sqlite": [], "postgresql": []}
_servers: list[PostgresServer] = []


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No REMINDERS_* variable or `.env` file of the developer's leaks into a test."""
    for name in list(os.environ):
        if name.startswith("REMINDERS_"):
            monkeypatch.delenv(name)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    _servers.append(server)
    yield server
    server.stop()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    _backend_runs[name].append(request.node.nodeid)
    return name


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'reminders.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database(f"test_{os.getpid()}_{next(_database_names)}")


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CommandLine:
    return CommandLine(capsys, monkeypatch)


class CommandLine:
    """Runs `reminders ...` in this process, the way a shell would, and returns what it printed."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
        self._capsys = capsys
        self._monkeypatch = monkeypatch

    def use(self, database_url: str) -> None:
        self._monkeypatch.setenv("REMINDERS_DATABASE_URL", database_url)

    def __call__(self, *argv: str | Path) -> Result:
        self._capsys.readouterr()
        try:
            main([str(arg) for arg in argv])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        else:  # pragma: no cover - main() always exits
            code = -1
        captured = self._capsys.readouterr()
        return Result(code, captured.out, captured.err)


@pytest.fixture
def initialised(cli: CommandLine, database_url: str) -> str:
    cli.use(database_url)
    result = cli("init")
    assert result.code == 0, result.err
    return database_url


def database_state(url: str) -> object:
    """Something equal before and after an operation exactly when the database is unchanged.

    SQLite: the bytes of the file (and of its write-ahead log, if one is left). PostgreSQL,
    where a rolled-back insert still advances sequences: every row of every table.
    """
    engine = make_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            database = engine.url.database
            assert database is not None
            engine.dispose()
            parts = [Path(database), Path(database + "-wal")]
            return [hashlib.sha256(p.read_bytes()).hexdigest() for p in parts if p.exists()]
        with engine.connect() as connection:
            state = {}
            for table in sorted(inspect(connection).get_table_names()):
                rows = connection.execute(text(f"SELECT * FROM {table}")).all()
                state[table] = sorted(map(repr, rows))
            return state
    finally:
        engine.dispose()


def database_rows(url: str) -> dict[str, list[str]]:
    """Every row of every table: what a running server may not change, on either database
    (a live SQLite connection changes the file's bytes without changing its data). The rate
    limits' buckets are left out: every request counts against them, by design."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table: sorted(map(repr, connection.execute(text(f"SELECT * FROM {table}")).all()))
                for table in sorted(inspect(connection).get_table_names())
                if table != "rate_limits"
            }
    finally:
        engine.dispose()


def rows(url: str, statement: Executable) -> list[Any]:
    """Every row a statement returns, read on a connection of its own."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(statement).all())
    finally:
        engine.dispose()


def write_csv(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join((header, *rows)) + "\n", encoding="utf-8")
    return path


def demo_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "config" / "demo"


def copy_demo(destination: Path, only: Sequence[str] | None = None) -> Path:
    destination.mkdir(parents=True, exist_ok=True)
    for source in demo_dir().glob("*.csv"):
        if only is None or source.stem in only:
            shutil.copy(source, destination / source.name)
    return destination


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests ran on each database, so a missing PostgreSQL run cannot go unseen."""
    if not any(_backend_runs.values()):
        return  # a run of tests that use no database (make docker-test, a -k selection)
    stats = terminalreporter.stats
    passed = {report.nodeid for report in stats.get("passed", [])}
    terminalreporter.section("database backends")
    for server in _servers:
        terminalreporter.write_line(
            f"postgresql: server {server.version} from {server.bindir}, started on port {server.port}"
        )
    for name, nodeids in _backend_runs.items():
        ok = sum(1 for nodeid in nodeids if nodeid in passed)
        terminalreporter.write_line(f"{name}: {len(nodeids)} tests ran, {ok} passed")


_rosters: dict[str, str] = {}


@pytest.fixture
def roster(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A database initialised and loaded with the demo roster (config/demo/), fresh per test.

    Built once per run and copied (SQLite) or cloned as a template (PostgreSQL) for each test.
    """
    if backend not in _rosters:
        if backend == "sqlite":
            source = f"sqlite:///{tmp_path_factory.mktemp('roster') / 'roster.db'}"
        else:
            server: PostgresServer = request.getfixturevalue("postgres")
            source = server.create_database("roster_template")
        _load_demo(source)
        _rosters[backend] = source
    source = _rosters[backend]
    if backend == "sqlite":
        copy = request.getfixturevalue("tmp_path") / "roster.db"
        shutil.copy(make_engine(source).url.database or "", copy)
        return f"sqlite:///{copy}"
    server = request.getfixturevalue("postgres")
    return server.create_database(
        f"test_{os.getpid()}_{next(_database_names)}", template="roster_template"
    )


def copy_database(
    url: str, backend: str, request: pytest.FixtureRequest, tmp_path: Path, suffix: str
) -> str:
    """A copy of the database at `url` (no connection to it may be open), named with `suffix`."""
    if backend == "sqlite":
        copy = tmp_path / f"{suffix}.db"
        shutil.copy(make_url(url).database or "", copy)
        return f"sqlite:///{copy}"
    name = make_url(url).database
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database(f"{name}_{suffix}", name)


def _load_demo(url: str) -> None:
    previous = os.environ.get("REMINDERS_DATABASE_URL")
    os.environ["REMINDERS_DATABASE_URL"] = url
    try:
        for argv in (["init"], ["import", "all", str(demo_dir())]):
            try:
                main(argv)
            except SystemExit as exc:
                assert exc.code == 0, f"reminders {' '.join(argv)} failed"
    finally:
        if previous is None:
            del os.environ["REMINDERS_DATABASE_URL"]
        else:
            os.environ["REMINDERS_DATABASE_URL"] = previous


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture
def mail_env(monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpServer) -> SmtpServer:
    """Settings that send to the test's SMTP server, with a signing key."""
    monkeypatch.setenv("REMINDERS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("REMINDERS_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("REMINDERS_SECRET_KEY", SECRET)
    monkeypatch.setenv("REMINDERS_BASE_URL", "https://reminders.example.org")
    return smtp_server


@pytest.fixture
def site(cli: CommandLine, roster: str, mail_env: SmtpServer) -> Iterator[httpx.Client]:
    """The application on a real port over the demo roster, as of the demo's day (2026-11-24);
    mail goes to the test's SMTP server."""
    cli.use(roster)
    app = App(load_settings(), as_of=date(2026, 11, 24))
    with serving(build(app)) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client
    app.close()
