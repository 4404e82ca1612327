"""Recording many holders' plans in one go (queueing.record_plans), on both databases: each holder
with notices due gets one message carrying them, skipped notices are kept, and a holder whose
notices another planner recorded first gets no message (nothing goes out twice)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, insert, select

from reminders.db import queueing
from reminders.db.engine import GrowingTables, make_engine
from reminders.db.models import Holder, MessageRecord, NoticeRecord
from reminders.notices.planning import Notice, Plan
from tests.conftest import CommandLine
from tests.pgserver import PostgresServer

NOW = datetime(2026, 12, 5, 6, tzinfo=UTC)
END = date(2027, 1, 31)


@pytest.fixture
def engine(roster: str) -> Iterator[Engine]:
    engine = make_engine(roster)
    yield engine
    engine.dispose()


def _notice(holder_id: str, kind: str, rung: str) -> Notice:
    return Notice(holder_id, "AAPC", kind, rung, END, date(2026, 12, 5), date(2026, 12, 20))


def test_a_batch_gives_each_holder_one_message_and_none_for_what_was_recorded_before(
    engine: Engine,
) -> None:
    with engine.begin() as connection:
        people = connection.execute(select(Holder.id, Holder.holder_id).limit(4)).all()
        (a, a_id), (b, b_id), (c, c_id), (d, d_id) = people
        # Another planner recorded b's notice first.
        assert queueing.record_plans(
            connection, [(b, "b@x.example", Plan([_notice(b_id, "deadline", "30")]))], NOW
        )
        batch = [
            (a, "a@x.example", Plan([_notice(a_id, "deadline", "30"), _notice(a_id, "dues", "30")])),
            (b, "b@x.example", Plan([_notice(b_id, "deadline", "30")])),
            (c, "c@x.example", Plan([], [_notice(c_id, "deadline", "60")])),
            (d, "d@x.example", Plan([_notice(d_id, "shortfall", "cycle")],
                                    [_notice(d_id, "deadline", "60")])),
        ]  # fmt: skip
        messages = queueing.record_plans(connection, batch, NOW)
    assert set(messages) == {a, d}
    assert messages[a] != messages[d]
    with engine.connect() as connection:
        carried = connection.execute(
            select(NoticeRecord.holder_pk, NoticeRecord.kind, NoticeRecord.rung,
                   NoticeRecord.state, NoticeRecord.message_pk).where(
                NoticeRecord.holder_pk.in_([a, c, d])
            ).order_by(NoticeRecord.holder_pk, NoticeRecord.kind, NoticeRecord.rung)
        ).all()  # fmt: skip
        queued = connection.execute(
            select(MessageRecord.holder_pk, MessageRecord.to_address).order_by(MessageRecord.id)
        ).all()
    assert [tuple(row) for row in carried] == sorted(
        [
            (a, "deadline", "30", "queued", messages[a]),
            (a, "dues", "30", "queued", messages[a]),
            (c, "deadline", "60", "skipped", None),
            (d, "deadline", "60", "skipped", None),
            (d, "shortfall", "cycle", "queued", messages[d]),
        ],
        key=lambda row: (row[0], row[1], row[2]),
    )
    # b's first message only: the batch's message for b, with nothing new, was taken back.
    assert [tuple(row) for row in queued] == [
        (b, "b@x.example"),
        (a, "a@x.example"),
        (d, "d@x.example"),
    ]


def test_a_holder_given_twice_in_a_batch_is_refused_and_nothing_is_kept(engine: Engine) -> None:
    with engine.connect() as connection:
        pk, holder_id = connection.execute(select(Holder.id, Holder.holder_id).limit(1)).one()
        before = connection.execute(select(MessageRecord.id)).all()
    batch = [
        (pk, "a@x.example", Plan([_notice(holder_id, "deadline", "30")])),
        (pk, "a@x.example", Plan([_notice(holder_id, "dues", "30")])),
    ]
    with pytest.raises(ValueError, match="given twice"), engine.begin() as connection:
        queueing.record_plans(connection, batch, NOW)
    with engine.connect() as connection:
        assert connection.execute(select(MessageRecord.id)).all() == before


def test_a_table_filled_in_one_transaction_is_planned_for_the_size_it_grew_to(
    cli: CommandLine, postgres: PostgresServer
) -> None:
    """PostgreSQL keeps a plan made while `messages` was empty (the foreign-key check of each
    notice inserted): a seq scan, for every row, of a table the scan fills. GrowingTables has
    the plans made again as it grows; without it the plan below stays a Seq Scan."""
    url = postgres.create_database("growing_tables")
    cli.use(url)
    assert cli("init").code == 0
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE messages")  # as autovacuum leaves an empty table
        connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
        connection.exec_driver_sql("PREPARE lookup(int) AS SELECT 1 FROM messages WHERE id = $1")

        def plan() -> str:
            rows = connection.exec_driver_sql("EXPLAIN EXECUTE lookup(1)").scalars()
            return "\n".join(rows)

        assert "Seq Scan" in plan()
        growing = GrowingTables("messages")
        for _ in range(4):
            connection.execute(insert(MessageRecord), [
                {"to_address": "a@x.example", "state": "queued", "attempts": 0, "created_at": NOW}
            ] * 5_000)  # fmt: skip
            growing.wrote(connection, 5_000)
        assert "Index" in plan()
    engine.dispose()
