"""The scheduler wrapper: jobs run on their interval, and a late start does not skip them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from reminders.scheduler import Scheduler, check_cron


async def test_interval_jobs_run_and_can_start_at_once() -> None:
    scheduler = Scheduler()
    runs: list[str] = []

    async def soon() -> None:
        runs.append("soon")

    async def at_once() -> None:
        runs.append("now")

    scheduler.every("soon", 0.2, soon)
    scheduler.every("now", 3600, at_once, now=datetime.now(UTC))
    scheduler.start()
    await asyncio.sleep(0.7)
    scheduler.shutdown()
    assert runs.count("now") == 1
    assert runs.count("soon") >= 2


async def test_a_job_running_when_the_daemon_stops_finishes() -> None:
    """Stopping starts no new run and cancels none: a cancelled job stops half-way and logs a
    traceback (seen when SIGTERM came during the daemon's first digest job)."""
    scheduler = Scheduler()
    runs: list[str] = []

    async def slow() -> None:
        runs.append("started")
        await asyncio.sleep(0.3)
        runs.append("finished")

    scheduler.every("slow", 0.05, slow, now=datetime.now(UTC))
    scheduler.start()
    await asyncio.sleep(0.1)
    scheduler.stop_starting()
    await asyncio.sleep(0.5)
    scheduler.shutdown()
    assert runs == ["started", "finished"]


def test_cron_expressions_are_checked() -> None:
    check_cron("0 6 * * *")
    with pytest.raises(ValueError):
        check_cron("every day at six")
