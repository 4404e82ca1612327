"""The webhook use cases: queue each endpoint's new events, and post them.

queue_webhooks  the events of the organisation after the endpoint began, not posted to it yet,
                go into its delivery that no sender has tried (or a new one)
WebhookSender   claims due deliveries, checks each event again on fresh data (one solved
                meanwhile, or whose member left the organisation, is dropped), posts the rest
                signed (signing.py) to an address that passes the check (address.py), and
                records the outcome: a 2xx is sent; anything else is retried with backoff, and
                an endpoint that has failed for REMINDERS_WEBHOOK_DISABLE_AFTER_HOURS is disabled
                (its organisation's digests say so until it is enabled again)
"""

from __future__ import annotations

import logging
import secrets
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import httpcore
from sqlalchemy import Engine

from reminders.alerts.content import Told
from reminders.alerts.service import still_told
from reminders.db import scope
from reminders.db import webhooks as store
from reminders.rules.loader import Rulebook
from reminders.webhooks import signing
from reminders.webhooks.address import GuardedBackend, Refused, Resolver, resolve_host
from reminders.webhooks.payloads import render

log = logging.getLogger("reminders.webhooks")

CLAIM = 20
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class WebhookRules:
    """The settings REMINDERS_WEBHOOK_*."""

    key: bytes
    """REMINDERS_SECRET_KEY: the endpoints' secrets are sealed under it."""
    allow_private: bool = False
    timeout_seconds: float = 10.0
    disable_after: timedelta = timedelta(hours=24)
    lease: timedelta = timedelta(minutes=2)


def queue_webhooks(engine: Engine, now: datetime) -> int:
    """Queue the new events of every active endpoint; how many events went in. A write
    transaction only for the endpoints with news: the daemon calls this every minute."""
    with engine.connect() as connection:
        hooks = [
            hook
            for hook in store.endpoints(connection, active=True)
            if store.news(connection, hook)
        ]
    added = 0
    for hook in hooks:
        connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
        with connection, connection.begin():
            events = store.news(connection, hook)
            if events:
                added += store.queue(connection, hook.id, events, now)[1]
    return added


@dataclass
class WebhookReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    disabled: list[str] = field(default_factory=list)
    """The endpoints turned off in this pass, each "#id url: why"."""


@dataclass(frozen=True)
class _Ready:
    claimed: store.Claimed
    body: bytes
    token: str


class WebhookSender:
    def __init__(
        self,
        engine: Engine,
        rulebook: Rulebook,
        rules: WebhookRules,
        clock: Callable[[], datetime],
        resolve: Resolver = resolve_host,
    ) -> None:
        self.engine, self.rulebook, self.rules, self.clock = engine, rulebook, rules, clock
        # The machine's trust store (and SSL_CERT_FILE, as in a network whose proxy inspects
        # TLS); the connection goes to an address that passed the check, the certificate is
        # checked against the URL's name.
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl.create_default_context(),
            network_backend=GuardedBackend(rules.allow_private, resolve),
            max_connections=4,
        )

    def close(self) -> None:
        self._pool.close()

    def deliver_due(self, as_of: date) -> WebhookReport:
        """Post every due delivery once; what became of them."""
        report = WebhookReport()
        while True:
            ready = self._claim(as_of, report)
            if ready is None:
                return report
            for item in ready:
                self._post(item, report)

    def _claim(self, as_of: date, report: WebhookReport) -> list[_Ready] | None:
        now = self.clock()
        token = secrets.token_hex(16)
        connection = self.engine.connect().execution_options(sqlite_begin="IMMEDIATE")
        with connection, connection.begin():
            claimed = store.claim(connection, now, self.rules.lease, CLAIM, token)
            if not claimed:
                return None
            ready = []
            for item in claimed:
                hook = item.endpoint
                pks = [i.holder_pk for i in item.items]
                inside = sorted(scope.seen_by(connection, hook.org_pk, pks))
                kept, dropped = still_told(
                    connection, self.rulebook, hook.org_pk, inside, item.items, as_of
                )
                store.drop(connection, item.id, dropped)
                if not kept:
                    store.finish(connection, item.id, token, "cancelled", now, attempted=False)
                    report.cancelled += 1
                    continue
                ready.append(_Ready(item, self._body(item, kept, now), token))
        return ready

    def _body(self, item: store.Claimed, kept: list[tuple[int, Told]], now: datetime) -> bytes:
        hook = item.endpoint
        ordered = sorted(kept, key=lambda pair: pair[1].urgency)
        return render(hook.format, hook.org, f"whd_{item.id}", now, ordered)

    def _post(self, ready: _Ready, report: WebhookReport) -> None:
        item, hook = ready.claimed, ready.claimed.endpoint
        now = self.clock()
        secret = signing.unseal(self.rules.key, hook.sealed)
        headers = [
            (b"Content-Type", b"application/json"),
            (b"User-Agent", b"reminders-webhooks/1"),
            (signing.HEADER.encode(), signing.header(secret, int(now.timestamp()), ready.body).encode()),
            (b"Reminders-Delivery", f"whd_{item.id}".encode()),
        ]  # fmt: skip
        status: int | None = None
        error: str | None = None
        try:
            timeout = self.rules.timeout_seconds
            extensions = {"timeout": {"connect": timeout, "read": timeout, "write": timeout,
                                      "pool": timeout}}  # fmt: skip
            response = self._pool.request(
                "POST", hook.url, headers=headers, content=ready.body, extensions=extensions
            )
            status = response.status
            if not 200 <= status < 300:
                error = f"HTTP {status}: {response.content[:200].decode('utf-8', 'replace')}"
        except Refused as exc:
            error = f"refused: {exc}"
        except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError) as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        self._record(ready, status, error, report)

    def _record(
        self, ready: _Ready, status: int | None, error: str | None, report: WebhookReport
    ) -> None:
        item, hook = ready.claimed, ready.claimed.endpoint
        now = self.clock()
        with self.engine.begin() as connection:
            if error is None:
                if store.finish(connection, item.id, ready.token, "sent", now, status):
                    store.worked(connection, hook.id)
                    report.sent += 1
                return
            since = store.failing(connection, hook.id, now)
            if now - since >= self.rules.disable_after:
                store.finish(connection, item.id, ready.token, "failed", now, status, error)
                reason = f"failing since {since:%Y-%m-%d %H:%M} UTC; last: {error}"
                store.disable(connection, hook.id, reason, now)
                report.failed += 1
                report.disabled.append(f"#{hook.id} {hook.url}: {reason}")
                log.warning("webhook #%d disabled: %s", hook.id, reason)
                return
            wait = min(timedelta(minutes=1) * 2 ** min(item.attempts, 10), MAX_BACKOFF)
            store.finish(connection, item.id, ready.token, "retry", now, status, error, now + wait)
            report.retried += 1
            log.info("webhook #%d: %s; trying again in %s", hook.id, error, wait)
