"""Benchmark: the daily tick (`reminders tick`: only the holders whose next review day has come)
beside the full scan of the same run.

    python -m bench.tick [--holders N] [--runs R] [--no-postgres]

Each database is loaded once with the generated roster. Then, each a child process: the full
scan that builds the next-review index (`reminders tick` on the first day: it has no index yet),
`reminders plan` of that day (every holder evaluated, nothing written), and a tick on each of
max(R, 5) following days, each with the rows of the index it read, the holders it evaluated and
the messages it queued. Wall times include Python's start (about a second of imports).
Target (issue 14): a daily tick on a day when about 1% of the holders reach something takes at
most 2 s at 1M holders, and grows with the holders due, not the roster.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta

from bench.generate import roster
from bench.measure import ROOT, databases, env_for, machine, run_child, scan_cli
from bench.status import settle

REMINDERS = [sys.executable, "-m", "reminders"]
FIRST = date(2026, 11, 24)
TARGET_SECONDS = 2.0
SAID = re.compile(r"(\d+) rows of the index read, (\d+) holders evaluated, (\d+) messages? queued")


def _tick(env: dict[str, str], day: date) -> tuple[float, tuple[int, int, int]]:
    """One tick as of `day`: its wall time, and what it says it read, evaluated and queued."""
    started = time.perf_counter()
    done = subprocess.run(
        [*REMINDERS, "tick", "--as-of", day.isoformat()], env=env, cwd=ROOT, check=True,
        capture_output=True, text=True,
    )  # fmt: skip
    took = time.perf_counter() - started
    found = SAID.search(done.stdout)
    if found is None:
        raise RuntimeError(f"the tick as of {day} ran the full scan: {done.stdout.strip()}")
    read, evaluated, queued = (int(n) for n in found.groups())
    return took, (read, evaluated, queued)


def _judged(holders: int, median: float) -> str:
    target = f"at most {TARGET_SECONDS:g} s at 1M holders with about 1% due"
    if holders < 1_000_000:
        return f"the target ({target}) is judged at 1M holders"
    return f"target {'met' if median <= TARGET_SECONDS else 'missed'} ({target})"


def measure(holders: int, runs: int, postgres: bool) -> list[str]:
    data, counts = roster(holders)
    backends = ["sqlite", "postgresql"] if postgres else ["sqlite"]
    days = max(runs, 5)
    lines = [
        (
            f"{holders:,} holders ({counts['ceus']:,} CEU records); the index built as of "
            f"{FIRST}, then a tick on each of the {days} days after."
        ),
        f"Machine: {machine()}.",
        "",
        "| what | s | holders read | holders evaluated | messages queued |",
        "|---|---:|---:|---:|---:|",
    ]
    verdicts = []
    with databases(postgres) as fresh:
        for backend in backends:
            url = fresh(backend)
            env = env_for(url)
            run_child([*REMINDERS, "init"], env, ROOT)
            run_child([*REMINDERS, "import", "all", data], env, ROOT)
            settle(url)
            plan = run_child([*REMINDERS, "plan", "--all", "--as-of", FIRST.isoformat(),
                              "--format", "json"], env, ROOT)  # fmt: skip
            built = run_child([*REMINDERS, "tick", "--as-of", FIRST.isoformat()], env, ROOT)
            lines.append(f"| {backend}: reminders plan (every holder, nothing written) | "
                         f"{plan.seconds:.2f} | {holders:,} | {holders:,} | - |")  # fmt: skip
            lines.append(f"| {backend}: full scan building the index (first tick) | "
                         f"{built.seconds:.2f} | {holders:,} | {holders:,} | - |")  # fmt: skip
            took = []
            for offset in range(1, days + 1):
                day = FIRST + timedelta(days=offset)
                seconds, (read, evaluated, queued) = _tick(env, day)
                took.append((seconds, read))
                lines.append(f"| {backend}: tick as of {day} | {seconds:.2f} | {read:,} | "
                             f"{evaluated:,} | {queued:,} |")  # fmt: skip
            median = statistics.median(s for s, _ in took)
            share = statistics.median(r for _, r in took) / holders
            verdicts.append(
                f"- {backend}, daily tick: median {median:.2f} s with {share:.1%} of the "
                f"holders due ({plan.seconds / median:.0f}x faster than planning every holder); "
                + _judged(holders, median)
            )
    return [*lines, "", *verdicts]


def main() -> None:
    scan_cli(__doc__ or "", measure)


if __name__ == "__main__":
    main()
