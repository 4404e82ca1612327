"""Benchmark: `reminders status` over every generated holder, beside the scan baseline.

    python -m bench.status [--holders N] [--runs R] [--no-postgres]

Each database is loaded once with the generated roster; then, R times each, the full evaluation
(`reminders status --format json`, output discarded) and the baseline (bench/baseline_scan.py:
one GROUP BY plus a status loop), each a child process: wall time and its own peak RSS.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench.generate import roster
from bench.measure import (
    HEADER,
    ROOT,
    Run,
    Summary,
    databases,
    env_for,
    machine,
    run_child,
    scan_cli,
)

REMINDERS = [sys.executable, "-m", "reminders"]
AS_OF = "2026-11-24"


def measure(holders: int, runs: int, postgres: bool) -> list[str]:
    data, counts = roster(holders)
    backends = ["sqlite", "postgresql"] if postgres else ["sqlite"]
    lines = [
        (
            f"Evaluation of {holders:,} holders ({counts['credentials']:,} credentials, "
            f"{counts['ceus']:,} CEU records) as of {AS_OF}; median of {runs} runs."
        ),
        f"Machine: {machine()}.",
        "",
        HEADER.replace("rows/s", "holders/s"),
    ]
    with databases(postgres) as fresh:
        for backend in backends:
            url = fresh(backend)
            env = env_for(url)
            run_child([*REMINDERS, "init"], env, ROOT)
            run_child([*REMINDERS, "import", "all", data], env, ROOT)
            status: list[Run] = []
            base: list[Run] = []
            for _ in range(runs):
                base.append(
                    run_child([sys.executable, "-m", "bench.baseline_scan", url, AS_OF], env, ROOT)
                )
                command: list[str | Path] = [
                    *REMINDERS,
                    "status",
                    "--as-of",
                    AS_OF,
                    "--format",
                    "json",
                ]
                status.append(run_child(command, env, ROOT))
            baseline = Summary(f"{backend}: baseline, GROUP BY + status loop", tuple(base), holders)
            lines.append(baseline.line())
            summary = Summary(f"{backend}: reminders status --format json", tuple(status), holders)
            lines.append(summary.line(baseline))
    return lines


def main() -> None:
    scan_cli(__doc__ or "", measure)


if __name__ == "__main__":
    main()
