"""Benchmark: `reminders import` of the generated CEU file, beside a raw load of the same file.

    python -m bench.import_csv [--holders N] [--runs R] [--no-postgres]

For each database: a fresh database with the holders loaded, then `reminders import ceus` (all
rows new), the same file again (all rows unchanged), and the baseline (bench/raw_load.py: no
checks, the driver's fastest bulk path). Each is a child process: wall time and its own peak RSS.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.generate import generate
from bench.measure import HEADER, Run, Summary, machine, run_child

ROOT = Path(__file__).resolve().parent.parent
REMINDERS = [sys.executable, "-m", "reminders"]


def _data(holders: int) -> tuple[Path, dict[str, int]]:
    directory = ROOT / "bench" / "out" / f"roster-{holders}"
    marker = directory / "counts.txt"
    if marker.exists():
        pairs = (item.split("=") for item in marker.read_text().split())
        return directory, {name: int(value) for name, value in pairs}
    counts = generate(holders, directory)
    marker.write_text(" ".join(f"{name}={number}" for name, number in counts.items()))
    return directory, counts


@contextmanager
def _databases(postgres: bool) -> Iterator[Callable[[str], str]]:
    """Yields a function that makes a fresh, empty database on a backend and returns its URL."""
    server = None
    if postgres:
        from tests.pgserver import PostgresServer

        server = PostgresServer().start()
    work = Path(tempfile.mkdtemp(prefix="reminders-bench-"))
    names = itertools.count(1)

    def fresh(backend: str) -> str:
        number = next(names)
        if backend == "sqlite":
            return f"sqlite:///{work / f'db{number}.sqlite'}"
        assert server is not None
        return server.create_database(f"bench_{number}")

    try:
        yield fresh
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if server is not None:
            server.stop()


def _env(url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("REMINDERS_")}
    env["REMINDERS_DATABASE_URL"] = url
    return env


def measure(holders: int, runs: int, postgres: bool) -> list[str]:
    data, counts = _data(holders)
    ceus = data / "ceus.csv"
    results: dict[str, dict[str, list[Run]]] = {}
    backends = ["sqlite", "postgresql"] if postgres else ["sqlite"]
    with _databases(postgres) as fresh:
        for _ in range(runs):
            for backend in backends:
                env = _env(fresh(backend))
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
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print("\n".join(measure(args.holders, args.runs, not args.no_postgres)))


if __name__ == "__main__":
    main()
