"""The clock of the daemon: APScheduler 3.11, and the only module that imports it, so that a move
to APScheduler 4 touches this file alone.

A few fixed jobs, never one per holder: the database is the schedule. Every job coalesces missed
runs into one, never runs twice at once, and still runs when it is late by up to
`misfire_grace_seconds` (APScheduler's default of one second silently drops late jobs).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

Job = Callable[[], Awaitable[None]]


def check_cron(expression: str) -> None:
    """Raise ValueError if `expression` is not a five-field cron expression."""
    CronTrigger.from_crontab(expression, timezone=UTC)


class Scheduler:
    def __init__(self, misfire_grace_seconds: int = 600) -> None:
        # Created inside the running event loop: AsyncIOScheduler takes the loop it starts in.
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": misfire_grace_seconds,
            },
        )

    def every(self, name: str, seconds: float, job: Job, now: datetime | None = None) -> None:
        """Run `job` every `seconds`; first at `now` if given, else one interval from now."""
        trigger = IntervalTrigger(seconds=seconds, timezone=UTC)
        # Passing next_run_time=None would add the job paused: leave it out to mean "default".
        first = {} if now is None else {"next_run_time": now}
        self._scheduler.add_job(job, trigger, id=name, name=name, **first)

    def cron(self, name: str, expression: str, job: Job) -> None:
        trigger = CronTrigger.from_crontab(expression, timezone=UTC)
        self._scheduler.add_job(job, trigger, id=name, name=name)

    def start(self) -> None:
        self._scheduler.start()

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def stop_starting(self) -> None:
        """Start no job from now on; jobs already running go on, for the caller to wait for.
        (APScheduler's shutdown cancels running coroutine jobs, which then log a traceback
        and stop half-way: pause first, shut down once they are done.)"""
        if self._scheduler.running:
            self._scheduler.pause()

    def shutdown(self) -> None:
        """Stop the scheduler; a job still running is cancelled."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
