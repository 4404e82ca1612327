"""Benchmark: event latency. While the daemon runs, a CEU is posted to its API for a holder
whose cycle it completes; the clock runs until that holder's "complete" notice is in the
outbox. p50 and p99 over E events (200 by default), on SQLite (the change job polls every
REMINDERS_EVENTS_POLL_SECONDS) and PostgreSQL (LISTEN/NOTIFY wakes it).

    python -m bench.latency [--holders N] [--events E] [--no-postgres]

Baseline, in the same run: the round trip of the POST itself (the request, its checks and its
transaction), the floor under any latency.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from bench.deliver import _free_port, _sink
from bench.generate import roster
from bench.measure import ROOT, databases, env_for, machine
from reminders.db.engine import make_engine

AS_OF = "2026-11-24"
ORG = "Latency Health"
FOUND = text(
    "SELECT 1 FROM notices JOIN holders ON holders.id = notices.holder_pk "
    "WHERE holders.holder_id = :holder AND notices.kind = 'complete'"
)


def _run(command: list[str | Path], env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(part) for part in command], env=env, cwd=ROOT, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    return done.stdout


def _candidates(env: dict[str, str], events: int) -> list[tuple[str, float]]:
    """Holders with AAPC alone, no minimums, not complete: a CEU of what they lack completes
    them. (holder_id, CEUs to post)."""
    status = json.loads(
        _run(
            [sys.executable, "-m", "reminders", "status", "--as-of", AS_OF, "--format", "json"], env
        )
    )
    bodies: dict[str, list[dict[str, object]]] = {}
    for item in status:
        bodies.setdefault(str(item["holder_id"]), []).append(item)
    chosen = [
        (holder, float(items[0]["remaining"]))  # type: ignore[arg-type]
        for holder, items in sorted(bodies.items())
        if len(items) == 1 and items[0]["body"] == "AAPC" and not items[0]["minimums"]
        and items[0]["status"] in ("on_track", "behind")
    ]  # fmt: skip
    if len(chosen) < events:
        raise SystemExit(f"only {len(chosen)} holders fit; generate more")
    return chosen[:: max(1, len(chosen) // events)][:events]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(holders: int, events: int, postgres: bool) -> list[str]:
    data, counts = roster(holders)
    lines = [
        (
            f"Event latency over {events} CEUs posted to the API of a running daemon, "
            f"{holders:,} holders ({counts['ceus']:,} CEU records), as of {AS_OF}."
        ),
        f"Machine: {machine()}.",
        "",
        "| what | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|",
    ]
    notes: list[str] = []
    targets: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="reminders-latency-"))
    with (work / "teams.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["org", "team", "holder_id"])
        writer.writerows([ORG, "All", f"h-{n:07d}"] for n in range(holders))
    with databases(postgres) as fresh:
        for backend in ["sqlite", "postgresql"] if postgres else ["sqlite"]:
            url = fresh(backend)
            smtp, http = _free_port(), _free_port()
            env = env_for(url) | {
                "REMINDERS_SECRET_KEY": "bench-secret-key-long-enough-0123456789abcdef",
                "REMINDERS_SMTP_PORT": str(smtp), "REMINDERS_HTTP_PORT": str(http),
                "REMINDERS_SCAN_INTERVAL_SECONDS": "86400", "REMINDERS_API_RATE_PER_MINUTE": "100000",
            }  # fmt: skip
            reminders: list[str | Path] = [sys.executable, "-m", "reminders"]
            _run([*reminders, "init"], env)
            _run([*reminders, "import", "all", data], env)
            _run([*reminders, "import", "teams", work / "teams.csv"], env)
            key = _run([*reminders, "org", "create", ORG], env).splitlines()[-1]
            chosen = _candidates(env, events)
            sink = _sink(smtp)
            daemon = subprocess.Popen(
                [*reminders, "run", "--as-of", AS_OF], env=env, cwd=ROOT,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            engine = make_engine(url)
            try:
                base = f"http://127.0.0.1:{http}"
                with httpx.Client(base_url=base, timeout=60) as client:
                    _await_first_scan(client)
                    posts, latencies = [], []
                    for holder, missing in chosen:
                        ceu = {
                            "holder_id": holder, "completed_on": AS_OF, "hours": missing,
                            "title": "Latency course", "bodies": "AAPC",
                        }  # fmt: skip
                        started = time.perf_counter()
                        response = client.post(
                            "/api/v1/ceus", json=ceu, headers={"Authorization": f"Bearer {key}"}
                        )
                        posted = time.perf_counter()
                        assert response.status_code == 201, response.text
                        while True:
                            with engine.connect() as connection:
                                if connection.execute(FOUND, {"holder": holder}).first():
                                    break
                            time.sleep(0.005)
                        latencies.append((time.perf_counter() - started) * 1000)
                        posts.append((posted - started) * 1000)
            finally:
                daemon.terminate()
                daemon.wait(timeout=30)
                sink.terminate()
                engine.dispose()
            lines.append(_line(f"{backend}: POST /api/v1/ceus round trip (baseline)", posts))
            lines.append(_line(f"{backend}: POST until the notice is queued", latencies))
            p99 = _percentile(latencies, 0.99)
            verdict = "target met" if p99 <= 2000 else f"target missed by {p99 - 2000:.0f} ms"
            targets.append(
                f"- {backend}, event latency: p50 {statistics.median(latencies):.0f} ms, "
                f"p99 {p99:.0f} ms: {verdict} (p99 at most 2 s)"
            )
            slowest = sorted(range(len(latencies)), key=latencies.__getitem__)[-3:]
            notes.append(
                f"{backend}: the slowest events were numbers "
                + ", ".join(f"{i + 1} ({latencies[i]:.0f} ms)" for i in reversed(slowest))
            )
    return [*lines, "", *notes, "", *targets]


def _line(label: str, values: list[float]) -> str:
    return (
        f"| {label} | {statistics.median(values):.0f} | {_percentile(values, 0.99):.0f} "
        f"| {max(values):.0f} |"
    )


def _await_first_scan(client: httpx.Client) -> None:
    """The daemon scans everyone at start; the events are timed once that is done."""
    deadline = time.monotonic() + 3600
    while time.monotonic() < deadline:
        try:
            health = client.get("/healthz").json()
            if health.get("last_scan"):
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the daemon's first scan did not finish")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--holders", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    os.environ.pop("REMINDERS_DATABASE_URL", None)
    print("\n".join(measure(args.holders, args.events, not args.no_postgres)))


if __name__ == "__main__":
    main()
