"""The full scan, shared: begin (or join) the pass as of a day, then claim, plan and record its
ranges until none is left (db/passes.py keeps them). Any number of instances, each with any
number of worker processes, run it at once; each holder is planned by the claim that records
the range, exactly once, and a range whose instance was killed is claimed again once its lease
runs out. The last range recorded makes the pass done: the index's state is set (these rules,
planned as of this day) and the change events seen when it began are done with.

A range is read and planned outside any write (a worker process's core time), then recorded in
a short transaction: on SQLite the writers take turns while the planning runs side by side.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, Engine

from reminders.db import claimants, events, leads, passes, reviews
from reminders.db.engine import GrowingTables, make_engine
from reminders.notices.ladder import Ladder
from reminders.notices.recording import ScanCounts, record_planned, scan_lock
from reminders.notices.scan import (
    LEASE,
    Planned,
    ScanTally,
    Split,
    holder_count,
    plan_range,
    range_bounds,
)
from reminders.rules.loader import Rulebook

log = logging.getLogger(__name__)


def wall_clock() -> datetime:
    """Leases are about processes, not the day planned: the real time, whatever `as_of` is."""
    return datetime.now(UTC)


@dataclass
class Share(ScanCounts):
    """What this instance did of a pass: the scan's counts, the ranges it recorded, and
    whether it recorded the pass done."""

    ranges: int = 0
    finished: bool = False

    def add(self, other: ScanCounts) -> None:
        super().add(other)
        if isinstance(other, Share):
            self.ranges += other.ranges
            self.finished = self.finished or other.finished


@dataclass(frozen=True)
class Job:
    """What a claimer needs: plain data, to be sent to a worker process."""

    rulebook: Rulebook
    ladder: Ladder
    as_of: date
    now: datetime
    """The time the scan's messages and notices are recorded at (the app's clock)."""
    pass_pk: int
    lease: timedelta = LEASE
    clock: Callable[[], datetime] = wall_clock


def join(engine: Engine, rulebook: Rulebook, ladder: Ladder, as_of: date, range_size: int) -> int:
    """The pass as of `as_of` with these rules that is under way, or a new one; its id."""
    rules = reviews.fingerprint(rulebook, ladder)
    connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
    with connection, connection.begin():
        scan_lock(connection, wait=True)  # one instance cuts the ranges; a tick finishes first
        found = passes.unfinished(connection)
        if found is not None and (found.as_of, found.rules) == (as_of, rules):
            return found.id
        bounds = range_bounds(connection, range_size)
        seen = events.newest(connection)
        return passes.begin(connection, as_of, rules, seen, bounds, wall_clock()).id


def claim_ranges(engine: Engine, job: Job, told: Callable[[int], None] | None = None) -> Share:
    """Claim, plan and record ranges of the pass until none is left; then, if every range is
    done, finish the pass (once, whoever gets there first). A range another claim holds is
    waited for: if its instance died, its lease runs out and this one takes it over."""
    share = Share()
    token = claimants.claimant()
    with engine.connect() as connection:
        escalating = leads.any_escalating(connection)
        ahead = reviews.dated_ahead(connection, job.as_of)
    rules = reviews.fingerprint(job.rulebook, job.ladder)
    growing = GrowingTables("messages", "notices", "holder_reviews")
    while True:
        connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
        with connection, connection.begin():
            taken = passes.claim(connection, job.pass_pk, token, job.clock(), job.lease)
        if taken is None:
            if _finish_or_wait(engine, job, share):
                return share
            continue
        tally = ScanTally(reviews=[])
        with engine.connect() as connection:
            between = (taken.after, taken.through)
            planned = list(plan_range(connection, job.rulebook, job.ladder, job.as_of, between,
                                      tally))  # fmt: skip
        connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
        with connection, connection.begin():
            if not passes.hold(connection, taken.id, token, job.clock()):
                log.warning("scan range %s was taken over after its lease ran out", taken.ordinal)
                continue
            queued = _record(connection, job, planned, escalating, share)
            days = tally.reviews or []
            capped = [(pk, min(day, ahead[pk]) if pk in ahead else day) for pk, day in days]
            reviews.write(connection, capped, rules)
            passes.count(connection, taken.id, tally.holders, queued)
            growing.wrote(connection, len(planned))
        share.holders += tally.holders
        share.failed += tally.failed
        share.ranges += 1
        if told is not None:
            told(share.holders)


def _record(
    connection: Connection, job: Job, planned: list[Planned], escalating: bool, share: Share
) -> int:
    """Record a range's plans, counted in `share`; the messages queued."""
    before = share.queued
    record_planned(connection, planned, job.ladder, job.now, escalating, share)
    return share.queued - before


def _finish_or_wait(engine: Engine, job: Job, share: Share) -> bool:
    """No range to claim now: True when the pass is done (finished here if this is the last
    to see it so); else wait until a lease may have run out, or a moment."""
    connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
    with connection, connection.begin():
        left = passes.left(connection, job.pass_pk)
        if not left.ranges:
            if passes.finish(connection, job.pass_pk, job.clock()):
                found = passes.get(connection, job.pass_pk)
                reviews.set_state(connection, found.rules, found.as_of)
                events.drop_through(connection, found.seen)
                share.finished = True
            return True
    until = left.next_free
    pause = 1.0 if until is None else (until - job.clock()).total_seconds()
    time.sleep(min(max(pause, 0.05), 1.0))
    return False


def run_pass(
    engine: Engine, job: Job, split: Split, progress: Callable[[int], None] | None = None
) -> Share:
    """This instance's share of the pass: claimed in this process, or, with workers and a
    roster big enough, by that many worker processes (each its own claimer and writer)."""
    with engine.connect() as connection:
        holders = holder_count(connection)
    if split.workers <= 1 or holders < split.parallel_from:
        return claim_ranges(engine, job, progress)
    url = engine.url.render_as_string(hide_password=False)
    # Spawned, not forked: the daemon runs threads whose locks a forked child would inherit held.
    context = multiprocessing.get_context("spawn")
    share = Share()
    with ProcessPoolExecutor(split.workers, mp_context=context) as pool:
        running: set[Future[Share]] = {
            pool.submit(_claim_in_worker, url, job) for _ in range(split.workers)
        }
        while running:
            done, running = wait(running, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                share.add(future.result())
            if progress is not None:
                with engine.connect() as connection:
                    progress(passes.done_holders(connection, job.pass_pk))
    return share


def _claim_in_worker(url: str, job: Job) -> Share:
    engine = make_engine(url)
    try:
        return claim_ranges(engine, job)
    finally:
        engine.dispose()
