"""The employers' mail in a delivery pass: digests and alerts, checked again when a sender
claims them and composed then.

A digest goes at its scheduled hour whatever the send window: the subscriber asked for that
hour. An alert is re-checked event by event on fresh data (one no longer true, or whose member
left the scope, is dropped and never told) and waits for the send window in the subscriber's
zone. Neither counts against the daily cap of notices: the subscriber asked for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection

from reminders.alerts.mail import compose as compose_alert
from reminders.alerts.service import recheck
from reminders.db import alerts as alert_store
from reminders.db import digests as digest_store
from reminders.db import outbox, webhooks
from reminders.digests.content import load_lines
from reminders.digests.mail import compose as compose_digest
from reminders.mail.message import Envelope
from reminders.mail.policy import MailSettings
from reminders.mail.render import Renderer
from reminders.notices.outcomes import SUPPRESSED, Report, close
from reminders.rules.loader import Rulebook
from reminders.words import day


@dataclass(frozen=True)
class Claimed:
    """What a claim batch read of its employers' mail, in two queries."""

    digests: dict[int, digest_store.StoredDigest]
    alerts: dict[int, alert_store.StoredAlert]

    @classmethod
    def read(cls, connection: Connection, messages: Sequence[int]) -> Claimed:
        return cls(
            digest_store.of_messages(connection, messages),
            alert_store.of_messages(connection, messages),
        )


class EmployerMail:
    def __init__(self, rulebook: Rulebook, renderer: Renderer, mail: MailSettings) -> None:
        self.rulebook, self.renderer, self.mail = rulebook, renderer, mail

    def prepare(
        self,
        connection: Connection,
        message: outbox.Claimed,
        claimed: Claimed,
        refusal: str | None,
        as_of: date,
        now: datetime,
        report: Report,
    ) -> tuple[Envelope, str] | None:
        """The message's envelope and kind (digest, alert); None once its outcome is recorded
        here (cancelled, expired, failed for a suppressed address, or waiting for the window)."""
        alert = claimed.alerts.get(message.id)
        if alert is not None:
            return self._alert(connection, message, alert, refusal, as_of, now, report)
        digest = claimed.digests.get(message.id)
        error = None
        if digest is None or digest.subscriber.paused:
            final, why = "cancelled", "the subscription was paused or removed before it went"
        elif refusal is not None:
            final, error, why = "failed", f"suppressed: {refusal}", SUPPRESSED.format(refusal)
        elif as_of >= digest.expires_on:
            final, why = "expired", "too late: the next period's digest is due instead"
        else:
            return self._digest(connection, digest, now), "digest"
        close(connection, message.id, final, now, report, error, why)
        return None

    def _digest(
        self, connection: Connection, digest: digest_store.StoredDigest, now: datetime
    ) -> Envelope:
        stopped = webhooks.disabled(connection, digest.subscriber.org_pk)
        notes = [
            f"Webhook {hook.id} ({hook.format}, {hook.url}) was stopped on {day(hook.disabled_at)}: "
            f"{hook.disabled_reason}. Fix the receiver, then `reminders org webhook enable` it."
            for hook in stopped
            if hook.disabled_at is not None
        ]
        return compose_digest(
            self.renderer,
            self.mail,
            digest.subscriber,
            digest.key,
            digest.period,
            digest.as_of,
            load_lines(digest.shown),
            None if digest.previous_shown is None else load_lines(digest.previous_shown),
            now,
            digest.previous_period,
            notes,
        ).envelope

    def _alert(
        self,
        connection: Connection,
        message: outbox.Claimed,
        stored: alert_store.StoredAlert,
        refusal: str | None,
        as_of: date,
        now: datetime,
        report: Report,
    ) -> tuple[Envelope, str] | None:
        subscriber = stored.subscriber
        if subscriber.paused or subscriber.alerts == "none":
            why = "the subscription's alerts were stopped, or it was paused, before it went"
            close(connection, message.id, "cancelled", now, report, reason=why)
            return None
        if refusal is not None:
            close(connection, message.id, "failed", now, report, f"suppressed: {refusal}",
                  SUPPRESSED.format(refusal))  # fmt: skip
            return None
        alert, dropped = recheck(connection, self.rulebook, stored, as_of)
        alert_store.drop(connection, stored.id, dropped)
        if not alert.items:
            why = "every event in it was solved, or its member left the scope, before it went"
            close(connection, message.id, "cancelled", now, report, reason=why)
            return None
        opens = self.mail.window_opens(subscriber.timezone, now)
        if opens is not None:
            outbox.finish(connection, message.id, "retry", now, next_attempt=opens)
            alert_store.finish(connection, [message.id], "retry", now)
            report.deferred += 1
            return None
        interval = self.mail.alert_interval_minutes
        _, envelope = compose_alert(
            self.renderer, self.mail, subscriber, stored.key, alert, interval, now
        )
        return envelope, "alert"
