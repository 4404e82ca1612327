"""`reminders import`: stream CSV files, check every row, and apply them all-or-nothing.

Rows are read one at a time and staged in batches, so memory does not grow with the file. Every
problem is reported as it is found, as `FILE:LINE: column: message`; if there is any, the
transaction is rolled back and the database is left exactly as it was.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine

from reminders.db import events, scope
from reminders.db.models import Base
from reminders.errors import BadInput
from reminders.imports import apply
from reminders.imports.fields import FieldError
from reminders.imports.kinds import ORDER, Kind, Row, RowError, make_kinds
from reminders.rules.loader import Rulebook

BATCH = 5_000
ROW = "row"  # the column named in a problem that concerns the whole row
_NOT_UTF8 = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.column}: {self.message}"


@dataclass(frozen=True)
class FileResult:
    kind: str
    path: str
    counts: apply.Counts

    def summary(self) -> str:
        c = self.counts
        text = f"{self.path}: {c.added} added, {c.changed} changed, {c.unchanged} unchanged"
        return text + (f" ({', '.join(c.notes)})" if c.notes else "")


class ImportFailed(Exception):
    def __init__(self, problems: int) -> None:
        super().__init__(f"{problems} problem{'s' if problems != 1 else ''}; nothing was imported")
        self.problems = problems


Progress = Callable[[int], None]
"""Called with the number of bytes read so far."""


class _CountingReader(io.RawIOBase):
    """Counts the bytes read from a file, so that a progress bar can follow a text stream."""

    def __init__(self, raw: BinaryIO, progress: Progress | None) -> None:
        self._raw = raw
        self._progress = progress
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.position = 0
        self.invalid_utf8 = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self.position += len(data)
        if not self.invalid_utf8:
            # Checked here, in C, a buffer at a time, so that the rows need no check of their
            # own unless the file turns out not to be UTF-8.
            try:
                self._decoder.decode(data, final=not data)
            except UnicodeDecodeError:
                self.invalid_utf8 = True
        if self._progress is not None:
            self._progress(self.position)
        return len(data)


class _FileReader:
    """Reads one import file and yields its checked rows as (line, *staged values)."""

    def __init__(self, kind: Kind, path: Path, shown: str, report: Callable[[Problem], None]):
        self.kind = kind
        self.path = path
        self.shown = shown
        self._report = report
        self.problems = 0

    def problem(self, line: int, column: str, message: str) -> None:
        self.problems += 1
        self._report(Problem(self.shown, line, column, message))

    def rows(self, progress: Progress | None = None) -> Iterator[Row]:
        try:
            raw = self.path.open("rb")
        except OSError as exc:
            raise BadInput(f"{self.shown}: cannot open: {exc.strerror}") from exc
        with raw:
            counting = _CountingReader(raw, progress)
            # Bytes that are not UTF-8 become lone surrogates, so that the row and column that
            # hold them can be named; decoding runs ahead of parsing and cannot tell the line.
            text = io.TextIOWrapper(
                io.BufferedReader(counting),
                encoding="utf-8-sig",
                errors="surrogateescape",
                newline="",
            )
            reader = csv.reader(text, strict=True)
            try:
                positions = self._header(next(reader, None))
                if positions is not None:
                    yield from self._records(reader, positions, counting)
            except csv.Error as exc:
                self.problem(reader.line_num, ROW, f"cannot be read as CSV: {exc}")

    def _report_encoding(self, line: int, record: list[str], positions: list[int | None]) -> None:
        for column, position in zip(self.kind.columns, positions, strict=True):
            if position is not None and _NOT_UTF8.search(record[position]):
                self.problem(line, column.name, "is not UTF-8 text; save the file as UTF-8")

    def _header(self, header: list[str] | None) -> list[int | None] | None:
        expected = ", ".join(column.name for column in self.kind.columns)
        if header is None:
            self.problem(1, ROW, f"the file is empty; expected a header row: {expected}")
            return None
        if _NOT_UTF8.search("".join(header)):
            self.problem(1, ROW, "is not UTF-8 text; save the file as UTF-8")
            return None
        names = [name.strip() for name in header]
        known = {column.name for column in self.kind.columns}
        before = self.problems
        for position, name in enumerate(names, start=1):
            if not name:
                self.problem(1, f"(column {position})", "has no name")
            elif name not in known:
                self.problem(1, name, f"unknown column; {self.kind.filename} has: {expected}")
            elif names.index(name) != position - 1:
                self.problem(1, name, "appears more than once")
        for column in self.kind.columns:
            if column.required and column.name not in names:
                self.problem(1, column.name, "required column is missing")
        if self.problems != before:
            return None
        return [names.index(c.name) if c.name in names else None for c in self.kind.columns]

    def _records(
        self, reader: Any, positions: list[int | None], source: _CountingReader
    ) -> Iterator[Row]:
        width = len(positions) - positions.count(None)
        columns = self.kind.columns
        # (parse, position) per column; a column the file lacks is parsed from "".
        cells_of = [
            (column.parse, -1 if p is None else p)
            for column, p in zip(columns, positions, strict=True)
        ]
        padded = positions.count(None) > 0
        build = self.kind.build
        last = reader.line_num
        for record in reader:
            line, last = last + 1, reader.line_num
            if not record:
                continue  # a blank line
            if len(record) != width:
                self.problem(line, ROW, f"has {len(record)} fields; the header has {width}")
                continue
            if source.invalid_utf8 and _NOT_UTF8.search("".join(record)):
                self._report_encoding(line, record, positions)
                continue
            if padded:
                record.append("")  # position -1: the empty cell of a missing column
            try:
                # The whole row at once: most rows are fine, and one `try` a row is cheaper
                # than one a cell. A row with a problem is parsed again, cell by cell.
                cells = [parse(record[position]) for parse, position in cells_of]
            except FieldError:
                self._report_cells(line, record, cells_of)
                continue
            try:
                yield (line, *build(cells))
            except RowError as exc:
                self.problem(line, exc.column, exc.message)

    def _report_cells(
        self, line: int, record: list[str], cells_of: list[tuple[Callable[[str], Any], int]]
    ) -> None:
        for (parse, position), column in zip(cells_of, self.kind.columns, strict=True):
            try:
                parse(record[position])
            except FieldError as exc:
                self.problem(line, column.name, str(exc))


class _ObjectReader:
    """Reads JSON objects (the API's writes) as an import file's rows: the same columns, the
    same checks, the same upsert. A problem's `line` is the object's index in the request."""

    def __init__(
        self, kind: Kind, objects: Sequence[Mapping[str, Any]], report: Callable[[Problem], None]
    ):
        self.kind = kind
        self._objects = objects
        self._report = report
        self.problems = 0

    def problem(self, line: int, column: str, message: str) -> None:
        self.problems += 1
        self._report(Problem(self.kind.name, line, column, message))

    @staticmethod
    def _cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            raise FieldError("must be text or a number, not true or false")
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return ";".join(value)  # bodies and categories may come as lists
        if isinstance(value, str | int | float):
            return str(value)
        raise FieldError(f"must be text or a number, not {type(value).__name__}")

    def rows(self, progress: Progress | None = None) -> Iterator[Row]:
        known = {column.name for column in self.kind.columns}
        for index, item in enumerate(self._objects):
            ok = True
            for name in item:
                if name not in known:
                    self.problem(
                        index, name, f"unknown field; expected: {', '.join(sorted(known))}"
                    )
                    ok = False
            cells: list[Any] = []
            for column in self.kind.columns:
                try:
                    cells.append(column.parse(self._cell(item.get(column.name))))
                except FieldError as exc:
                    self.problem(index, column.name, str(exc))
                    ok = False
            if ok:
                try:
                    yield (index, *self.kind.build(cells))
                except RowError as exc:
                    self.problem(index, exc.column, exc.message)


class Rejected(Exception):
    """Objects with problems: nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def import_objects(
    engine: Engine,
    rulebook: Rulebook,
    batches: Sequence[tuple[str, Sequence[Mapping[str, Any]]]],
    now: datetime,
    guard: Callable[[Connection], None] | None = None,
    owner: int | None = None,
) -> list[apply.Counts]:
    """Apply (kind, objects) batches in one transaction, as `import_files` applies files: every
    check, the change events, the wake-up of the daemons. Raises `Rejected` with every problem;
    then nothing is written. `guard` runs first in the same transaction (a check that must hold
    when the write happens, not a moment before); what it raises rolls everything back.
    `owner`: the organisation writing (the API), whose holders these are (db.scope.within);
    None writes the operator's roster, as the CSV files do."""
    kinds = make_kinds(rulebook)
    problems: list[Problem] = []
    results = []
    connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
    with connection, connection.begin() as transaction:
        if guard is not None:
            guard(connection)
        for kind, objects in batches:
            reader = _ObjectReader(kinds[kind], objects, problems.append)
            results.append(_import_file(connection, reader, now, None, owner))
        if problems:
            transaction.rollback()
            raise Rejected(problems)
        events.announce(connection)
    return results


# What each file upserts: the target table, its key and its value columns (staged names).
_TARGETS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "holders": ("holders", ("holder_id",), ("full_name", "email", "timezone")),
    "credentials": ("credentials", ("holder_pk", "code"), ("body", "earned_on")),
    "memberships": (
        "memberships",
        ("holder_pk", "body"),
        ("member_id", "renews_on", "cycle_ends_on", "required_ceus"),
    ),
    "ceus": (
        "ceu_records",
        ("holder_pk", "natural_key"),
        ("completed_on", "hours", "title", "provider", "index_number", "bodies", "categories"),
    ),
    "teams": ("team_members", ("team_pk", "holder_pk"), ()),
    "subscriptions": (
        "subscriptions",
        ("org_pk", "team_pk", "email"),
        ("frequency", "timezone", "alerts"),
    ),
}
# The files whose changes the daemon must re-evaluate holders for.
_EVALUATED = frozenset({"holders", "credentials", "memberships", "ceus"})


def _import_file(
    connection: Connection,
    reader: _FileReader | _ObjectReader,
    now: datetime,
    progress: Progress | None,
    owner: int | None = None,
) -> apply.Counts:
    kind = reader.kind
    stage = apply.Stage(connection, kind)
    lookup = (
        None
        if kind.holder_ref is None
        else apply.HolderLookup(connection, kind, reader.problem, owner)
    )
    for batch in apply.chunks(reader.rows(progress), BATCH):
        stage.load(batch if lookup is None else lookup(batch))
    stage.loaded()
    apply.report_repeated_keys(stage, reader.problem)
    notes: list[str] = []
    if kind.name == "teams":
        notes = apply.create_teams(stage)
        if owner is None:
            apply.refuse_clashing_members(stage, reader.problem)
    if kind.name == "subscriptions":
        apply.resolve_subscription_scope(stage, reader.problem)
    within = None
    if kind.name == "holders":
        apply.lift_suppressions(stage, owner)
        within = (scope.within(owner), {"org_pk": owner} if owner is not None else {})
    target, key, values = _TARGETS[kind.name]
    events = (kind.name, now) if kind.name in _EVALUATED else None
    counts = apply.upsert(stage, Base.metadata.tables[target], key, values, events, within)
    counts.notes = notes
    if kind.name == "holders" and counts.added and connection.dialect.name == "postgresql":
        # The files after it (`import all`) look their holders up a batch at a time, by a
        # statement PostgreSQL plans once for the size `holders` had then: empty, a sequential
        # scan of a table this import fills, for every batch (a first import of 1M holders
        # spent most of its time there). ANALYZE counts this transaction's rows and has the
        # plans made again.
        connection.exec_driver_sql("ANALYZE holders")
    stage.drop()
    return counts


def import_files(
    engine: Engine,
    rulebook: Rulebook,
    files: Sequence[tuple[str, Path, str]],
    now: datetime,
    report: Callable[[Problem], None],
    progress: Callable[[str, int, int], None] | None = None,
) -> list[FileResult]:
    """Import (kind, path, name to show) files in one transaction, in dependency order.

    Raises `ImportFailed` after reporting every problem; then nothing is written.
    """
    kinds = make_kinds(rulebook)
    ordered = sorted(files, key=lambda item: ORDER.index(item[0]))
    results: list[FileResult] = []
    problems = 0
    connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
    with connection, connection.begin() as transaction:
        for kind, path, shown in ordered:
            reader = _FileReader(kinds[kind], path, shown, report)
            size = path.stat().st_size if path.is_file() else 0
            on_bytes = None if progress is None else _bind(progress, shown, size)
            counts = _import_file(connection, reader, now, on_bytes)
            problems += reader.problems
            results.append(FileResult(kind, shown, counts))
        if problems:
            transaction.rollback()
            raise ImportFailed(problems)
        events.announce(connection)
    return results


def _bind(progress: Callable[[str, int, int], None], name: str, size: int) -> Progress:
    return lambda done: progress(name, done, size)
