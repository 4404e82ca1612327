"""Benchmark: the digest of one organisation of N members (10,000 by default), beside the
evaluation of the same members.

    python -m bench.digest [--holders N] [--runs R] [--no-postgres]

The generated roster's holders all join one organisation (in 20 teams) with one weekly
subscription. Then, R times each, a child process: `reminders status --format json` over
everyone (the baseline: the rules alone), and `reminders digest --preview` (members read by
scope, evaluated, compared with nothing, rendered to text, HTML and CSV, and written as a mail):
wall time and its own peak RSS.
"""

from __future__ import annotations

import csv
import shutil
import sys
import tempfile
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
AS_OF = "2026-11-30"
ORG = "Bench Health"


def _organisation(holders: int, directory: Path) -> None:
    with (directory / "teams.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["org", "team", "holder_id"])
        for number in range(holders):
            writer.writerow([ORG, f"Team {number % 20:02d}", f"h-{number:07d}"])
    with (directory / "subscriptions.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["org", "team", "email", "frequency", "timezone"])
        writer.writerow([ORG, "", "lead@bench.example", "weekly", "America/New_York"])


def measure(holders: int, runs: int, postgres: bool) -> list[str]:
    data, counts = roster(holders)
    work = Path(tempfile.mkdtemp(prefix="reminders-digest-"))
    _organisation(holders, work)
    lines = [
        (
            f"Digest of one organisation of {holders:,} members ({counts['credentials']:,} "
            f"credentials, {counts['ceus']:,} CEU records) as of {AS_OF}; median of {runs} runs."
        ),
        f"Machine: {machine()}.",
        "",
        HEADER.replace("rows/s", "members/s"),
    ]
    sizes = ""
    targets: list[str] = []
    try:
        with databases(postgres) as fresh:
            for backend in ["sqlite", "postgresql"] if postgres else ["sqlite"]:
                env = env_for(fresh(backend))
                run_child([*REMINDERS, "init"], env, ROOT)
                run_child([*REMINDERS, "import", "all", data], env, ROOT)
                for kind in ("teams", "subscriptions"):
                    run_child([*REMINDERS, "import", kind, work / f"{kind}.csv"], env, ROOT)
                base: list[Run] = []
                built: list[Run] = []
                out = work / f"out-{backend}"
                for _ in range(runs):
                    status: list[str | Path] = [*REMINDERS, "status", "--as-of", AS_OF]
                    base.append(run_child([*status, "--format", "json"], env, ROOT))
                    shutil.rmtree(out, ignore_errors=True)
                    preview: list[str | Path] = [*REMINDERS, "digest", "--as-of", AS_OF]
                    built.append(run_child([*preview, "--preview", out], env, ROOT))
                baseline = Summary(f"{backend}: status of the same members", tuple(base), holders)
                lines.append(baseline.line())
                digest = Summary(f"{backend}: reminders digest --preview", tuple(built), holders)
                lines.append(digest.line(baseline))
                targets.append(
                    f"- {backend}, digest of a {holders:,}-member organisation: "
                    f"{digest.median:.1f} s, peak RSS {digest.peak_rss_mb:.0f} MB "
                    f"({digest.median / baseline.median:.2f}x evaluating the same members; "
                    "the issue asks for the figures, with no target)"
                )
                files = {path.suffix: path.stat().st_size for path in out.iterdir()}
                sizes = (
                    f"The mail is {files['.eml'] / 1e6:.1f} MB (the body shows the first 200 "
                    f"lines of each section); its CSV {files['.csv'] / 1e6:.1f} MB."
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return [*lines, "", sizes, "", *targets]


def main() -> None:
    scan_cli(__doc__ or "", measure)


if __name__ == "__main__":
    main()
