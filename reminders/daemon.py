"""`reminders run`: the daemon. One scan at start to catch up, then a few fixed jobs: the scan
(a cron expression, or every N seconds), the change events (holders whose data changed, within
a couple of seconds), delivery, the employer digests, and housekeeping; an HTTP listener for /healthz and /metrics.

SIGTERM or SIGINT stops the jobs, lets the one running finish (or leaves its claims to their
leases) and exits 0 within seconds. A database or SMTP outage makes a job fail and log; the next
run tries again, so the daemon waits it out instead of exiting or spinning.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from prometheus_client import generate_latest
from sqlalchemy.exc import SQLAlchemyError

from reminders.app import App
from reminders.catcher import Catcher
from reminders.daemon_http import Ports
from reminders.db import events
from reminders.employer_jobs import EmployerJobs
from reminders.health import MailHealth
from reminders.logs import fingerprint
from reminders.metrics import Metrics
from reminders.notices.delivery import Deliverer
from reminders.notices.recording import ScanCounts
from reminders.notices.scan import Split
from reminders.notices.service import prune, remember_scan, replan_changed
from reminders.notices.tick import tick
from reminders.scheduler import Scheduler

log = logging.getLogger("reminders.daemon")

STOP_WITHIN_SECONDS = 8
MAX_BACKOFF_SECONDS = 300


@dataclass(frozen=True)
class Intervals:
    scan_cron: str = "0 6 * * *"
    scan_seconds: int | None = None
    events_seconds: float = 1.0
    deliver_seconds: float = 15.0
    digest_seconds: float = 60.0
    bounce_seconds: float = 300.0
    housekeeping_cron: str = "30 3 * * *"


class Daemon:
    def __init__(
        self,
        app: App,
        intervals: Intervals,
        catcher: Catcher | None = None,
    ) -> None:
        self.app = app
        self.intervals = intervals
        self.catcher = catcher
        self.metrics = Metrics()
        self.last_scan: datetime | None = None
        self.mail_health = MailHealth(app.settings.mail_unhealthy_seconds)
        self.scheduler: Scheduler | None = None
        self._running: set[asyncio.Task[Any]] = set()
        self._delivering = asyncio.Lock()
        self._deliver_now = self._guarded("delivery now", self.deliver)
        self._stopping = False
        self.employers = EmployerJobs(app, self.metrics, self._deliver_soon)
        self._deliverer = Deliverer(
            app.ready_engine(),
            app.rulebook,
            app.ladder,
            app.renderer,
            app.smtp(),
            app.mail(),
            app.now,
        )

    # The jobs. Database work is synchronous: it runs in a thread so that the HTTP listener
    # and the SMTP connections keep going meanwhile.

    async def scan(self) -> None:
        started = time.monotonic()
        app = self.app
        as_of, began = app.today(), app.now()
        # The daily tick: the holders whose next review day has come; the full scan when the
        # index cannot be trusted (the first start, new rules, days the daemon was down).
        done = await asyncio.to_thread(
            tick, app.engine, app.rulebook, app.ladder, as_of, began,
            Split.from_settings(app.settings),
        )  # fmt: skip
        if done is None:
            log.info("scan skipped: another instance is scanning")
            return
        counts, queued = done.counts, done.queued
        source = "daemon" if done.full is not None else "tick"
        await asyncio.to_thread(remember_scan, app.engine, source, as_of, began, app.now(),
                                counts)  # fmt: skip
        self.metrics.scans.inc()
        self.metrics.queued.inc(queued)
        self.metrics.evaluated.inc(counts.holders)
        for kind, number in counts.planned.items():
            self.metrics.planned.labels(kind).inc(number)
        self.metrics.scan_seconds.set(time.monotonic() - started)
        self._left_out("scan", [holder_id for holder_id, _ in counts.failed])
        self.last_scan = app.now()
        self.metrics.last_scan.set(self.last_scan.timestamp())
        how = f"full scan ({done.full})" if done.full is not None else "tick"
        log.info("scan done: %d messages queued in %.1fs; %s, %d holders evaluated", queued,
                 time.monotonic() - started, how, counts.holders)  # fmt: skip
        if queued:
            await self.deliver()
        await self.employers.detect(None)

    async def changes(self) -> None:
        """Re-plan the holders whose data changed, a thousand events at a time until none
        are left, then deliver what that queued."""
        app = self.app
        queued = 0
        changed: list[int] = []
        while True:
            result = await asyncio.to_thread(
                replan_changed, app.engine, app.rulebook, app.ladder, app.today(), app.now()
            )
            self._left_out("changes", [holder_id for holder_id, _ in result.failed])
            if result.failed:
                # A re-planning that left holders out is worth the operators' page; the many
                # that did not would only bury the scans.
                left = ScanCounts(result.holders, result.queued, failed=result.failed)
                await asyncio.to_thread(remember_scan, app.engine, "changes", app.today(),
                                        app.now(), app.now(), left)  # fmt: skip
            changed += result.pks
            if result.holders:
                self.metrics.replanned.inc(result.holders)
                self.metrics.queued.inc(result.queued)
                queued += result.queued
                log.info(
                    "changes: %d holders re-planned, %d messages queued, %d notices cancelled",
                    result.holders, result.queued, result.cancelled,
                )  # fmt: skip
            if not result.more:
                break
        if queued:
            self._deliver_soon()
        if changed:
            await self.employers.detect(changed)

    def _left_out(self, job: str, holders: list[str]) -> None:
        """Holders a job could not plan (each logged with its traceback where it failed)."""
        if holders:
            self.metrics.left_out.labels(job).inc(len(holders))
            shown = ", ".join(holders[:20]) + (", …" if len(holders) > 20 else "")
            log.warning("%s: %d holders could not be planned: %s", job, len(holders), shown)

    def _deliver_soon(self) -> None:
        """Deliver in a task of its own: a long delivery pass must not hold up the next
        re-planning (the scheduler runs one instance of a job at a time)."""

        self._spawn(self._deliver_now())

    def _spawn(self, job: Awaitable[None]) -> None:
        """Run a job in a task of its own, waited for at shutdown (none starts after it)."""
        if self._stopping:
            if asyncio.iscoroutine(job):
                job.close()
            return

        async def run() -> None:
            await job

        task = asyncio.create_task(run())
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def bounces(self) -> None:
        """Read the bounce mailbox: each report once; suppress the addresses it condemns."""
        app = self.app
        read = await asyncio.to_thread(
            app.mailboxes().read,
            app.engine,
            app.bounce_rules(),
            app.now,
            app.settings.smtp_timeout_seconds,
        )
        for source, tally in read:
            for kind, number in tally.kinds.items():
                self.metrics.bounce_reports.labels(kind).inc(number)
            self.metrics.bounce_suppressions.inc(len(tally.suppressed))
            if tally.kinds:
                log.info("bounces: %s: %s", source, tally)
            for address in tally.suppressed:
                log.info("bounces: suppressed %s", fingerprint(address))

    async def listen(self, wake: Callable[[], Awaitable[None]]) -> None:
        """PostgreSQL only: run the change job the moment an import commits (LISTEN/NOTIFY),
        instead of at the next poll. Reconnects after an outage; polling covers the gaps."""
        url = self.app.engine.url.set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {events.CHANNEL}")
                    async for _ in conn.notifies():
                        await wake()
            except psycopg.Error as exc:
                log.warning("listening for changes: %s; polling meanwhile", str(exc).strip())
                await asyncio.sleep(5)

    async def deliver(self) -> None:
        # One delivery pass at a time: REMINDERS_SMTP_CONNECTIONS bounds what is in flight (and
        # so what a crash can repeat). A pass drains the outbox; a later call finds it empty.
        if self._delivering.locked():
            return
        async with self._delivering:
            report = await self._deliverer.deliver_due(self.app.today())
        self.metrics.count(report)
        self.mail_health.passed(report.sent, report.server_error, self.app.now(), time.monotonic())
        if report.sent or report.retried or report.failed:
            log.info(
                "delivery: %d sent, %d to retry, %d failed",
                report.sent,
                report.retried,
                report.failed,
            )
        for address, what in report.failures:
            # Logs travel further than the database: an address appears as its fingerprint
            # (`reminders fingerprint ADDRESS` prints one, to search the log for it).
            log.warning("delivery: %s: %s", fingerprint(address), what)
        if report.server_error is not None:
            log.error(
                "delivery: the mail server, or its configuration, failed %d time(s): %s",
                report.server_faults,
                report.server_error,
            )

    async def housekeeping(self) -> None:
        """Delete messages past the retention period (their notice keys stay)."""
        before = self.app.now() - timedelta(days=self.app.settings.retention_days)
        pruned = await asyncio.to_thread(prune, self.app.engine, before)
        log.info("housekeeping: %d old messages deleted", pruned)

    def _gauges(self) -> None:
        self.metrics.refresh(self.app.engine, self.app.now())

    def _guarded(
        self, name: str, job: Callable[[], Awaitable[None]], retry: bool = False
    ) -> Callable[[], Awaitable[None]]:
        """The job, with its failures logged and counted, and backing off while they last: after
        n failures in a row its runs are skipped for 2**n seconds (at most five minutes), so an
        outage is waited out without a log line a second."""
        failures = 0
        resume_at = 0.0

        async def run() -> None:
            nonlocal failures, resume_at
            if time.monotonic() < resume_at:
                return
            task = asyncio.current_task()
            assert task is not None
            self._running.add(task)
            try:
                await job()
                failures = 0
            except Exception as exc:
                failures += 1
                wait = min(2**failures, MAX_BACKOFF_SECONDS)
                resume_at = time.monotonic() + wait
                self.metrics.job_errors.labels(name).inc()
                if isinstance(exc, SQLAlchemyError | OSError):
                    log.warning("%s: %s; trying again in %ds", name, str(exc).splitlines()[0], wait)
                else:
                    log.exception("%s failed; trying again in %ds", name, wait)
                if retry:
                    # A job that runs daily must not wait a day after a failure.
                    asyncio.get_running_loop().call_later(wait + 0.1, lambda: self._spawn(run()))
            finally:
                self._running.discard(task)

        return run

    # The HTTP listener.

    def _health(self) -> tuple[bool, dict[str, object]]:
        """The daemon's own part of /healthz."""
        clock = time.monotonic()
        scheduler = self.scheduler is not None and self.scheduler.running
        return scheduler and self.mail_health.healthy(clock), {
            "scheduler": scheduler,
            "last_scan": self.last_scan.isoformat() if self.last_scan else None,
            "mail": self.mail_health.facts(clock),
        }

    async def _metrics(self) -> bytes:
        await asyncio.to_thread(self._gauges)
        return bytes(generate_latest(self.metrics.registry))

    # The lifecycle.

    def _schedule(self) -> Scheduler:
        """The jobs, on their intervals and cron expressions (not started)."""
        scheduler = Scheduler()
        intervals = self.intervals
        scan = self._guarded("scan", self.scan, retry=True)
        if intervals.scan_seconds:
            scheduler.every("scan", intervals.scan_seconds, scan, now=self.app.now())
        else:
            scheduler.cron("scan", intervals.scan_cron, scan)
            scheduler.every("catch-up scan", 10**9, scan, now=self.app.now())
        scheduler.every("changes", intervals.events_seconds, self._guarded("changes", self.changes))
        scheduler.every(
            "delivery", intervals.deliver_seconds, self._guarded("delivery", self.deliver)
        )
        scheduler.every(
            "digests",
            intervals.digest_seconds,
            self._guarded("digests", self.employers.digests),
            now=self.app.now(),
        )
        webhooks = self._guarded("webhooks", self.employers.post)
        scheduler.every("webhooks", intervals.deliver_seconds, webhooks, now=self.app.now())
        if self.app.mailboxes():
            bounces = self._guarded("bounces", self.bounces)
            scheduler.every("bounces", intervals.bounce_seconds, bounces, now=self.app.now())
        scheduler.cron(
            "housekeeping",
            intervals.housekeeping_cron,
            self._guarded("housekeeping", self.housekeeping),
        )
        return scheduler

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        settings = self.app.settings
        ports = Ports(self.app, self._health, self._metrics, self.catcher)
        running = ports.serve()
        mail_server = None
        if self.catcher is not None:
            mail_server = await self.catcher.serve(settings.smtp_host, settings.smtp_port)
            log.info("demo: mail is caught on SMTP port %d, not delivered", settings.smtp_port)
            if settings.operators():
                log.info("demo: sign in to /admin as %s; the link arrives at /mail",
                         ", ".join(sorted(settings.operators())))  # fmt: skip
        self.scheduler = self._schedule()
        self.scheduler.start()
        listener = None
        if self.app.engine.dialect.name == "postgresql":
            listener = asyncio.create_task(self.listen(self._guarded("changes now", self.changes)))
        log.info("reminders is running on %s port %d: %s", settings.http_host, settings.http_port,
                 ports.announce())  # fmt: skip
        await stop.wait()
        log.info("stopping")
        self._stopping = True
        self.scheduler.stop_starting()
        if listener is not None:
            listener.cancel()
        if self._running:
            await asyncio.wait(self._running, timeout=STOP_WITHIN_SECONDS)
        self.scheduler.shutdown()
        self.employers.close()
        for server, _ in running:
            server.should_exit = True
        for _, task in running:
            await asyncio.wait_for(task, timeout=STOP_WITHIN_SECONDS)
        if mail_server is not None:
            mail_server.close()
        log.info("stopped")
