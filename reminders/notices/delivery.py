"""Delivery: claim queued messages, re-check each against fresh data, send, record.

deliver_due    one pass over the outbox until nothing is due      (reminders send, the daemon)
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, Engine

from reminders import links
from reminders.db import leads, outbox, preferences
from reminders.db.facts import StoredHolder, holders_by_pk
from reminders.escalation.content import coder_note
from reminders.mail.bounces import bounce_address
from reminders.mail.message import Envelope, build
from reminders.mail.policy import MailSettings
from reminders.mail.render import Renderer
from reminders.mail.smtp import Connections, SendError, SmtpConfig
from reminders.notices.content import ceus_due, message_views
from reminders.notices.employer import Claimed, EmployerMail
from reminders.notices.ladder import Ladder
from reminders.notices.lead_mail import LeadMail
from reminders.notices.lease import Lease, release
from reminders.notices.outcomes import SUPPRESSED, Outcomes, Report, employer_finish
from reminders.notices.preferences import DEFAULT, Ladders, wanted
from reminders.notices.recorder import GroupRecorder
from reminders.notices.service import still_applies
from reminders.rules.evaluate import evaluate
from reminders.rules.loader import Rulebook
from reminders.rules.results import Evaluation

log = logging.getLogger(__name__)

CLAIM_BATCH = 100


@dataclass
class _Batch:
    """What one claim batch needs from the database, read in a few queries."""

    notices: dict[int, list[outbox.StoredNotice]]
    employers: Claimed
    copies: dict[int, leads.Copy]
    """The team leads' copies among the messages."""
    informed: dict[int, list[leads.Informed]]
    """The leads each coder's message is copied to."""
    levels: dict[str, str]
    suppressed: dict[str, str]
    sent_today: dict[str, int]
    midnight: datetime


@dataclass(frozen=True)
class _Outgoing:
    message: int
    envelope: Envelope
    attempts: int
    notices: list[tuple[int, str]]
    kinds: tuple[str, ...] = ()
    due_on: tuple[date, ...] = ()
    """The due day of each notice it carries (for the lateness metric)."""
    employer: bool = False
    """A digest or an alert: an employer's mail."""
    token: str = ""
    """The claim the message is held under."""

    @property
    def recipient(self) -> str:
        return self.envelope.recipient

    def copy(self) -> bytes:
        return self.envelope.copy()


async def _record_one(
    recorder: GroupRecorder[_Outgoing],
    outgoing: list[_Outgoing],
    index: int,
    error: SendError | None,
) -> None:
    await recorder(outgoing[index], error)


async def _allow(lease: Lease, outgoing: list[_Outgoing], index: int) -> float | None:
    return await lease.allow(outgoing[index].message)


class Deliverer:
    """One delivery pass over the outbox (`deliver_due`)."""

    def __init__(
        self,
        engine: Engine,
        rulebook: Rulebook,
        ladder: Ladder,
        renderer: Renderer,
        smtp: SmtpConfig,
        mail: MailSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self.engine, self.rulebook, self.ladder = engine, rulebook, ladder
        self.renderer, self.smtp, self.mail, self.clock = renderer, smtp, mail, clock
        self.ladders = Ladders(ladder)
        self.employers = EmployerMail(rulebook, renderer, mail)
        self.leads = LeadMail(rulebook, ladder, renderer, mail)
        self._report_lock = threading.Lock()
        self._unreleased: set[str] = set()
        self._unrecorded: list[tuple[_Outgoing, SendError | None]] = []
        """Outcomes a failed pass knew but could not record. A message the server took while
        the database was away is recorded as sent when it is back, not released and sent
        again: the daemon outlived the outage, so its memory is as good as the database's."""

    async def deliver_due(self, as_of: date) -> Report:
        """Deliver until nothing is due. The database work and the rendering run in worker
        threads, so that the event loop (the daemon's HTTP listener and its other jobs) stays
        responsive however long the queue."""
        report = Report()
        outcomes = Outcomes(self.mail, report, self.mail.pause_after)
        if self._unrecorded:
            items, errors = zip(*self._unrecorded, strict=True)
            await asyncio.to_thread(self._record, list(items), list(errors), outcomes)
            log.info("delivery: %d outcomes recorded after the database came back", len(items))
            self._unrecorded.clear()
        # Claims a pass that failed could not give back (the database was down): give them
        # back now, rather than leave their messages waiting for the lease to run out.
        for token in sorted(self._unreleased):
            if await asyncio.to_thread(release, self.engine, token, self.clock()):
                self._unreleased.discard(token)
        recorder: GroupRecorder[_Outgoing] = GroupRecorder(
            functools.partial(self._record, outcomes=outcomes), self._unrecorded
        )
        async with Connections(self.smtp) as connections:
            while report.paused is None:
                claimed = await asyncio.to_thread(self._claim_batch, as_of, report)
                if claimed is None:
                    break
                outgoing, lease = claimed
                try:
                    # Each outcome is recorded the moment it is known, before that connection
                    # sends its next message: a crash repeats at most the messages in flight.
                    await connections.send_all(
                        [item.envelope for item in outgoing],
                        functools.partial(_record_one, recorder, outgoing),
                        outcomes.halted,
                        functools.partial(_allow, lease, outgoing),
                    )
                except BaseException:
                    if not await asyncio.to_thread(lease.release):
                        self._unreleased.add(lease.token)
                    raise
        return report

    def _claim_batch(self, as_of: date, report: Report) -> tuple[list[_Outgoing], Lease] | None:
        """Claim a batch and prepare its mail; None once nothing is due."""
        now = self.clock()
        token = secrets.token_hex(16)
        length = timedelta(seconds=self.mail.lease_seconds)
        connection = self.engine.connect().execution_options(sqlite_begin="IMMEDIATE")
        with connection, connection.begin():
            claimed = outbox.claim(connection, now, length, CLAIM_BATCH, token)
            if not claimed:
                return None
            with self._report_lock:
                ready = self._prepare(connection, claimed, as_of, now, report)
        outgoing = [dataclasses.replace(item, token=token) for item in ready]
        lease = Lease(
            self.engine, token, [item.message for item in outgoing], length, self.clock, now
        )
        return outgoing, lease

    def _prepare(
        self,
        connection: Connection,
        claimed: list[outbox.Claimed],
        as_of: date,
        now: datetime,
        report: Report,
    ) -> list[_Outgoing]:
        holders = holders_by_pk(connection, [c.holder_pk for c in claimed if c.holder_pk])
        addresses = sorted({c.to_address for c in claimed})
        midnight = datetime.combine(now.date(), datetime.min.time(), UTC)
        batch = _Batch(
            notices=outbox.notices_of(connection, [c.id for c in claimed]),
            employers=Claimed.read(connection, [c.id for c in claimed if c.holder_pk is None]),
            copies=leads.copies_of(connection, [c.id for c in claimed if c.holder_pk]),
            informed=leads.informed(connection, [c.id for c in claimed if c.holder_pk]),
            levels=preferences.levels(connection, addresses),
            suppressed=outbox.suppressed(connection, addresses),
            # Messages to the same address in this batch count toward its daily cap too.
            sent_today=outbox.sent_since(connection, addresses, midnight),
            midnight=midnight,
        )
        ready: list[_Outgoing] = []
        for message in claimed:
            try:
                if message.holder_pk is None:
                    item = self._prepare_employer(connection, message, as_of, now, batch, report)
                elif message.id in batch.copies:
                    item = self._prepare_copy(connection, message, holders, as_of, now, batch,
                                              report)  # fmt: skip
                else:
                    holder = holders[message.holder_pk]
                    item = self._prepare_one(connection, message, holder, as_of, now, batch, report)
            except Exception as exc:  # a bug must not hold up everyone else's mail
                log.exception("message %s: cannot prepare it", message.id)
                retry_at = now + timedelta(hours=1)
                attempts_left = message.attempts + 1 < self.mail.max_attempts
                state = "retry" if attempts_left else "failed"
                error = f"cannot prepare the message: {exc!r}"[:500]
                outbox.finish(
                    connection, message.id, state, now, error=error, next_attempt=retry_at
                )
                employer_finish(connection, [message.id], state, now)
                report.problem(message.to_address, error)
                continue
            if item is not None:
                ready.append(item)
                batch.sent_today[message.to_address] = (
                    batch.sent_today.get(message.to_address, 0) + 1
                )
        return ready

    def _prepare_one(
        self,
        connection: Connection,
        message: outbox.Claimed,
        holder: StoredHolder,
        as_of: date,
        now: datetime,
        batch: _Batch,
        report: Report,
    ) -> _Outgoing | None:
        records = batch.notices[message.id]
        address = message.to_address
        refusal = batch.suppressed.get(address)
        if refusal is not None:
            outbox.finish(connection, message.id, "failed", now, error=f"suppressed: {refusal}",
                          reason=SUPPRESSED.format(refusal))  # fmt: skip
            report.failed += 1
            return None
        evaluations = {e.body: e for e in evaluate(holder.facts, self.rulebook, as_of)[0]}
        level = batch.levels.get(address, DEFAULT)
        states: list[tuple[int, str]] = []
        live: list[outbox.StoredNotice] = []
        why: dict[str, None] = {}  # in order, once each
        for record in records:
            if record.state not in ("queued", "retry", "sending"):
                continue
            if as_of >= record.expires_on:
                states.append((record.id, "expired"))
                why[f"too late: it could go out until {record.expires_on - timedelta(days=1)}"] = (
                    None
                )
            elif not still_applies(record, evaluations, as_of):
                states.append((record.id, "cancelled"))
                why["it no longer applied: the records changed before it went"] = None
            elif not wanted(record.kind, record.rung, record.body, self.ladders[level], level):
                states.append((record.id, "cancelled"))
                why["the coder chose fewer reminders before it went"] = None
            else:
                live.append(record)
        if not live:
            final = "expired" if all(s == "expired" for _, s in states) else "cancelled"
            outbox.finish(connection, message.id, final, now, notices=states,
                          reason="; ".join(why) or None)  # fmt: skip
            setattr(report, final, getattr(report, final) + 1)
            return None
        opens = self.mail.window_opens(holder.timezone, now)
        if opens is not None:
            outbox.finish(connection, message.id, "retry", now, next_attempt=opens, notices=states)
            report.deferred += 1
            return None
        if batch.sent_today.get(address, 0) >= self.mail.daily_cap:
            tomorrow = batch.midnight + timedelta(days=1)
            outbox.finish(
                connection, message.id, "retry", now, next_attempt=tomorrow, notices=states
            )
            report.deferred += 1
            return None
        told = batch.informed.get(message.id, [])
        note = coder_note([(lead.name, lead.org, lead.policy) for lead in told])
        envelope = self._envelope(holder, live, evaluations, address, as_of, now, level, note)
        kinds = tuple(record.kind for record in live)
        return _Outgoing(message.id, self._sent_as(message.id, envelope), message.attempts,
                         states, kinds, due_on=tuple(record.due_on for record in live))  # fmt: skip

    def _prepare_employer(
        self,
        connection: Connection,
        message: outbox.Claimed,
        as_of: date,
        now: datetime,
        batch: _Batch,
        report: Report,
    ) -> _Outgoing | None:
        refusal = batch.suppressed.get(message.to_address)
        ready = self.employers.prepare(
            connection, message, batch.employers, refusal, as_of, now, report
        )
        if ready is None:
            return None
        envelope, kind = ready
        return _Outgoing(
            message.id, self._sent_as(message.id, envelope), message.attempts, [], (kind,),
            employer=True,
        )  # fmt: skip

    def _prepare_copy(
        self,
        connection: Connection,
        message: outbox.Claimed,
        holders: dict[int, StoredHolder],
        as_of: date,
        now: datetime,
        batch: _Batch,
        report: Report,
    ) -> _Outgoing | None:
        refusal = batch.suppressed.get(message.to_address)
        holder = holders.get(message.holder_pk or 0)
        copy = batch.copies[message.id]
        envelope = self.leads.prepare(
            connection, message, copy, holder, refusal, as_of, now, report
        )
        if envelope is None:
            return None
        return _Outgoing(
            message.id, self._sent_as(message.id, envelope), message.attempts, [], ("lead",)
        )

    def _sent_as(self, message: int, envelope: Envelope) -> Envelope:
        """With a bounce domain, the envelope sender names the message (mail/bounces.py)."""
        domain = self.mail.bounce_domain
        if domain is None:
            return envelope
        return replace(envelope, sender=bounce_address(self.mail.secret, message, domain))

    def _envelope(
        self,
        holder: StoredHolder,
        live: list[outbox.StoredNotice],
        evaluations: dict[str, Evaluation],
        address: str,
        as_of: date,
        now: datetime,
        level: str,
        lead_note: str | None = None,
    ) -> Envelope:
        views, notes = message_views(
            ((record.kind, record.rung, record.body) for record in live),
            evaluations, self.ladder, self.rulebook.category_words, as_of,
        )  # fmt: skip
        deadlines = [
            ceus_due(
                holder.facts.holder_id, evaluations[r.body], self.ladder.bodies[r.body].ceu_page
            )
            for r in live
            if r.kind == "deadline"
        ]
        base, secret = self.mail.base_url, self.mail.secret
        unsubscribe = links.unsubscribe_url(base, secret, address, links.NOTICES, now)
        calendar = links.calendar_url(base, secret, address, now)
        status = links.status_url(base, secret, address, now)
        rendered = self.renderer.render(
            holder.full_name,
            views,
            unsubscribe,
            calendar,
            notes,
            level,
            status_url=status,
            informed=lead_note,
        )
        return build(
            rendered,
            mail_from=self.mail.mail_from,
            to_name=holder.full_name,
            to_address=address,
            keys=[record.key for record in live],
            unsubscribe_url=unsubscribe,
            unsubscribe_mailto=self.mail.unsubscribe_mailto,
            now=now,
            deadlines=deadlines,
        )

    def _record(
        self, outgoing: list[_Outgoing], errors: list[SendError | None], outcomes: Outcomes
    ) -> None:
        # One group at a time: the pass's record is shared, and SQLite has one writer anyway.
        with self._report_lock, self.engine.begin() as connection:
            outcomes.record(connection, outgoing, errors, self.clock())
