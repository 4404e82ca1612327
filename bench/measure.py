"""Helpers the benchmarks share: run a command as a child and measure it, summarise runs, and
describe the machine."""

from __future__ import annotations

import itertools
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mb: float


def run_child(command: Sequence[str | Path], env: dict[str, str], cwd: Path) -> Run:
    """Run a command to completion; its wall time and the peak resident memory of it and its
    worker processes together (sampled every tenth of a second, and at least the largest
    single process's own peak, which the kernel reports exactly)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(part) for part in command], env=env, cwd=cwd, stdout=subprocess.DEVNULL
    )
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            peak[0] = max(peak[0], _tree_rss_kb(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{command} exited with {process.returncode}")
    return Run(elapsed, max(usage.ru_maxrss, peak[0]) / 1024)


_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _tree_rss_kb(root: int) -> int:
    """The resident memory of a process and all its descendants now, in KiB (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                # The command name may hold spaces: the fields after its closing ')'.
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    total, waiting = 0, [root]
    while waiting:
        pid = waiting.pop()
        waiting.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * _PAGE_KB
        except (OSError, IndexError, ValueError):
            continue
    return total


@dataclass(frozen=True)
class Summary:
    label: str
    runs: tuple[Run, ...]
    rows: int

    @property
    def median(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.median

    @property
    def peak_rss_mb(self) -> float:
        return max(run.peak_rss_mb for run in self.runs)

    def line(self, baseline: Summary | None = None) -> str:
        seconds = [run.seconds for run in self.runs]
        ratio = f"{self.median / baseline.median:5.2f}x" if baseline else "   base"
        return (
            f"| {self.label:<44} | {self.median:7.2f} | {min(seconds):7.2f} | {max(seconds):7.2f}"
            f" | {self.rows_per_second:>9,.0f} | {self.peak_rss_mb:6.0f} | {ratio} |"
        )


HEADER = (
    f"| {'what':<44} | median s | min s | max s | rows/s | peak RSS MB | vs baseline |\n"
    f"|{'-' * 46}|---:|---:|---:|---:|---:|---:|"
)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, {platform.system()} {platform.release()}"
    )


@contextmanager
def databases(postgres: bool) -> Iterator[Callable[[str], str]]:
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


def env_for(url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("REMINDERS_")}
    env["REMINDERS_DATABASE_URL"] = url
    return env


def scan_cli(doc: str, measure: Callable[[int, int, bool], list[str]]) -> None:
    """The command line the database benchmarks share: --holders, --runs, --no-postgres."""
    import argparse

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--holders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print("\n".join(measure(args.holders, args.runs, not args.no_postgres)))
