"""Reads holders and their facts in batches: a few queries per thousand holders, in holder_id
order, so that a scan of every holder runs in bounded memory.

This is the scan's hot path (ten CEU rows a holder, ten million at a million holders), so the
rows come straight from the driver's cursor, only the columns the rules read, and each CEU
becomes one small tuple; SQLAlchemy's per-row result processing cost more than the rules did.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypedDict

from sqlalchemy import Connection, select

from reminders.db.models import Holder
from reminders.rules.evaluate import ceu_days
from reminders.rules.facts import (
    CeuFact,
    CredentialFact,
    HolderFacts,
    MembershipFact,
    Submitted,
)
from reminders.rules.holding import Holding, holdings
from reminders.rules.loader import Rulebook
from reminders.rules.settle import sums_suffice

BATCH = 2_000
ONE_DAY = timedelta(days=1)

Holdings = tuple[Holding, ...]

SumsSuffice = Callable[[HolderFacts], tuple[Holdings, dict[str, date] | None]]
"""For a holder's facts without CEUs: their holdings on the scan's day, and the day per body from
which a sum of the CEUs the body accepts stands in for them, or None if the CEUs themselves are
needed (rules.settle.sums_suffice)."""


@dataclass(frozen=True, slots=True)
class StoredHolder:
    """A holder as stored: the row id, how to reach them, and the facts the rules evaluate."""

    pk: int
    full_name: str
    email: str
    timezone: str | None
    facts: HolderFacts
    holdings: Holdings | None = None
    """holding.holdings of the facts on the scan's day, where the scan worked them out."""


class _Codes(dict[str, frozenset[str]]):
    """`;`-joined code lists as frozensets, each distinct list parsed once: `codes[joined]`."""

    def __missing__(self, joined: str) -> frozenset[str]:
        found = self[joined] = frozenset(code for code in joined.split(";") if code)
        return found


class _Days(dict[Any, date]):
    """Dates as the driver hands them back (SQLite: ISO text; PostgreSQL: dates) made dates,
    each distinct text parsed once: `days[value]`. A scan sees a few thousand distinct days."""

    def __missing__(self, value: str | date) -> date:
        found = self[value] = value if isinstance(value, date) else date.fromisoformat(value)
        return found


class DriverReader:
    """Plain DBAPI queries on the connection's own driver connection (inside its transaction),
    written with `?` markers on either database: for hot paths, where SQLAlchemy's compiling
    and result processing cost more than the query."""

    def __init__(self, connection: Connection) -> None:
        dbapi = connection.connection.dbapi_connection
        assert dbapi is not None
        self._dbapi = dbapi
        self.marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        self.postgres = connection.dialect.name == "postgresql"
        self.days = _Days()
        self.codes = _Codes()
        # sqlite3's own date adapter is deprecated: SQLite is given ISO text.
        self.param_day: Callable[[date], Any] = (
            date.isoformat if connection.dialect.name == "sqlite" else _same_day
        )

    def rows(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        cursor = self._dbapi.cursor()
        try:
            if self.marker == "%s":  # psycopg: a literal % is written %%
                sql = sql.replace("%", "%%")
            cursor.execute(sql.replace("?", self.marker), tuple(params))
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def markers(self, count: int) -> str:
        return ", ".join("?" * count)


def _same_day(value: date) -> date:
    return value


class ScanOptions(TypedDict):
    ceus_from: date
    sums: tuple[SumsSuffice, date]


def scan_options(rulebook: Rulebook, as_of: date) -> ScanOptions:
    """What `stored_holders` needs to load only what an evaluation as of `as_of` reads."""

    def suffice(facts: HolderFacts) -> tuple[Holdings, dict[str, date] | None]:
        found = holdings(facts, rulebook, as_of)
        return found, sums_suffice(facts, rulebook, as_of, found)

    return {"ceus_from": ceu_days(rulebook, as_of)[0], "sums": (suffice, as_of)}


def owner(org_pk: int | None) -> str:
    """What keeps a holder's notice keys apart from another organisation's holder of the same
    holder_id: '' on the operator's roster, 'org<pk>' for a holder an organisation owns."""
    return "" if org_pk is None else f"org{org_pk}"


HOLDER_COLUMNS = "id, holder_id, full_name, email, timezone, org_pk"


def stored_holders(
    connection: Connection,
    holder_id: str | None = None,
    batch: int = BATCH,
    ceus_from: date | None = None,
    sums: tuple[SumsSuffice, date] | None = None,
    between: tuple[str, str | None] | None = None,
) -> Iterator[list[StoredHolder]]:
    """Every holder (or one, or those whose holder_id is in `between` (after, through]; through
    None: no upper bound), in holder_id order, a batch at a time.

    For a scan as of one day: `ceus_from` leaves out the CEUs completed before it, which cannot
    count (`reminders.rules.evaluate.ceu_days`); and `sums` (the rules' sums_suffice for that
    day, and the day) has the database add up the CEUs of the holders for whom a sum suffices,
    each sum one CEU dated the day it counts from. CEUs completed after the day are always
    read as they are: they do not count yet, but the next review day is the day one does.
    """
    reader = DriverReader(connection)
    with _few_collections():
        yield from _batches(reader, holder_id, batch, ceus_from, sums, between)


@contextmanager
def _few_collections() -> Iterator[None]:
    """Fewer garbage collections while a scan runs: it makes ten tuples a holder, none of them
    in a reference cycle, and every full collection also walked the whole program (the rules,
    the modules), which took a third of the scan. What exists already is frozen out of the
    collector's sight, and a collection waits for more allocations; both undone afterwards."""
    global _scans
    if _scans == 0:
        gc.freeze()
        gc.set_threshold(max(_THRESHOLD[0], 50_000), *_THRESHOLD[1:])
    _scans += 1
    try:
        yield
    finally:
        _scans -= 1
        if _scans == 0:
            gc.set_threshold(*_THRESHOLD)
            gc.unfreeze()


_scans = 0  # scans running (the daemon's scan and a re-evaluation may overlap)
_THRESHOLD = gc.get_threshold()


def _batches(
    reader: DriverReader,
    holder_id: str | None,
    batch: int,
    ceus_from: date | None,
    sums: tuple[SumsSuffice, date] | None,
    between: tuple[str, str | None] | None,
) -> Iterator[list[StoredHolder]]:
    last, through = between if between is not None else ("", None)
    last_pk: int | None = None  # the range's start: after every holder of the id `last`
    upto = "" if through is None else " AND holder_id <= ?"
    while True:
        if holder_id is not None:
            holders = reader.rows(
                f"SELECT {HOLDER_COLUMNS} FROM holders WHERE holder_id = ? ORDER BY id",
                [holder_id],
            )
        else:
            # (holder_id, id): organisations may use the same holder_id, and a batch that ends
            # inside such a group must not skip the rest of it.
            after = "holder_id > ?" if last_pk is None else "(holder_id, id) > (?, ?)"
            params: list[Any] = [last] if last_pk is None else [last, last_pk]
            holders = reader.rows(
                f"SELECT {HOLDER_COLUMNS} FROM holders WHERE {after}{upto} "
                f"ORDER BY holder_id, id LIMIT {int(batch)}",
                params if through is None else [*params, through],
            )
        if not holders:
            return
        yield list(_load(reader, holders, ceus_from, sums))
        if holder_id is not None or len(holders) < batch:
            return
        last_pk, last = holders[-1][0], holders[-1][1]


def holders_by_pk(
    connection: Connection,
    pks: list[int],
    ceus_from: date | None = None,
    sums: tuple[SumsSuffice, date] | None = None,
) -> dict[int, StoredHolder]:
    """These holders, by their row id; `ceus_from` and `sums` as for `stored_holders`."""
    reader = DriverReader(connection)
    found: dict[int, StoredHolder] = {}
    for start in range(0, len(pks), BATCH):
        chunk = pks[start : start + BATCH]
        rows = reader.rows(
            f"SELECT {HOLDER_COLUMNS} FROM holders WHERE id IN ({reader.markers(len(chunk))})",
            chunk,
        )
        found.update((holder.pk, holder) for holder in _load(reader, rows, ceus_from, sums))
    return found


def _load(
    reader: DriverReader,
    holders: list[tuple[Any, ...]],
    ceus_from: date | None,
    sums: tuple[SumsSuffice, date] | None,
) -> Iterator[StoredHolder]:
    if not holders:
        return
    pks = [row[0] for row in holders]
    inside = f"holder_pk IN ({reader.markers(len(pks))})"
    days = reader.days
    credentials: dict[int, list[CredentialFact]] = {}
    for pk, code, earned_on in reader.rows(
        f"SELECT holder_pk, code, earned_on FROM credentials WHERE {inside}", pks
    ):
        credentials.setdefault(pk, []).append(CredentialFact(code, days[earned_on]))
    memberships: dict[int, dict[str, MembershipFact]] = {}
    for pk, body, renews_on, ends_on, cents in reader.rows(
        "SELECT holder_pk, body, renews_on, cycle_ends_on, required_ceus FROM memberships "
        f"WHERE {inside}",
        pks,
    ):
        memberships.setdefault(pk, {})[body] = MembershipFact(
            None if renews_on is None else days[renews_on],
            None if ends_on is None else days[ends_on],
            None if cents is None else int(cents),
        )
    submitted: dict[int, dict[tuple[str, date], Submitted]] = {}
    for pk, body, cycle_end, reported_on, pause_until in reader.rows(
        f"SELECT holder_pk, body, cycle_end, reported_on, pause_until FROM self_reports "
        f"WHERE {inside}",
        pks,
    ):
        said = Submitted(days[reported_on], days[pause_until])
        submitted.setdefault(pk, {})[(body, days[cycle_end])] = said
    facts = {
        pk: HolderFacts(
            ref,
            tuple(credentials.get(pk, ())),
            memberships.get(pk, {}),
            (),
            owner(org),
            submitted.get(pk, {}),
        )
        for pk, ref, _, _, _, org in holders
    }
    summed: dict[int, list[CeuFact]] = {}
    held: dict[int, Holdings] = {}
    if sums is not None:
        summed = _summed(reader, facts, held, *sums)
    rest = [pk for pk in pks if pk not in summed]
    ceus = _ceus(reader, rest, ceus_from) if rest else {}
    if summed:
        assert sums is not None
        for pk, ahead in _ceus(reader, list(summed), sums[1] + ONE_DAY).items():
            summed[pk] += ahead
    ceus.update(summed)
    for pk, _, full_name, email, timezone, _ in holders:
        known = facts[pk]
        found = ceus.get(pk)
        if found:
            known = HolderFacts(
                known.holder_id, known.credentials, known.memberships, tuple(found), known.owner,
                known.submitted,
            )  # fmt: skip
        yield StoredHolder(pk, full_name, email, timezone, known, held.get(pk))


def _summed(
    reader: DriverReader,
    facts: dict[int, HolderFacts],
    held: dict[int, Holdings],
    sums_suffice: SumsSuffice,
    as_of: date,
) -> dict[int, list[CeuFact]]:
    """The CEUs of the holders for whom sums suffice, as one CEU per body: the sum of the CEUs
    the body accepts completed from the day the body's sum counts from to `as_of`. Every such
    holder is in the result, with no CEUs if none count. Every holder's holdings into `held`."""
    wanted: list[tuple[int, str, date]] = []
    summed: dict[int, list[CeuFact]] = {}
    for pk, holder in facts.items():
        held[pk], days = sums_suffice(holder)
        if days is not None:
            summed[pk] = []
            wanted += [(pk, body, day) for body, day in days.items()]
    if not wanted:
        return summed
    # PostgreSQL takes the column types of VALUES from its first row.
    first = "(?::integer, ?::text, ?::date)" if reader.postgres else "(?, ?, ?)"
    values = ", ".join([first] + ["(?, ?, ?)"] * (len(wanted) - 1))
    params: list[Any] = []
    for pk, body, day in wanted:
        params += [pk, body, reader.param_day(day)]
    # The body's code is one of the record's `;`-joined codes (codes are capital letters only).
    rows = reader.rows(
        f"WITH sums (pk, body, first_day) AS (VALUES {values}) "
        "SELECT sums.pk, sums.body, sums.first_day, SUM(c.hours) FROM sums "
        "JOIN ceu_records c ON c.holder_pk = sums.pk "
        "AND c.completed_on >= sums.first_day AND c.completed_on <= ? "
        "AND ';' || c.bodies || ';' LIKE '%;' || sums.body || ';%' "
        "GROUP BY sums.pk, sums.body, sums.first_day",
        [*params, reader.param_day(as_of)],
    )
    days, codes = reader.days, reader.codes
    for pk, body, first_day, cents in rows:
        summed[pk].append(CeuFact(days[first_day], int(cents), "", codes[body]))
    return summed


def _ceus(reader: DriverReader, pks: list[int], since: date | None) -> dict[int, list[CeuFact]]:
    """The CEUs of the holders `pks` completed on or after `since` (None: all)."""
    sql = (
        "SELECT holder_pk, completed_on, hours, title, bodies, categories, provider, "
        f"index_number FROM ceu_records WHERE holder_pk IN ({reader.markers(len(pks))})"
    )
    params: list[Any] = list(pks)
    if since is not None:
        sql += " AND completed_on >= ?"
        params.append(reader.param_day(since))
    days, codes = reader.days, reader.codes
    make = tuple.__new__  # CeuFact(...) without the keyword handling of its __new__
    found: dict[int, list[CeuFact]] = {}
    for pk, completed_on, cents, title, bodies, categories, provider, index in reader.rows(
        sql, params
    ):
        fact = make(
            CeuFact,
            (days[completed_on], cents, title, codes[bodies], codes[categories], provider, index),
        )
        holder = found.get(pk)
        if holder is None:
            found[pk] = [fact]
        else:
            holder.append(fact)
    return found


def holders_with_email(connection: Connection, address: str) -> dict[int, StoredHolder]:
    """Everyone mail to this address is for: one person may be on two organisations' rosters."""
    pks = list(connection.execute(select(Holder.id).where(Holder.email == address)).scalars())
    return holders_by_pk(connection, pks)
