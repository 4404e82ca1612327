"""Benchmark: the daily tick (`reminders tick`: only the holders whose next review day has come)
beside the full scan of the same run.

    python -m bench.tick [--holders N] [--runs R] [--no-postgres] [--no-double]

Each database is loaded once with the generated roster. Then, each a child process: `reminders
plan --all` of the first day (every holder evaluated, nothing written), the full scan that
builds the next-review index (`reminders tick` on the first day: it has no index yet), and a
tick on each of max(R, 5) following days, as they come. Then three ticks with 0.5%, 1% and 2%
of the holders due: the index is arranged so that exactly those are (the holders due that day
moved to the next, a spread-out sample's day set to it); each is evaluated and planned as any
holder due is. Then the same at twice the holders with as many due as 1% of N (--no-double:
not). Each line has the tick's own time (what the daemon spends: it ticks in its process) and
the command's wall time (with Python's start, about a second of imports), the rows of the
index read, the holders evaluated and the messages queued.
Target (issue 14): a daily tick on a day when about 1% of the holders reach something takes at
most 2 s at 1M holders, and grows with the holders due, not the roster.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text

from bench.generate import roster
from bench.measure import ROOT, databases, env_for, machine, run_child
from bench.status import settle
from reminders.db.engine import make_engine

REMINDERS = [sys.executable, "-m", "reminders"]
FIRST = date(2026, 11, 24)
TARGET_SECONDS = 2.0
SHARES = (0.005, 0.01, 0.02)
SAID = re.compile(
    r"(\d+) rows of the index read, (\d+) holders evaluated, (\d+) messages? queued in "
    r"([\d.]+) s"
)


@dataclass(frozen=True)
class Ticked:
    wall: float
    own: float
    """The tick's own time, as the command reports it."""
    read: int
    evaluated: int
    queued: int

    def line(self, what: str) -> str:
        return (f"| {what} | {self.own:.2f} | {self.wall:.2f} | {self.read:,} | "
                f"{self.evaluated:,} | {self.queued:,} |")  # fmt: skip


def _tick(env: dict[str, str], day: date) -> Ticked:
    """One tick as of `day`: its times, and what it says it read, evaluated and queued."""
    started = time.perf_counter()
    done = subprocess.run(
        [*REMINDERS, "tick", "--as-of", day.isoformat()], env=env, cwd=ROOT, check=True,
        capture_output=True, text=True,
    )  # fmt: skip
    took = time.perf_counter() - started
    found = SAID.search(done.stdout)
    if found is None:
        raise RuntimeError(f"the tick as of {day} ran the full scan: {done.stdout.strip()}")
    read, evaluated, queued, own = found.groups()
    return Ticked(took, float(own), int(read), int(evaluated), int(queued))


def _arrange(url: str, day: date, due: int) -> None:
    """Make exactly `due` holders due on `day`: those due by then move to the next day, and a
    spread-out sample (a multiplicative hash of the row id) gets `day`."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE holder_reviews SET review_on = :next WHERE review_on <= :day"),
                {"next": day + timedelta(days=1), "day": day},
            )
            connection.execute(
                text(
                    "UPDATE holder_reviews SET review_on = :day WHERE holder_pk IN ("
                    "SELECT holder_pk FROM holder_reviews "
                    "ORDER BY (holder_pk * 2654435761) % 1000003, holder_pk LIMIT :due)"
                ),
                {"day": day, "due": due},
            )
    finally:
        engine.dispose()


def _judged(holders: int, own: float) -> str:
    target = f"at most {TARGET_SECONDS:g} s at 1M holders with about 1% due"
    if holders < 1_000_000:
        return f"the target ({target}) is judged at 1M holders"
    return f"target {'met' if own <= TARGET_SECONDS else 'missed'} ({target})"


HEADER = [
    "| what | tick's own s | wall s | rows of the index read | holders evaluated | messages queued |",
    "|---|---:|---:|---:|---:|---:|",
]


def _roster_ticks(
    holders: int,
    days: int,
    backend: str,
    fresh: Any,
    shares: Sequence[float],
    due_counts: Sequence[int],
) -> tuple[list[str], dict[str, Ticked], float]:
    """Load a roster, build its index, tick `days` days, then the arranged ticks (a share of
    the holders, or a number of them). The lines, the arranged ticks by label, and the median
    own time of the days as they came."""
    data, _ = roster(holders)
    url = fresh(backend)
    env = env_for(url)
    run_child([*REMINDERS, "init"], env, ROOT)
    run_child([*REMINDERS, "import", "all", data], env, ROOT)
    settle(url)
    name = f"{backend}, {holders:,} holders"
    lines = []
    if not due_counts:
        plan = run_child([*REMINDERS, "plan", "--all", "--as-of", FIRST.isoformat(),
                          "--format", "json"], env, ROOT)  # fmt: skip
        lines.append(f"| {name}: reminders plan --all (every holder, nothing written) | - | "
                     f"{plan.seconds:.2f} | {holders:,} | {holders:,} | - |")  # fmt: skip
    built = run_child([*REMINDERS, "tick", "--as-of", FIRST.isoformat()], env, ROOT)
    lines.append(f"| {name}: full scan building the index (first tick; peak RSS "
                 f"{built.peak_rss_mb:.0f} MB) | - | {built.seconds:.2f} | {holders:,} | "
                 f"{holders:,} | - |")  # fmt: skip
    day = FIRST
    own = []
    for _ in range(days):
        day += timedelta(days=1)
        ticked = _tick(env, day)
        own.append(ticked.own)
        lines.append(ticked.line(f"{name}: tick as of {day}"))
    arranged: dict[str, Ticked] = {}
    wanted = [(f"{share:.1%} due", round(holders * share)) for share in shares]
    wanted += [(f"{due:,} due", due) for due in due_counts]
    for label, due in wanted:
        day += timedelta(days=1)
        _arrange(url, day, due)
        arranged[label] = ticked = _tick(env, day)
        lines.append(ticked.line(f"{name}: tick as of {day}, arranged: {label}"))
    return lines, arranged, statistics.median(own) if own else 0.0


def measure(holders: int, runs: int, postgres: bool, double: bool = True) -> list[str]:
    _, counts = roster(holders)
    backends = ["sqlite", "postgresql"] if postgres else ["sqlite"]
    days = max(runs, 5)
    lines = [
        (
            f"{holders:,} holders ({counts['ceus']:,} CEU records); the index built as of "
            f"{FIRST}, then a tick on each of the {days} days after, then ticks with 0.5%, 1% "
            f"and 2% of the holders due"
            + (f"; and {2 * holders:,} holders with {holders // 100:,} due." if double else ".")
        ),
        f"Machine: {machine()}.",
        "",
        *HEADER,
    ]
    verdicts = []
    with databases(postgres) as fresh:
        for backend in backends:
            found, arranged, median = _roster_ticks(holders, days, backend, fresh, SHARES, [])
            lines += found
            growth = ", ".join(f"{label} {t.own:.2f} s" for label, t in arranged.items())
            verdict = (f"- {backend}, daily tick: median {median:.2f} s of its own on the days "
                       f"as they came; arranged: {growth}; "
                       + _judged(holders, arranged["1.0% due"].own))  # fmt: skip
            if double:
                found, twice, _ = _roster_ticks(
                    2 * holders, 0, backend, fresh, (), [holders // 100]
                )
                lines += found
                [same] = twice.values()
                verdict += (f"; {2 * holders:,} holders with the same {holders // 100:,} due: "
                            f"{same.own:.2f} s against {arranged['1.0% due'].own:.2f} s")  # fmt: skip
            verdicts.append(verdict)
    return [*lines, "", *verdicts]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--holders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-double", action="store_true")
    args = parser.parse_args()
    print("\n".join(measure(args.holders, args.runs, not args.no_postgres, not args.no_double)))


if __name__ == "__main__":
    main()
