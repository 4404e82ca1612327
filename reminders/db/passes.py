"""Full scans shared by instances: a pass as of one day is cut into ranges of holder ids; each
instance (each of its worker processes) claims a range for a lease, plans it, and records its
plans and the range's being done in one transaction, fenced by its claim. A killed instance's
transaction is rolled back with it, and its range is claimed again once the lease runs out; a
claim that outlived its lease and was taken over records nothing (notices/passes.py runs them).

On PostgreSQL claims skip the rows another instance is claiming (FOR UPDATE SKIP LOCKED); on
SQLite the claim's transaction begins IMMEDIATE and is the one writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from reminders.db import claimants
from reminders.db.models import ScanPass, ScanRange


@dataclass(frozen=True, slots=True)
class Pass:
    id: int
    as_of: date
    rules: str
    seen: int


@dataclass(frozen=True, slots=True)
class Range:
    id: int
    ordinal: int
    after: str
    through: str | None


def unfinished(connection: Connection) -> Pass | None:
    """The pass under way, if any (the newest; begin() abandons the others)."""
    p = ScanPass
    row = connection.execute(
        select(p.id, p.as_of, p.rules, p.seen)
        .where(p.finished_at.is_(None))
        .order_by(p.id.desc())
        .limit(1)
    ).first()
    return None if row is None else Pass(*row)


def get(connection: Connection, pass_pk: int) -> Pass:
    p = ScanPass
    row = connection.execute(select(p.id, p.as_of, p.rules, p.seen).where(p.id == pass_pk)).one()
    return Pass(*row)


def begin(
    connection: Connection,
    as_of: date,
    rules: str,
    seen: int,
    bounds: list[tuple[str, str | None]],
    now: datetime,
) -> Pass:
    """A new pass with these ranges; any other pass still under way is abandoned (its ranges
    recorded stay recorded: the new pass plans every holder again, skipping nothing known)."""
    connection.execute(
        update(ScanPass)
        .where(ScanPass.finished_at.is_(None))
        .values(finished_at=now, outcome="abandoned")
    )
    made = connection.execute(
        insert(ScanPass)
        .values(as_of=as_of, rules=rules, seen=seen, started_at=now)
        .returning(ScanPass.id)
    ).scalar_one()
    connection.execute(
        insert(ScanRange),
        [
            {"pass_pk": made, "ordinal": n, "after": after, "through": through, "holders": 0,
             "queued": 0}
            for n, (after, through) in enumerate(bounds)
        ],
    )  # fmt: skip
    return Pass(int(made), as_of, rules, seen)


def claim(
    connection: Connection, pass_pk: int, token: str, now: datetime, lease: timedelta
) -> Range | None:
    """Take the first range of the pass not done and not held (its lease running), for
    `lease`, under `token`; or else one held by a process of this machine that has died
    (db/claimants.py). None if there is none to take now."""
    r = ScanRange
    free = and_(
        r.pass_pk == pass_pk,
        r.done_at.is_(None),
        or_(r.lease_until.is_(None), r.lease_until < now),
    )
    query = select(r.id, r.ordinal, r.after, r.through).where(free).order_by(r.ordinal).limit(1)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    row = connection.execute(query).first()
    if row is None:
        return _take_over(connection, pass_pk, token, now, lease)
    connection.execute(
        update(r).where(r.id == row.id).values(claimed_by=token, lease_until=now + lease)
    )
    return Range(*row)


def _take_over(
    connection: Connection, pass_pk: int, token: str, now: datetime, lease: timedelta
) -> Range | None:
    """A range held under a lease by a process of this machine that no longer runs."""
    r = ScanRange
    held = select(r.id, r.ordinal, r.after, r.through, r.claimed_by).where(
        r.pass_pk == pass_pk, r.done_at.is_(None), r.lease_until >= now
    )
    if connection.dialect.name == "postgresql":
        held = held.with_for_update(skip_locked=True)  # a live claimant is recording it
    for range_pk, ordinal, after, through, holder in connection.execute(
        held.order_by(r.ordinal)
    ).all():
        if claimants.dead(holder):
            # Only from that claimant: another instance may have taken it meanwhile.
            taken = connection.execute(
                update(r)
                .where(r.id == range_pk, r.claimed_by == holder)
                .values(claimed_by=token, lease_until=now + lease)
            )
            if taken.rowcount:
                return Range(range_pk, ordinal, after, through)
    return None


@dataclass(frozen=True, slots=True)
class Left:
    ranges: int
    """Ranges not done."""
    next_free: datetime | None
    """When the first lease among them runs out."""


def left(connection: Connection, pass_pk: int) -> Left:
    r = ScanRange
    count, first = connection.execute(
        select(func.count(), func.min(r.lease_until)).where(
            r.pass_pk == pass_pk, r.done_at.is_(None)
        )
    ).one()
    return Left(int(count), first)


def hold(connection: Connection, range_pk: int, token: str, now: datetime) -> bool:
    """Mark the range done by this claim, if the claim still holds it (nobody took it over when
    its lease ran out, nor did it first); the plans are recorded in the same transaction. On
    PostgreSQL the row stays locked until then: a claim taking over waits, then finds it done."""
    done = connection.execute(
        update(ScanRange)
        .where(ScanRange.id == range_pk, ScanRange.claimed_by == token, ScanRange.done_at.is_(None))
        .values(done_at=now, done_by=token, lease_until=None)
    )
    return bool(done.rowcount)


def count(connection: Connection, range_pk: int, holders: int, queued: int) -> None:
    connection.execute(
        update(ScanRange).where(ScanRange.id == range_pk).values(holders=holders, queued=queued)
    )


def finish(connection: Connection, pass_pk: int, now: datetime) -> bool:
    """Mark the pass done if every range is and nobody marked it first: True for the one
    instance that does (it sets the index's state and is done with the events seen)."""
    if left(connection, pass_pk).ranges:
        return False
    done = connection.execute(
        update(ScanPass)
        .where(ScanPass.id == pass_pk, ScanPass.finished_at.is_(None))
        .values(finished_at=now, outcome="done")
    )
    return bool(done.rowcount)


def done_holders(connection: Connection, pass_pk: int) -> int:
    """The holders planned so far by every instance (a progress bar's figure)."""
    query = select(func.coalesce(func.sum(ScanRange.holders), 0)).where(
        ScanRange.pass_pk == pass_pk, ScanRange.done_at.is_not(None)
    )
    return int(connection.execute(query).scalar_one())


def prune(connection: Connection, before: datetime) -> int:
    """Passes finished before `before`, with their ranges."""
    old = delete(ScanPass).where(ScanPass.finished_at < before)
    return int(connection.execute(old).rowcount or 0)
