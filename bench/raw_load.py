"""The import baseline: the same CSV file loaded with no checks at all, by the raw driver.

    python -m bench.raw_load DATABASE_URL FILE

csv.reader, then executemany (SQLite) or COPY (PostgreSQL) into a plain table in batches, one
transaction. What `reminders import` adds on top of this is validation, staging and the upsert.
"""

from __future__ import annotations

import csv
import itertools
import sqlite3
import sys

import psycopg

BATCH = 5_000
COLUMNS = 8


def load_sqlite(path: str, file: str) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(f"CREATE TABLE raw ({', '.join(f'c{i} TEXT' for i in range(COLUMNS))})")
    insert = f"INSERT INTO raw VALUES ({', '.join('?' * COLUMNS)})"
    with open(file, newline="", encoding="utf-8") as handle:
        rows = csv.reader(handle)
        next(rows)
        while batch := list(itertools.islice(rows, BATCH)):
            connection.executemany(insert, batch)
    connection.commit()
    connection.close()


def load_postgres(dsn: str, file: str) -> None:
    with psycopg.connect(dsn) as connection:
        columns = ", ".join(f"c{i} text" for i in range(COLUMNS))
        connection.execute(f"CREATE TABLE raw ({columns})")
        with open(file, newline="", encoding="utf-8") as handle, connection.cursor() as cursor:
            rows = csv.reader(handle)
            next(rows)
            with cursor.copy("COPY raw FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)


if __name__ == "__main__":
    url, file = sys.argv[1], sys.argv[2]
    if url.startswith("sqlite:///"):
        load_sqlite(url.removeprefix("sqlite:///"), file)
    else:
        load_postgres(url.replace("postgresql+psycopg://", "postgresql://"), file)
