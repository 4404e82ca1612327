"""A deterministic roster for the benchmarks: N holders with about 1.3 credentials, one
membership per body and 10 CEU records each, both bodies, dates around today.

    python -m bench.generate N DIR
"""

from __future__ import annotations

import csv
import random
import sys
from datetime import date, timedelta
from pathlib import Path

AAPC_CORE = ["CPC", "COC", "CIC", "CRC", "CPB", "CPC-P"]
AAPC_EXTRA = ["CPMA", "CPCO", "CDEO", "CEMC", "CRC"]
AHIMA_CORE = ["CCS", "CCA", "RHIT", "RHIA", "CCS-P"]
AHIMA_EXTRA = ["CDIP", "CHDA", "CCS-P"]
FIRST = ["Maria", "James", "Priya", "Thomas", "Linda", "Samuel", "Grace", "Daniel", "Ana", "Omar"]
LAST = ["Alvarez", "Okafor", "Raman", "Becker", "Nguyen", "Ortiz", "Whitfield", "Kim", "Lima"]
ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", ""]
TODAY = date(2026, 11, 24)


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _credentials(rng: random.Random) -> list[str]:
    roll = rng.random()
    body = "AAPC" if roll < 0.7 else "AHIMA" if roll < 0.9 else "both"
    codes = []
    if body in ("AAPC", "both"):
        codes.append(rng.choice(AAPC_CORE))
    if body in ("AHIMA", "both"):
        codes.append(rng.choice(AHIMA_CORE))
    if body != "both" and rng.random() < 0.22:
        extra = rng.choice(AAPC_EXTRA if body == "AAPC" else AHIMA_EXTRA)
        if extra not in codes:
            codes.append(extra)
    return codes


def generate(holders: int, directory: Path, seed: int = 2026) -> dict[str, int]:
    """Write holders/credentials/memberships/ceus.csv; returns the number of rows of each."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    names = ("holders", "credentials", "memberships", "ceus")
    files = {name: (directory / f"{name}.csv").open("w", newline="") for name in names}
    writers = {name: csv.writer(handle) for name, handle in files.items()}
    writers["holders"].writerow(["holder_id", "full_name", "email", "timezone"])
    writers["credentials"].writerow(["holder_id", "credential", "earned_on"])
    writers["memberships"].writerow(["holder_id", "body", "member_id", "renews_on"])
    writers["ceus"].writerow(
        ["holder_id", "completed_on", "hours", "title", "provider", "index_number", "bodies",
         "categories"]
    )  # fmt: skip
    counts = dict.fromkeys(names, 0)
    for number in range(holders):
        holder = f"h-{number:07d}"
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        writers["holders"].writerow([holder, name, f"{holder}@example.org", rng.choice(ZONES)])
        codes = _credentials(rng)
        bodies = set()
        for code in codes:
            body = "AHIMA" if code in AHIMA_CORE or code in AHIMA_EXTRA else "AAPC"
            bodies.add(body)
            earned = _day(rng, date(2008, 1, 1), date(2026, 6, 30))
            writers["credentials"].writerow([holder, code, earned.isoformat()])
        for body in sorted(bodies):
            renews = _day(rng, TODAY, TODAY + timedelta(days=364)) if body == "AAPC" else ""
            writers["memberships"].writerow([holder, body, f"M{number:08d}", str(renews)])
        courses = rng.sample(range(20_000), rng.randint(5, 15))
        for course in courses:
            completed = _day(rng, date(2024, 1, 1), TODAY)
            accepted = ";".join(sorted(bodies))
            category = "hiim" if "AHIMA" in bodies and rng.random() < 0.6 else ""
            if "AAPC" in bodies and category == "" and rng.random() < 0.1:
                category = "auditing"
            index = f"IDX-{course:05d}" if rng.random() < 0.8 else ""
            writers["ceus"].writerow([
                holder, completed.isoformat(), rng.choice(["1", "1.5", "2", "0.5", "3", "8"]),
                f"Course {course}", "Provider", index, accepted, category,
            ])  # fmt: skip
        counts["holders"] += 1
        counts["credentials"] += len(codes)
        counts["memberships"] += len(bodies)
        counts["ceus"] += len(courses)
    for handle in files.values():
        handle.close()
    return counts


OUT = Path(__file__).resolve().parent / "out"


def roster(holders: int) -> tuple[Path, dict[str, int]]:
    """The generated roster of `holders` holders under bench/out/, made once and reused."""
    directory = OUT / f"roster-{holders}"
    marker = directory / "counts.txt"
    if marker.exists():
        pairs = (item.split("=") for item in marker.read_text().split())
        return directory, {name: int(value) for name, value in pairs}
    counts = generate(holders, directory)
    marker.write_text(" ".join(f"{name}={number}" for name, number in counts.items()))
    return directory, counts


if __name__ == "__main__":
    print(generate(int(sys.argv[1]), Path(sys.argv[2])))
