"""The daemon's Prometheus metrics, served on /metrics.

Every labelled counter starts with its known labels at 0, so that a rate() over it shows 0,
not nothing, until the first event; deploy/prometheus/alerts.yml and deploy/grafana/ use them.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import Engine

from reminders.db import events, maillog, outbox
from reminders.notices.outcomes import Report

JOBS = ("scan", "changes", "changes now", "delivery", "delivery now", "digests", "bounces",
        "webhooks", "housekeeping")  # fmt: skip
"""The daemon's jobs, as reminders_job_errors_total labels them."""
NOTICE_KINDS = ("deadline", "shortfall", "overdue", "lapsed", "complete", "dues")
SENT_KINDS = (*NOTICE_KINDS, "digest", "alert", "lead")
OUTCOMES = ("sent", "retried", "failed", "expired", "cancelled", "deferred")
BOUNCE_KINDS = ("hard", "soft", "complaint", "ignored", "unmatched", "seen")
LATENESS_BUCKETS = (3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 3 * 86400, 7 * 86400,
                    14 * 86400, 30 * 86400)  # fmt: skip
"""From an hour to a month after the start of a notice's due day."""


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.scans = Counter("reminders_scans", "Completed scans", registry=r)
        self.scan_seconds = Gauge(
            "reminders_scan_duration_seconds", "Duration of the last scan", registry=r
        )
        self.queued = Counter("reminders_messages_queued", "Messages queued", registry=r)
        self.outcomes = Counter(
            "reminders_messages", "Messages by outcome", ["outcome"], registry=r
        )
        self.replanned = Counter(
            "reminders_holders_replanned", "Holders re-planned on change", registry=r
        )
        self.job_errors = Counter("reminders_job_errors", "Jobs that failed", ["job"], registry=r)
        self.left_out = Counter(
            "reminders_holders_left_out",
            "Holders a scan or re-planning could not plan (a bug; logged)",
            ["job"],
            registry=r,
        )
        self.evaluated = Counter(
            "reminders_holders_evaluated", "Holders evaluated by scans", registry=r
        )
        self.planned = Counter(
            "reminders_notices_planned", "Notices planned, by kind", ["kind"], registry=r
        )
        self.sent_kinds = Counter(
            "reminders_notices_sent", "Notices sent, by kind", ["kind"], registry=r
        )
        self.lag = Gauge(
            "reminders_send_lag_seconds", "Age of the oldest message waiting to go out", registry=r
        )
        self.outbox_depth = Gauge(
            "reminders_outbox_depth", "Messages waiting to go out", registry=r
        )
        self.digests = Counter("reminders_digests_queued", "Employer digests queued", registry=r)
        self.alerts = Counter("reminders_alerts_queued", "Employer alerts queued", registry=r)
        self.webhooks = Counter(
            "reminders_webhook_deliveries", "Webhook deliveries tried, by outcome", ["outcome"],
            registry=r,
        )  # fmt: skip
        self.server_faults = Counter(
            "reminders_mail_server_faults",
            "Messages the mail server, or its configuration, kept from going out (retried)",
            registry=r,
        )
        self.paused = Counter(
            "reminders_delivery_paused", "Delivery passes stopped by failures in a row", registry=r
        )
        self.events_waiting = Gauge(
            "reminders_events_waiting", "Change events not yet handled", registry=r
        )
        self.bounce_reports = Counter(
            "reminders_bounce_reports",
            "Reports read from the bounce mailbox, by kind (hard, soft, complaint, ignored, "
            "unmatched, seen)",
            ["kind"],
            registry=r,
        )
        self.bounce_suppressions = Counter(
            "reminders_bounce_suppressions",
            "Addresses suppressed by bounces or complaints",
            registry=r,
        )

        self.last_scan = Gauge(
            "reminders_last_scan_timestamp_seconds",
            "When the last scan finished (Unix time; 0 before the first)", registry=r,
        )  # fmt: skip
        self.last_digests = Gauge(
            "reminders_last_digest_run_timestamp_seconds",
            "When the last digest run finished (Unix time; 0 before the first)", registry=r,
        )  # fmt: skip
        self.due_unsent = Gauge(
            "reminders_messages_due_unsent",
            "Messages whose time has come but that have not gone out, by kind", ["kind"],
            registry=r,
        )  # fmt: skip
        self.lateness = Histogram(
            "reminders_delivery_lateness_seconds",
            "How long after the start (UTC) of its due day each notice was sent",
            buckets=LATENESS_BUCKETS, registry=r,
        )  # fmt: skip
        self._start_at_zero()

    def _start_at_zero(self) -> None:
        for job in JOBS:
            self.job_errors.labels(job)
        for job in ("scan", "changes"):
            self.left_out.labels(job)
        for outcome in OUTCOMES:
            self.outcomes.labels(outcome)
        for kind in NOTICE_KINDS:
            self.planned.labels(kind)
        for kind in SENT_KINDS:
            self.sent_kinds.labels(kind)
        for kind in maillog.KINDS:
            self.due_unsent.labels(kind)
        for outcome in ("sent", "retried", "failed"):
            self.webhooks.labels(outcome)
        for kind in BOUNCE_KINDS:
            self.bounce_reports.labels(kind)

    def refresh(self, engine: Engine, now: datetime) -> None:
        """The gauges read from the database (before each scrape's worth of jobs)."""
        with engine.connect() as connection:
            self.outbox_depth.set(outbox.pending(connection))
            self.events_waiting.set(events.waiting(connection))
            oldest = outbox.oldest_waiting(connection)
            due = maillog.due_unsent(connection, now)
        lag = 0.0 if oldest is None else (now - oldest).total_seconds()
        self.lag.set(max(lag, 0.0))
        for kind in maillog.KINDS:
            self.due_unsent.labels(kind).set(due.get(kind, 0))

    def count(self, report: Report) -> None:
        for outcome in OUTCOMES:
            self.outcomes.labels(outcome).inc(getattr(report, outcome))
        for seconds in report.lateness:
            self.lateness.observe(seconds)
        for kind, number in report.sent_kinds.items():
            self.sent_kinds.labels(kind).inc(number)
        self.server_faults.inc(report.server_faults)
        if report.paused is not None:
            self.paused.inc()
