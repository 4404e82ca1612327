"""Set-based checks and upserts of a staged import file, inside the import's transaction.

Rows that passed the cell checks wait in a temporary table; the checks that need the database
(keys repeated in the file, holders, organisations and teams that must exist) and the upsert
itself are a handful of SQL statements over the whole file rather than one round trip a row,
which keeps a million-row import fast and its memory flat.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    FromClause,
    Integer,
    MetaData,
    Result,
    Select,
    String,
    Table,
    and_,
    case,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from reminders.db.models import Base
from reminders.imports.kinds import Kind, Row

Report = Callable[[int, str, str], None]
"""Called with (line, column, message) for each problem found."""

_tables = Base.metadata.tables
HOLDERS = _tables["holders"]
ORGANISATIONS = _tables["organisations"]
TEAMS = _tables["teams"]
CHANGE_EVENTS = _tables["change_events"]


@dataclass
class Counts:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.added + self.changed + self.unchanged


class Stage:
    """The temporary table that holds one file's checked rows until they are applied."""

    def __init__(self, connection: Connection, kind: Kind) -> None:
        self.connection = connection
        self.kind = kind
        self.table = Table(
            f"import_stage_{kind.name}",
            MetaData(),
            Column("line", Integer, primary_key=True),
            *(column.column() for column in kind.staged),
            Column("holder_pk", Integer),
            Column("org_pk", Integer),
            Column("team_pk", Integer),
            Column("action", String(8)),
            prefixes=["TEMPORARY"],
        )
        self.table.create(connection)
        self._insert_sql = self._driver_insert()

    def _driver_insert(self) -> str:
        names = ["line", *(column.name for column in self.kind.staged)]
        marker = "?" if self.connection.dialect.paramstyle == "qmark" else "%s"
        return (
            f"INSERT INTO {self.table.name} ({', '.join(names)}) "
            f"VALUES ({', '.join([marker] * len(names))})"
        )

    def load(self, rows: Sequence[Row]) -> None:
        """Append rows of (line, *staged values), straight through the driver."""
        if not rows:
            return
        if self.connection.dialect.name == "postgresql":
            self._copy(rows)
        else:
            self.connection.exec_driver_sql(self._insert_sql, list(rows))

    def _copy(self, rows: Sequence[Row]) -> None:
        names = ["line", *(column.name for column in self.kind.staged)]
        raw = self.connection.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor:
            statement = f"COPY {self.table.name} ({', '.join(names)}) FROM STDIN"
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)

    def loaded(self) -> None:
        """Index the staged rows once they are all in, for the checks that follow."""
        key = ", ".join(self.kind.key)
        self.connection.exec_driver_sql(
            f"CREATE INDEX {self.table.name}_key ON {self.table.name} ({key})"
        )
        if self.connection.dialect.name == "postgresql":
            self.connection.exec_driver_sql(f"ANALYZE {self.table.name}")

    def drop(self) -> None:
        self.table.drop(self.connection)


def _same(left: ColumnElement[Any], right: ColumnElement[Any], nullable: bool) -> Any:
    return left.is_not_distinct_from(right) if nullable else left == right


def _key_match(target: FromClause, stage: Table, key: Iterable[str]) -> ColumnElement[bool]:
    return and_(
        *(_same(target.c[name], stage.c[name], bool(stage.c[name].nullable)) for name in key)
    )


def report_repeated_keys(stage: Stage, report: Report) -> None:
    """Each row whose key an earlier row of the file already has is an error, then dropped."""
    table, kind = stage.table, stage.kind
    first = (
        select(*(table.c[name] for name in kind.key), func.min(table.c.line).label("first"))
        .group_by(*(table.c[name] for name in kind.key))
        .having(func.count() > 1)
        .subquery()
    )
    query = (
        select(table.c.line, first.c.first)
        .join(first, _key_match(first, table, kind.key))
        .where(table.c.line > first.c.first)
        .order_by(table.c.line)
    )
    if not _report_each(stage.connection.execute(query), kind.key_column, _repeats, report):
        return
    earlier = table.alias("earlier")
    stage.connection.execute(
        delete(table).where(
            exists()
            .where(_key_match(earlier, table, kind.key))
            .where(earlier.c.line < table.c.line)
        )
    )


def _repeats(first_line: int) -> str:
    return f"repeats the key of line {first_line}"


def _report_each(
    rows: Result[int, Any], column: str, message: Callable[[Any], str], report: Report
) -> int:
    """Report each (line, value) row; returns how many there were."""
    number = 0
    for line, value in rows:
        report(line, column, message(value))
        number += 1
    return number


def _report_missing(
    stage: Stage, column: str, staged: str, pk: str, message: Callable[[Any], str], report: Report
) -> None:
    """Report and drop the rows whose `staged` value did not resolve to a row id in `pk`."""
    table = stage.table
    missing = stage.connection.execute(
        select(table.c.line, table.c[staged]).where(table.c[pk].is_(None)).order_by(table.c.line)
    )
    if _report_each(missing, column, message, report):
        stage.connection.execute(delete(table).where(table.c[pk].is_(None)))


def resolve_holders(stage: Stage, report: Report) -> None:
    table = stage.table
    holder = select(HOLDERS.c.id).where(HOLDERS.c.holder_id == table.c.holder_ref)
    stage.connection.execute(update(table).values(holder_pk=holder.scalar_subquery()))
    _report_missing(
        stage,
        "holder_id",
        "holder_ref",
        "holder_pk",
        lambda ref: f"no holder {ref!r} in the database or in this import's holders.csv",
        report,
    )


def _resolve_org(stage: Stage) -> None:
    table = stage.table
    org = select(ORGANISATIONS.c.id).where(ORGANISATIONS.c.name == table.c.org)
    stage.connection.execute(update(table).values(org_pk=org.scalar_subquery()))


def _resolve_team(stage: Stage, where: ColumnElement[bool] | None = None) -> None:
    table = stage.table
    team = select(TEAMS.c.id).where(TEAMS.c.org_pk == table.c.org_pk, TEAMS.c.name == table.c.team)
    statement = update(table).values(team_pk=team.scalar_subquery())
    stage.connection.execute(statement if where is None else statement.where(where))


def _insert_new(
    connection: Connection, target: Table, columns: list[str], rows: Select[Any]
) -> int:
    # Counted first: the drivers disagree on the rowcount of INSERT ... SELECT (psycopg: -1).
    number = connection.execute(select(func.count()).select_from(rows.subquery())).scalar_one()
    if number:
        connection.execute(insert(target).from_select(columns, rows))
    return int(number)


def create_teams(stage: Stage) -> list[str]:
    """teams.csv names organisations and teams; the ones not yet known are created."""
    connection, table = stage.connection, stage.table
    new_orgs = (
        select(table.c.org).distinct().where(~exists().where(ORGANISATIONS.c.name == table.c.org))
    )
    orgs = _insert_new(connection, ORGANISATIONS, ["name"], new_orgs)
    _resolve_org(stage)
    new_teams = (
        select(table.c.org_pk, table.c.team)
        .distinct()
        .where(~exists().where(TEAMS.c.org_pk == table.c.org_pk, TEAMS.c.name == table.c.team))
    )
    teams = _insert_new(connection, TEAMS, ["org_pk", "name"], new_teams)
    _resolve_team(stage)
    notes = []
    if orgs:
        notes.append(f"{orgs} new organisation{'s' if orgs != 1 else ''}")
    if teams:
        notes.append(f"{teams} new team{'s' if teams != 1 else ''}")
    return notes


def resolve_subscription_scope(stage: Stage, report: Report) -> None:
    table = stage.table
    _resolve_org(stage)
    _report_missing(
        stage,
        "org",
        "org",
        "org_pk",
        lambda name: (
            f"no organisation {name!r}: import its teams.csv or run `reminders org create`"
        ),
        report,
    )
    _resolve_team(stage, where=table.c.team.is_not(None))
    unknown_team = select(table.c.line, table.c.team, table.c.org).where(
        table.c.team.is_not(None), table.c.team_pk.is_(None)
    )
    for line, team, org in stage.connection.execute(unknown_team.order_by(table.c.line)):
        report(line, "team", f"organisation {org!r} has no team {team!r}")
    stage.connection.execute(
        delete(table).where(table.c.team.is_not(None), table.c.team_pk.is_(None))
    )


def upsert(stage: Stage, target: Table, key: Sequence[str], values: Sequence[str]) -> Counts:
    """Insert the staged rows whose key is new and update the ones whose values differ."""
    connection, table = stage.connection, stage.table
    match = _key_match(target, table, key)
    differs = (
        or_(*(target.c[name].is_distinct_from(table.c[name]) for name in values))
        if values
        else false()
    )
    action = case(
        (exists().where(match, differs), literal("change")),
        (exists().where(match), literal("same")),
        else_=literal("add"),
    )
    connection.execute(update(table).values(action=action))
    counts = Counts()
    for name, number in connection.execute(
        select(table.c.action, func.count()).group_by(table.c.action)
    ):
        setattr(counts, {"add": "added", "change": "changed", "same": "unchanged"}[name], number)
    if counts.changed:
        connection.execute(
            update(target)
            .values({name: table.c[name] for name in values})
            .where(match, table.c.action == "change")
        )
    if counts.added:
        columns = [*key, *values]
        connection.execute(
            insert(target).from_select(
                columns,
                select(*(table.c[name] for name in columns)).where(table.c.action == "add"),
            )
        )
    return counts


def record_changes(stage: Stage, reason: str, now: datetime) -> None:
    """One change event per holder whose data this file added or changed."""
    table = stage.table
    if stage.kind.name == "holders":
        changed = select(HOLDERS.c.id).join(table, HOLDERS.c.holder_id == table.c.holder_id)
    else:
        changed = select(table.c.holder_pk)
    changed = changed.where(table.c.action.in_(("add", "change"))).distinct()
    events = select(
        changed.subquery(), literal(reason), literal(now, CHANGE_EVENTS.c.created_at.type)
    )
    stage.connection.execute(
        insert(CHANGE_EVENTS).from_select(["holder_pk", "reason", "created_at"], events)
    )


def chunks(rows: Iterable[Row], size: int) -> Iterable[list[Row]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
