"""Set-based checks and upserts of a staged import file, inside the import's transaction.

Rows that passed the cell checks wait in a temporary table; the checks that need the database
(keys repeated in the file, organisations and teams that must exist) and the upsert itself are
a handful of SQL statements over the whole file rather than one round trip a row, which keeps a
million-row import fast and its memory flat. The staged rows are read, never rewritten, on the
hot path: an UPDATE of a million staged rows costs PostgreSQL a new version of each.
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
    Select,
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
    true,
    update,
)

from reminders.db import scope
from reminders.db.facts import DriverReader
from reminders.db.models import Base
from reminders.imports.kinds import Kind, Row

Report = Callable[[int, str, str], None]
"""Called with (line, column, message) for each problem found."""

NULLABLE_KEYS = frozenset({"team", "team_pk"})
"""Key columns that may be empty: a subscription without a team covers the whole organisation."""

_tables = Base.metadata.tables
HOLDERS = _tables["holders"]
ORGANISATIONS = _tables["organisations"]
TEAMS = _tables["teams"]
CHANGE_EVENTS = _tables["change_events"]
SUPPRESSIONS = _tables["suppressions"]


@dataclass
class Counts:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)


class Stage:
    """The temporary table that holds one file's checked rows until they are applied.

    Rows arrive as (line, *staged values) and, for files that name holders, the holder's row
    id last (see `HolderLookup`).
    """

    def __init__(self, connection: Connection, kind: Kind) -> None:
        self.connection = connection
        self.kind = kind
        self.loaded_columns = ["line", *(column.name for column in kind.staged)]
        if kind.holder_ref is not None:
            self.loaded_columns.append("holder_pk")
        self.table = Table(
            f"import_stage_{kind.name}",
            MetaData(),
            Column("line", Integer, primary_key=True),
            *(column.column() for column in kind.staged),
            Column("holder_pk", Integer),
            Column("org_pk", Integer),
            Column("team_pk", Integer),
            prefixes=["TEMPORARY"],
        )
        self.table.create(connection)

    def load(self, rows: Sequence[Row]) -> None:
        """Append rows straight through the driver: executemany on SQLite, COPY on PostgreSQL."""
        if not rows:
            return
        names = ", ".join(self.loaded_columns)
        if self.connection.dialect.name == "postgresql":
            raw = self.connection.connection.driver_connection
            assert raw is not None
            statement = f"COPY {self.table.name} ({names}) FROM STDIN"
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            markers = ", ".join("?" * len(self.loaded_columns))
            sql = f"INSERT INTO {self.table.name} ({names}) VALUES ({markers})"
            self.connection.exec_driver_sql(sql, list(rows))

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


class HolderLookup:
    """Adds the holder's row id to each staged row, a batch at a time, as the file streams in.

    A row whose holder is neither in the database nor among the holders this import run has
    already applied is reported and left out.
    """

    def __init__(
        self, connection: Connection, kind: Kind, report: Report, owner: int | None = None
    ) -> None:
        assert kind.holder_ref is not None
        self.connection = connection
        self.owner = owner
        """None: the operator's roster (the CSV files); else the organisation whose API key
        writes, which reaches its own holders and the roster holders in its teams."""
        # +1: staged rows start with the line number.
        self.position = 1 + [column.name for column in kind.staged].index(kind.holder_ref)
        self.report = report
        self._reader = DriverReader(connection)

    def __call__(self, rows: list[Row]) -> list[Row]:
        position = self.position
        refs = list({row[position] for row in rows})
        ids = self._ids(refs)
        if len(ids) == len(refs):  # every holder known: the usual case, in one pass
            return [(*row, ids[row[position]]) for row in rows]
        resolved = []
        for row in rows:
            holder = ids.get(row[position])
            if holder is None:
                message = f"no holder {row[position]!r} in the database or in this import"
                self.report(row[0], "holder_id", message + "'s holders.csv")
            else:
                resolved.append((*row, holder))
        return resolved

    def _ids(self, refs: list[str]) -> dict[str, int]:
        if self.owner is not None:  # an API request: a few holders
            query = select(HOLDERS.c.holder_id, HOLDERS.c.id).where(
                HOLDERS.c.holder_id.in_(refs), scope.within(self.owner)
            )
            return {ref: pk for ref, pk in self.connection.execute(query)}
        # Straight through the driver: SQLAlchemy's compiling of a 5,000-item IN list cost
        # more than the query (a third of a PostgreSQL import's Python time went here).
        sql = (
            "SELECT holder_id, id FROM holders WHERE org_pk IS NULL AND holder_id IN "
            f"({self._reader.markers(len(refs))})"
        )
        return dict(self._reader.rows(sql, refs))


def _same(left: ColumnElement[Any], right: ColumnElement[Any], nullable: bool) -> Any:
    return left.is_not_distinct_from(right) if nullable else left == right


def _key_match(target: FromClause, stage: FromClause, key: Iterable[str]) -> ColumnElement[bool]:
    # Null-safe comparison only where a key may really be empty: PostgreSQL cannot use an index
    # for IS NOT DISTINCT FROM, which makes each lookup a scan of the table.
    return and_(*(_same(target.c[name], stage.c[name], name in NULLABLE_KEYS) for name in key))


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
        select(table.c.line, first.c.first, table.c[kind.key[-1]])
        .join(first, _key_match(first, table, kind.key))
        .where(table.c.line > first.c.first)
        .order_by(table.c.line)
    )
    repeated = 0
    for line, first_line, key in stage.connection.execute(query):
        report(line, kind.column_of_key(key), f"repeats the key of line {first_line}")
        repeated += 1
    if repeated:
        earlier = table.alias("earlier")
        stage.connection.execute(
            delete(table).where(
                exists()
                .where(_key_match(earlier, table, kind.key))
                .where(earlier.c.line < table.c.line)
            )
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


def _plural(number: int, noun: str) -> str:
    return f"{number} new {noun}{'s' if number != 1 else ''}"


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
    return [
        _plural(number, noun)
        for number, noun in ((orgs, "organisation"), (teams, "team"))
        if number
    ]


def refuse_clashing_members(stage: Stage, report: Report) -> None:
    """teams.csv puts roster holders in teams; one whose holder_id the organisation uses for a
    holder of its own (made through its API key) would make that id name two people in its
    scope: refused, with the reason."""
    connection, table = stage.connection, stage.table
    own = (
        exists()
        .where(HOLDERS.c.org_pk == table.c.org_pk, HOLDERS.c.holder_id == table.c.holder_ref)
        .where(HOLDERS.c.id != table.c.holder_pk)
    )
    clashes = connection.execute(
        select(table.c.line, table.c.org, table.c.holder_ref).where(own).order_by(table.c.line)
    ).all()
    for line, org, holder_id in clashes:
        report(
            line,
            "holder_id",
            f"organisation {org!r} has a holder {holder_id!r} of its own (made with its API "
            "key); the roster's cannot join its teams under the same id",
        )
    if clashes:
        connection.execute(delete(table).where(own))


def resolve_subscription_scope(stage: Stage, report: Report) -> None:
    """Subscriptions name an existing organisation and, optionally, one of its teams."""
    connection, table = stage.connection, stage.table
    _resolve_org(stage)
    _resolve_team(stage, where=table.c.team.is_not(None))
    unknown_org = table.c.org_pk.is_(None)
    unknown_team = and_(
        table.c.org_pk.is_not(None), table.c.team.is_not(None), table.c.team_pk.is_(None)
    )
    problems = select(table.c.line, table.c.org, table.c.team, unknown_org).where(
        or_(unknown_org, unknown_team)
    )
    found = 0
    for line, org, team, no_org in connection.execute(problems.order_by(table.c.line)):
        if no_org:
            hint = "import its teams.csv or run `reminders org create`"
            report(line, "org", f"no organisation {org!r}: {hint}")
        else:
            report(line, "team", f"organisation {org!r} has no team {team!r}")
        found += 1
    if found:
        connection.execute(delete(table).where(or_(unknown_org, unknown_team)))


def lift_suppressions(stage: Stage, owner: int | None) -> None:
    """A holder whose row changes gets mail again: their address may have been corrected, or the
    mailbox that refused mail fixed. Not after a complaint: only a new address gets mail then."""
    table = stage.table
    changed = (
        select(HOLDERS.c.email)
        .select_from(HOLDERS)
        .join(table, HOLDERS.c.holder_id == table.c.holder_id)
        .where(scope.within(owner))
        .where(
            or_(
                HOLDERS.c.email != table.c.email,
                HOLDERS.c.full_name != table.c.full_name,
                HOLDERS.c.timezone.is_distinct_from(table.c.timezone),
            )
        )
    )
    stage.connection.execute(
        delete(SUPPRESSIONS).where(
            SUPPRESSIONS.c.email.in_(changed), SUPPRESSIONS.c.kind != "complaint"
        )
    )


def upsert(
    stage: Stage,
    target: Table,
    key: Sequence[str],
    values: Sequence[str],
    events: tuple[str, datetime] | None = None,
    within: tuple[ColumnElement[bool], dict[str, Any]] | None = None,
) -> Counts:
    """Insert the staged rows whose key is new and update the ones whose values differ.

    With `events` = (reason, now), one change event is recorded per holder whose rows this
    adds or changes (for holders.csv: whose row changes), before the rows themselves. With
    `within` = (condition, values), only the target rows that meet the condition are matched
    (a namespace of holders), and new rows get the values (the namespace's owner).
    """
    connection, table = stage.connection, stage.table
    condition, fixed = within if within is not None else (true(), {})
    match = and_(_key_match(target, table, key), condition)
    joined = table.outerjoin(target, match)
    new = target.c[key[0]].is_(None)  # key columns are never empty in a stored row
    differs = (
        and_(~new, or_(*(target.c[name].is_distinct_from(table.c[name]) for name in values)))
        if values
        else false()
    )
    total, added, changed = connection.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((new, 1), else_=0)), 0),
            func.coalesce(func.sum(case((differs, 1), else_=0)), 0),
        ).select_from(joined)
    ).one()
    if events is not None and (added or changed):
        _record_changes(stage, target, joined, new, differs, events)
    if changed:
        connection.execute(
            update(target).values({name: table.c[name] for name in values}).where(match, differs)
        )
    if added:
        _insert_new_rows(stage, target, [*key, *values], match, fixed)
    return Counts(added=int(added), changed=int(changed), unchanged=int(total - added - changed))


def _insert_new_rows(
    stage: Stage,
    target: Table,
    columns: list[str],
    match: ColumnElement[bool],
    fixed: dict[str, Any],
) -> None:
    connection, table = stage.connection, stage.table
    staged = select(
        *(table.c[name] for name in columns),
        *(literal(value, target.c[name].type) for name, value in fixed.items()),
    )
    # Into an empty table every staged row is new: inserted without the anti-join. PostgreSQL
    # plans that join against an empty table (a first load, or a reload after emptying and
    # vacuuming it) as a scan of the table for every staged row, a scan that grows as the
    # statement fills the table: a million-row import ran for hours. A row another
    # transaction adds meanwhile still breaks the unique key and rolls the import back.
    if connection.execute(select(literal(1)).select_from(target).limit(1)).first() is not None:
        staged = staged.where(~exists().where(match))
    connection.execute(insert(target).from_select([*columns, *fixed], staged))


def _record_changes(
    stage: Stage,
    target: Table,
    joined: FromClause,
    new: ColumnElement[bool],
    differs: ColumnElement[bool],
    events: tuple[str, datetime],
) -> None:
    reason, now = events
    table = stage.table
    if target is HOLDERS:
        holders = select(target.c.id).select_from(joined).where(differs)
    else:
        holders = select(table.c.holder_pk).select_from(joined).where(or_(new, differs))
    rows = select(
        holders.distinct().subquery(),
        literal(reason),
        literal(now, CHANGE_EVENTS.c.created_at.type),
    )
    stage.connection.execute(
        insert(CHANGE_EVENTS).from_select(["holder_pk", "reason", "created_at"], rows)
    )


def chunks(rows: Iterable[Row], size: int) -> Iterable[list[Row]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
