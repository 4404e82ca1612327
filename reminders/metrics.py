"""The daemon's Prometheus metrics, served on /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from reminders.notices.outcomes import Report


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

    def count(self, report: Report) -> None:
        for outcome in ("sent", "retried", "failed", "expired", "cancelled", "deferred"):
            self.outcomes.labels(outcome).inc(getattr(report, outcome))
        for kind, number in report.sent_kinds.items():
            self.sent_kinds.labels(kind).inc(number)
        self.server_faults.inc(report.server_faults)
        if report.paused is not None:
            self.paused.inc()
