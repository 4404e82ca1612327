"""The daemon's jobs for employers: digests, the events their alerts and webhooks tell, the
alerts, and the webhook posts. Database and network work runs in threads, so that the event
loop (the HTTP listener, the SMTP connections) keeps going meanwhile."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from reminders.alerts.service import detect, queue_alerts
from reminders.app import App
from reminders.digests.service import queue_digests
from reminders.metrics import Metrics
from reminders.webhooks.service import WebhookSender, queue_webhooks

log = logging.getLogger("reminders.daemon")


class EmployerJobs:
    def __init__(self, app: App, metrics: Metrics, deliver_soon: Callable[[], None]) -> None:
        self.app, self.metrics, self.deliver_soon = app, metrics, deliver_soon
        self._posting = asyncio.Lock()
        self._sender: WebhookSender | None = None

    async def digests(self) -> None:
        """Queue the employer digests that came due in their subscribers' time zones, and the
        alerts and webhook posts due."""
        app = self.app
        queued = await asyncio.to_thread(
            queue_digests, app.engine, app.rulebook, app.now(), app.settings.timezone, app.as_of
        )
        if queued:
            self.metrics.digests.inc(len(queued))
            log.info("digests: %d queued", len(queued))
            self.deliver_soon()
        self.metrics.last_digests.set(app.now().timestamp())
        await self.alerts()

    async def detect(self, holder_pks: list[int] | None) -> None:
        """Record the events employers are told of (all members', or these holders'), then
        queue the alerts and posts they make due."""
        app = self.app
        found = await asyncio.to_thread(
            detect, app.engine, app.rulebook, app.today(), app.now(), app.alert_rules(),
            holder_pks,
        )  # fmt: skip
        if found:
            log.info("alerts: %d new events", found)
        await self.alerts()

    async def alerts(self) -> None:
        """Queue the employer alerts due (immediate ones at most once an interval) and the
        webhooks' new events, and post those. An organisation someone has just begun to be
        told of gets its baseline first."""
        app = self.app
        await asyncio.to_thread(
            detect, app.engine, app.rulebook, app.today(), app.now(), app.alert_rules(),
            None, True,
        )  # fmt: skip
        queued = await asyncio.to_thread(
            queue_alerts, app.engine, app.now(), app.settings.timezone, app.alert_rules()
        )
        if queued:
            self.metrics.alerts.inc(len([q for q in queued if q.key is not None]))
            self.deliver_soon()
        if await asyncio.to_thread(queue_webhooks, app.engine, app.now()):
            await self.post()

    async def post(self) -> None:
        """Post the webhook deliveries due (new ones, and retries whose time came)."""
        if self._posting.locked():
            return
        async with self._posting:
            if self._sender is None:
                app = self.app
                self._sender = WebhookSender(app.engine, app.rulebook, app.webhook_rules(), app.now)
            report = await asyncio.to_thread(self._sender.deliver_due, self.app.today())
        for outcome in ("sent", "retried", "failed"):
            number = getattr(report, outcome)
            if number:
                self.metrics.webhooks.labels(outcome).inc(number)
        for line in report.disabled:
            log.warning("webhook disabled: %s", line)

    def close(self) -> None:
        if self._sender is not None:
            self._sender.close()
