"""A full scan's evaluation and planning, spread over worker processes when it is big enough.

Evaluating and planning a holder is pure Python and takes the scan's time (about 80 µs a
holder; a million holders take more than a minute on one core), while the reads are a few
queries a batch. So the holders are cut into ranges of holder ids, each worker process reads
and plans whole ranges with a connection of its own, and the results come back in holder order:
`reminders plan` prints the same bytes, and the scan records the same notices, with one worker
or eight. Ranges are handed out a few at a time, so memory stays bounded by the ranges in
flight. A small roster is planned in this process: starting the workers (each imports the
service) would cost more than it saves.

Each range is read in a transaction of its own. The scan's writer (queue_due) holds its own;
the workers never see its uncommitted rows, and need not: each holder's plan depends on that
holder's rows alone, and only one scan runs at a time.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import multiprocessing
import operator
import os
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, text

from reminders.db import preferences, queueing
from reminders.db.engine import make_engine
from reminders.db.facts import BATCH, StoredHolder, scan_options, stored_holders
from reminders.notices.ladder import Ladder
from reminders.notices.planning import Known, Notice, Plan, plan
from reminders.notices.preferences import DEFAULT, Ladders, kinds_for
from reminders.notices.review import ONE_DAY, after_plan
from reminders.rules import holding
from reminders.rules.evaluate import evaluate
from reminders.rules.loader import Rulebook
from reminders.rules.results import Evaluation

if TYPE_CHECKING:
    from reminders.settings import Settings

log = logging.getLogger(__name__)

PARALLEL_FROM = 50_000
"""Holders from which a scan is worth worker processes (one worker plans about 12k a second;
starting one takes about a second)."""

RANGE = 5 * BATCH
"""Holders a worker plans at a time: a few read batches, few enough to hold several."""


@dataclass(frozen=True, slots=True)
class Planned:
    """A holder with something due (or skipped) and their plan."""

    pk: int
    holder_id: str
    email: str
    plan: Plan


LEASE = timedelta(minutes=5)
"""How long a claim holds a range of a full scan (notices/passes.py): long past a range's
planning (about a second), short enough that a killed instance's range is taken over the same
morning."""


@dataclass(frozen=True)
class Split:
    """How a scan spreads over worker processes: `workers` of them (1: none) once there are
    `parallel_from` holders, each planning ranges of about `range_size` holders; and how long
    an instance's claim on a range of a full scan lasts."""

    workers: int = 1
    parallel_from: int = PARALLEL_FROM
    range_size: int = RANGE
    lease: timedelta = LEASE

    @classmethod
    def from_settings(cls, settings: Settings) -> Split:
        """REMINDERS_SCAN_WORKERS (that many workers, or with 0 one per core),
        REMINDERS_SCAN_RANGE_HOLDERS and REMINDERS_SCAN_LEASE_SECONDS."""
        workers = settings.scan_workers
        return cls(workers if workers > 0 else os.cpu_count() or 1,
                   range_size=settings.scan_range_holders,
                   lease=timedelta(seconds=settings.scan_lease_seconds))  # fmt: skip


SERIAL = Split()


@dataclass
class ScanTally:
    """How many holders a scan read (the daemon's metrics), and those it could not plan."""

    holders: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(holder_id, the error) of each holder whose evaluation or planning raised."""
    progress: Callable[[int], None] | None = None
    """Told the holders read so far, batch by batch (a progress bar at a terminal)."""
    reviews: list[tuple[int, date]] | None = None
    """If a list: each holder's next review day is added to it (notices/review.py), for the
    scan that records its plans to write (`reminders plan` writes nothing: it asks for none)."""

    def read(self, holders: int) -> None:
        self.holders += holders
        if self.progress is not None:
            self.progress(self.holders)


def error_line(exc: BaseException) -> str:
    """What a holder's failure was, in the words of the exception's last line."""
    return "".join(traceback.format_exception_only(exc)).strip()


def scan_plans(
    connection: Connection,
    rulebook: Rulebook,
    ladder: Ladder,
    as_of: date,
    split: Split = SERIAL,
    tally: ScanTally | None = None,
) -> Iterator[Planned]:
    """Every holder with something due, and their plan, in holder_id order."""
    tally = tally if tally is not None else ScanTally()
    if split.workers > 1 and holder_count(connection) >= split.parallel_from:
        bounds = range_bounds(connection, split.range_size)
        if len(bounds) > 1:
            engine, workers = connection.engine, split.workers
            yield from _in_workers(engine, rulebook, ladder, as_of, workers, bounds, tally)
            return
    yield from plan_range(connection, rulebook, ladder, as_of, None, tally)


def plan_range(
    connection: Connection,
    rulebook: Rulebook,
    ladder: Ladder,
    as_of: date,
    between: tuple[str, str | None] | None,
    tally: ScanTally,
) -> Iterator[Planned]:
    """The holders with something due among those whose holder_id is in `between` (after,
    through], or among all; batch by batch."""
    ladders = Ladders(ladder)
    options = scan_options(rulebook, as_of)
    for batch in stored_holders(connection, between=between, **options):
        yield from plan_batch(connection, batch, rulebook, ladders, as_of, tally)


def plan_batch(
    connection: Connection,
    batch: Sequence[StoredHolder],
    rulebook: Rulebook,
    ladders: Ladders,
    as_of: date,
    tally: ScanTally,
) -> Iterator[Planned]:
    """The holders of a batch read with something due (or skipped), and their plans; their
    review days into the tally's, if it keeps them."""
    tally.read(len(batch))
    known = queueing.known_notices(connection, [holder.pk for holder in batch])
    chosen = preferences.levels(connection, [holder.email for holder in batch])
    for holder in batch:
        level = chosen.get(holder.email, DEFAULT)
        try:
            result = plan_holder(holder, known[holder.pk], level, rulebook, ladders, as_of,
                                 tally.reviews)  # fmt: skip
        except Exception as exc:
            # One holder's bug must not hold up everyone else's reminders: left out of this
            # scan, reported, and tried again by the next one (and the next tick).
            log.exception("holder %s: cannot be planned", holder.facts.holder_id)
            tally.failed.append((holder.facts.holder_id, error_line(exc)))
            if tally.reviews is not None:
                tally.reviews.append((holder.pk, as_of + ONE_DAY))
            continue
        if result.due or result.skipped:
            yield Planned(holder.pk, holder.facts.holder_id, holder.email, result)


def plan_holder(
    holder: StoredHolder,
    known: Mapping[str, Known],
    level: str,
    rulebook: Rulebook,
    ladders: Ladders,
    as_of: date,
    reviews: list[tuple[int, date]] | None = None,
) -> Plan:
    """One holder's plan: their evaluations on `as_of`, the ladder and kinds of their
    preference `level`, and the notices already `known` (the scan's and the API's step); with
    `reviews`, their next review day is added to it, as of once the plan is recorded."""
    return evaluate_and_plan(holder, known, level, rulebook, ladders, as_of, reviews)[1]


def evaluate_and_plan(
    holder: StoredHolder,
    known: Mapping[str, Known],
    level: str,
    rulebook: Rulebook,
    ladders: Ladders,
    as_of: date,
    reviews: list[tuple[int, date]] | None = None,
) -> tuple[list[Evaluation], Plan]:
    """plan_holder, with the evaluations it planned from (the change job checks the notices
    still queued against them)."""
    facts, holdings = holder.facts, holder.holdings
    if holdings is None:
        holdings = holding.holdings(facts, rulebook, as_of)
    evaluations, _ = evaluate(facts, rulebook, as_of, holdings)
    ladder = ladders[level]
    result = plan(evaluations, ladder, as_of, known, kinds_for(level))
    if reviews is not None:
        day = after_plan(facts, evaluations, ladder, known, result, rulebook, as_of, holdings)
        reviews.append((holder.pk, day))
    return evaluations, result


def holder_count(connection: Connection) -> int:
    return int(connection.execute(text("SELECT count(*) FROM holders")).scalar_one())


def range_bounds(connection: Connection, size: int) -> list[tuple[str, str | None]]:
    """Ranges (after, through] of about `size` holder ids each, in order; the last open."""
    cuts = connection.execute(
        text(
            "SELECT holder_id FROM (SELECT holder_id, "
            "ROW_NUMBER() OVER (ORDER BY holder_id) AS n FROM holders) AS numbered "
            "WHERE n % :size = 0 ORDER BY holder_id"
        ),
        {"size": size},
    ).scalars()
    ranges: list[tuple[str, str | None]] = []
    after = ""
    for cut in cuts:
        if cut != after:  # organisations' holders may share an id: one range takes them all
            ranges.append((after, cut))
            after = cut
    ranges.append((after, None))
    return ranges


def _in_workers(
    engine: Engine,
    rulebook: Rulebook,
    ladder: Ladder,
    as_of: date,
    workers: int,
    bounds: list[tuple[str, str | None]],
    tally: ScanTally,
) -> Iterator[Planned]:
    url = engine.url.render_as_string(hide_password=False)
    # Spawned, not forked: the daemon runs threads (the event loop, the HTTP server) whose locks
    # a forked child would inherit held.
    context = multiprocessing.get_context("spawn")
    collect = tally.reviews is not None
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start,
        initargs=(url, rulebook, ladder, as_of, collect),
    )  # fmt: skip
    in_flight: deque[Future[_Result]] = deque()
    waiting = iter(bounds)
    try:
        in_flight.extend(
            pool.submit(_plan_in_worker, between)
            for between in itertools.islice(waiting, 2 * workers)
        )
        while in_flight:
            holders, failed, planned, reviews = in_flight.popleft().result()
            following = next(waiting, None)
            if following is not None:
                in_flight.append(pool.submit(_plan_in_worker, following))
            tally.read(holders)
            tally.failed += failed
            if tally.reviews is not None:
                tally.reviews += reviews
            for pk, holder_id, email, due, skipped in planned:
                notices = Plan([Notice(*n) for n in due], [Notice(*n) for n in skipped])
                yield Planned(pk, holder_id, email, notices)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_worker: dict[str, Any] = {}


def _start(url: str, rulebook: Rulebook, ladder: Ladder, as_of: date, collect: bool) -> None:
    _worker.update(engine=make_engine(url), rulebook=rulebook, ladder=ladder, as_of=as_of,
                   collect=collect)  # fmt: skip


# A plan as plain tuples: unpickling a dataclass with slots runs dataclasses.fields() for each
# object, which cost the parent more than writing the plans out.
_Sent = tuple[int, str, str, list[tuple[Any, ...]], list[tuple[Any, ...]]]
_Result = tuple[int, list[tuple[str, str]], list[_Sent], list[tuple[int, date]]]
"""A range's holders read, those left out, the plans, and the review days (if asked)."""


def _plan_in_worker(between: tuple[str, str | None]) -> _Result:
    tally = ScanTally(reviews=[] if _worker["collect"] else None)
    engine: Engine = _worker["engine"]
    rulebook, ladder, as_of = _worker["rulebook"], _worker["ladder"], _worker["as_of"]
    with engine.connect() as connection:
        planned = [
            (
                p.pk,
                p.holder_id,
                p.email,
                [_fields(n) for n in p.plan.due],
                [_fields(n) for n in p.plan.skipped],
            )
            for p in plan_range(connection, rulebook, ladder, as_of, between, tally)
        ]
    return tally.holders, tally.failed, planned, tally.reviews or []


# A notice's fields in the order Notice(*fields) takes them.
_fields = operator.attrgetter(*(f.name for f in dataclasses.fields(Notice)))
