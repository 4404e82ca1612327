"""The scan baseline: one SQL GROUP BY over the CEU rows of the cycle window, plus a status loop.

    python -m bench.baseline_scan DATABASE_URL AS_OF

The floor under any evaluation: the database sums every holder's CEUs of the last two years and
Python turns each sum into a status against a flat 36-CEU requirement. No rules, no minimums.
"""

from __future__ import annotations

import sqlite3
import sys
from collections import Counter
from datetime import date, timedelta

import psycopg

QUERY = (
    "SELECT holder_pk, SUM(hours) FROM ceu_records "
    "WHERE completed_on BETWEEN {marker} AND {marker} GROUP BY holder_pk"
)
REQUIRED = 3600  # cents
CYCLE_DAYS = 730


def statuses(rows: object, elapsed_share: float) -> Counter[str]:
    counted: Counter[str] = Counter()
    for _, cents in rows:  # type: ignore[attr-defined]
        remaining = max(0, REQUIRED - int(cents))
        if remaining == 0:
            counted["complete"] += 1
        elif cents >= REQUIRED * elapsed_share:
            counted["on_track"] += 1
        else:
            counted["behind"] += 1
    return counted


def main(url: str, as_of: date) -> Counter[str]:
    start = as_of - timedelta(days=CYCLE_DAYS)
    share = 0.5
    if url.startswith("sqlite:///"):
        lite = sqlite3.connect(url.removeprefix("sqlite:///"))
        rows = lite.execute(QUERY.format(marker="?"), (start.isoformat(), as_of.isoformat()))
        return statuses(rows, share)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as connection, connection.cursor(name="scan") as cursor:
        cursor.itersize = 10_000
        cursor.execute(QUERY.format(marker="%s"), (start, as_of))
        return statuses(cursor, share)


if __name__ == "__main__":
    print(dict(main(sys.argv[1], date.fromisoformat(sys.argv[2]))))
