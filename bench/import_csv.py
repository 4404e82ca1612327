"""Benchmark: `reminders import` of the generated CEU file, beside a raw load of the same file.

    python -m bench.import_csv [--holders N] [--runs R] [--no-postgres]

For each database: a fresh database with the holders loaded, then `reminders import ceus` (all
rows new), the same file again (all rows unchanged), and the baseline (bench/raw_load.py: no
checks, the driver's fastest bulk path). Each is a child process: wall time and its own peak RSS.
Target (issue 8): at least 100,000 CEU rows per second with bounded memory.
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
TARGET_ROWS_PER_SECOND = 100_000


def measure(holders: int, runs: int, postgres: bool) -> list[str]:
    data, counts = roster(holders)
    ceus = data / "ceus.csv"
    results: dict[str, dict[str, list[Run]]] = {}
    backends = ["sqlite", "postgresql"] if postgres else ["sqlite"]
    with databases(postgres) as fresh:
        for _ in range(runs):
            for backend in backends:
                env = env_for(fresh(backend))
                figures = results.setdefault(backend, {"new": [], "same": [], "raw": []})
                run_child([*REMINDERS, "init"], env, ROOT)
                run_child([*REMINDERS, "import", "holders", data / "holders.csv"], env, ROOT)
                figures["new"].append(run_child([*REMINDERS, "import", "ceus", ceus], env, ROOT))
                figures["same"].append(run_child([*REMINDERS, "import", "ceus", ceus], env, ROOT))
                raw: list[str | Path] = [
                    sys.executable,
                    "-m",
                    "bench.raw_load",
                    fresh(backend),
                    ceus,
                ]
                figures["raw"].append(run_child(raw, env, ROOT))
    lines = [
        f"Import of {counts['ceus']:,} CEU rows ({holders:,} holders); median of {runs} runs.",
        f"Machine: {machine()}.",
        "",
        HEADER,
    ]
    verdicts = []
    for backend, figures in results.items():
        base = Summary(
            f"{backend}: baseline, raw driver load", tuple(figures["raw"]), counts["ceus"]
        )
        lines.append(base.line())
        for key, label in (("new", "all rows new"), ("same", "same file again")):
            summary = Summary(
                f"{backend}: reminders import, {label}", tuple(figures[key]), counts["ceus"]
            )
            lines.append(summary.line(base))
            if key == "new":
                verdicts.append(verdict(backend, summary))
    return [*lines, "", *verdicts]


def verdict(backend: str, summary: Summary) -> str:
    rate = summary.rows_per_second
    if rate >= TARGET_ROWS_PER_SECOND:
        met = f"target met (at least {TARGET_ROWS_PER_SECOND:,})"
    else:
        met = (
            f"target missed by {TARGET_ROWS_PER_SECOND - rate:,.0f} rows/s "
            f"({TARGET_ROWS_PER_SECOND / rate:.2f}x too slow)"
        )
    return (
        f"- {backend}, import of new CEU rows: {rate:,.0f} rows/s, {met}; "
        f"peak RSS {summary.peak_rss_mb:.0f} MB"
    )


def main() -> None:
    scan_cli(__doc__ or "", measure)


if __name__ == "__main__":
    main()
