"""What a delivery pass records of each message it tried, and when it stops trying.

Whose fault a failure is decides what happens (mail/smtp.py tells them apart):

mailbox   the address is refused for good: the message fails and the address is suppressed,
          but only once this pass has seen the server accept a message (or the message has
          used its attempts). Until then the refusal is held as a retry: a relay that refuses
          every recipient must not put the whole roster on the suppression list.
message   this message, not now: retried with backoff, failed once its attempts are used up.
content   the server refused the message for what it holds: the same, never a suppression.
server    the server or our configuration: retried later and not counted as an attempt (it
          says nothing of the message), and reported so that /healthz and the log show it.

A circuit breaker: after `pause_after` failures in a row with no message accepted between them,
the pass stops; the messages it still holds are released for a later pass, untried.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from sqlalchemy import Connection

from reminders.db import alerts as alert_store
from reminders.db import digests as digest_store
from reminders.db import outbox
from reminders.mail.policy import MailSettings
from reminders.mail.smtp import LOST, MAILBOX, SERVER, SendError

log = logging.getLogger("reminders.delivery")

SUPPRESSED = "the address is suppressed: {}"
"""Why a message to a suppressed address failed without a try, in the mail log."""


def employer_finish(
    connection: Connection, messages: Sequence[int], state: str, now: datetime
) -> None:
    """A delivery outcome, on the digests or alerts the messages carry."""
    digest_store.finish(connection, messages, state, now)
    alert_store.finish(connection, messages, state, now)


def close(
    connection: Connection,
    message: int,
    final: str,
    now: datetime,
    report: Report,
    error: str | None = None,
    reason: str | None = None,
) -> None:
    """A message a sender will not send after all (cancelled, expired, failed before trying),
    recorded (with why, for the mail log) and counted."""
    outbox.finish(connection, message, final, now, error=error, reason=reason)
    employer_finish(connection, [message], final, now)
    setattr(report, final, getattr(report, final) + 1)


@dataclass
class Report:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    expired: int = 0
    cancelled: int = 0
    deferred: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    """What went wrong, as (address, what)."""
    sent_kinds: dict[str, int] = field(default_factory=dict)
    """Notices that went out, by kind."""
    lateness: list[float] = field(default_factory=list)
    """Seconds after the start (UTC) of its due day that each notice sent went out."""
    server_error: str | None = None
    """The last fault of the mail server (or of our configuration of it) in this pass."""
    server_faults: int = 0
    paused: str | None = None
    """Why the pass stopped before the outbox was empty (the circuit breaker), if it did."""
    lost: int = 0
    """Messages whose claim another sender took before their outcome was recorded here."""

    def problem(self, address: str, what: object) -> None:
        self.failures.append((address, str(what)))

    @property
    def errors(self) -> list[str]:
        """What went wrong, each "address: what", for the person at the command line (the
        daemon's log names addresses by fingerprint instead)."""
        return [f"{address}: {what}" for address, what in self.failures]


class Tried(Protocol):
    """A message that was tried (delivery's _Outgoing)."""

    @property
    def message(self) -> int: ...
    @property
    def recipient(self) -> str: ...
    @property
    def attempts(self) -> int: ...
    @property
    def notices(self) -> list[tuple[int, str]]: ...
    @property
    def kinds(self) -> tuple[str, ...]: ...
    @property
    def employer(self) -> bool: ...
    @property
    def due_on(self) -> tuple[date, ...]: ...
    def copy(self) -> bytes: ...
    @property
    def token(self) -> str: ...


@dataclass
class Outcomes:
    """One delivery pass's record of outcomes; `record` runs in one transaction per group."""

    mail: MailSettings
    report: Report
    pause_after: int
    accepted: bool = False
    """The server has accepted a message in this pass: it works, and a refusal is real."""
    in_a_row: int = 0
    held: list[tuple[Tried, SendError]] = field(default_factory=list)

    def halted(self) -> str | None:
        return self.report.paused

    def record(
        self,
        connection: Connection,
        tried: Sequence[Tried],
        errors: Sequence[SendError | None],
        now: datetime,
    ) -> None:
        sent = [item for item, error in zip(tried, errors, strict=True) if error is None]
        if sent:
            self._sent(connection, sent, now)
        for item, error in zip(tried, errors, strict=True):
            if error is not None and error.fault != LOST:  # a lost claim is another's to record
                self._failed(connection, item, error, now)

    def _sent(self, connection: Connection, sent: list[Tried], now: datetime) -> None:
        # One statement per claim (a group's messages share one), as before the fencing.
        recorded = []
        for token in dict.fromkeys(item.token for item in sent):
            mine = [item for item in sent if item.token == token]
            own = [notice for item in mine for notice in item.notices]
            done = set(
                outbox.finish(
                    connection, [item.message for item in mine], "sent", now, notices=own,
                    token=token,
                )
            )  # fmt: skip
            recorded += [item for item in mine if item.message in done]
            for item in (item for item in mine if item.message not in done):
                self._lost(item, "sent")
        employers = [item.message for item in recorded if item.employer]
        if employers:
            employer_finish(connection, employers, "sent", now)
        outbox.keep_copies(connection, [(item.message, item.copy()) for item in recorded])
        self.report.sent += len(recorded)
        for kind in (kind for item in recorded for kind in item.kinds):
            self.report.sent_kinds[kind] = self.report.sent_kinds.get(kind, 0) + 1
        for day in (day for item in recorded for day in item.due_on):
            started = datetime.combine(day, time(), UTC)
            self.report.lateness.append((now - started).total_seconds())
        self.accepted, self.in_a_row = True, 0
        held, self.held = self.held, []
        for item, error in held:  # the server works: those refusals were about the addresses
            self.report.retried -= 1
            self._fail(connection, item, error, now, suppress=True)

    def _failed(self, connection: Connection, item: Tried, error: SendError, now: datetime) -> None:
        self.in_a_row += 1
        last_try = item.attempts + 1 >= self.mail.max_attempts
        if error.fault == SERVER:
            self.report.server_faults += 1
            self.report.server_error = str(error)
            self._retry(connection, item, error, now, charged=False)
        elif error.fault == MAILBOX and (self.accepted or last_try):
            self._fail(connection, item, error, now, suppress=True)
        elif last_try:
            self._fail(connection, item, error, now, suppress=False)
        else:
            if error.fault == MAILBOX:
                self.held.append((item, error))
            self._retry(connection, item, error, now, charged=True)
        if self.in_a_row >= self.pause_after and self.report.paused is None:
            self.report.paused = (
                f"{self.in_a_row} failures in a row and none accepted in between, the last:"
                f" {error}; delivery paused until the next pass"
            )
            log.error("delivery: %s", self.report.paused)

    def _finish(
        self,
        connection: Connection,
        item: Tried,
        state: str,
        now: datetime,
        error: SendError | None = None,
        next_attempt: datetime | None = None,
        charged: bool = True,
    ) -> bool:
        """Record under the message's claim; False (and logged) if another sender took it."""
        done = outbox.finish(
            connection, item.message, state, now, error=None if error is None else str(error),
            next_attempt=next_attempt, notices=item.notices, charged=charged, token=item.token,
        )  # fmt: skip
        if not done:
            self._lost(item, state)
        return bool(done)

    def _lost(self, item: Tried, state: str) -> None:
        self.report.lost += 1
        log.warning(
            "delivery: message %s was claimed by another sender before its outcome (%s) was"
            " recorded here",
            item.message,
            state,
        )

    def _fail(
        self, connection: Connection, item: Tried, error: SendError, now: datetime, suppress: bool
    ) -> None:
        if not self._finish(connection, item, "failed", now, error):
            return
        if item.employer:
            employer_finish(connection, [item.message], "failed", now)
        if suppress:
            outbox.suppress(connection, item.recipient, str(error), now)
        self.report.failed += 1
        self.report.problem(item.recipient, error)

    def _retry(
        self, connection: Connection, item: Tried, error: SendError, now: datetime, charged: bool
    ) -> None:
        delay = self.mail.retry_seconds * 2**item.attempts
        delay *= random.uniform(0.75, 1.25)  # jitter: retries do not arrive in step
        retry_at = now + timedelta(seconds=delay)
        if not self._finish(connection, item, "retry", now, error, retry_at, charged):
            return
        if item.employer:
            employer_finish(connection, [item.message], "retry", now)
        self.report.retried += 1
        if not str(error).startswith("not tried:"):
            self.report.problem(item.recipient, error)
