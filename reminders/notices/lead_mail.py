"""A team lead's copy in a delivery pass: checked again when a sender claims it, and composed then.

The copy carries the notices of the coder's message (its original) that the organisation
escalates now, each still true on fresh data and not expired; one of them solved meanwhile is
left out, and a copy left with none is cancelled, as is one whose lead was removed or muted or
whose organisation stopped escalating. It waits for the send window in the coder's zone, and
does not count against the daily cap: the coder's cap protects the coder.
"""

from __future__ import annotations

import functools
from datetime import date, datetime

from sqlalchemy import Connection

from reminders.db import leads, outbox
from reminders.db.facts import StoredHolder
from reminders.digests.content import line_of
from reminders.escalation.content import copied, lead_copy
from reminders.escalation.policy import escalated
from reminders.links import lead_list, unsubscribe_url
from reminders.mail.message import Envelope, build
from reminders.mail.policy import MailSettings
from reminders.mail.render import Renderer
from reminders.notices.ladder import Ladder
from reminders.notices.outcomes import SUPPRESSED, Report, close
from reminders.notices.service import still_applies
from reminders.rules.evaluate import evaluate
from reminders.rules.loader import Rulebook


class LeadMail:
    def __init__(
        self, rulebook: Rulebook, ladder: Ladder, renderer: Renderer, mail: MailSettings
    ) -> None:
        self.rulebook, self.ladder, self.renderer, self.mail = rulebook, ladder, renderer, mail

    def prepare(
        self,
        connection: Connection,
        message: outbox.Claimed,
        copy: leads.Copy,
        holder: StoredHolder | None,
        refusal: str | None,
        as_of: date,
        now: datetime,
        report: Report,
    ) -> Envelope | None:
        """The copy's envelope; None once its outcome is recorded here."""
        lead = copy.lead
        if lead is None or copy.original is None or holder is None:
            why = "the lead was removed or muted, or the coder left, before it went"
            close(connection, message.id, "cancelled", now, report, reason=why)
            return None
        if refusal is not None:
            close(connection, message.id, "failed", now, report, f"suppressed: {refusal}",
                  SUPPRESSED.format(refusal))  # fmt: skip
            return None
        evaluations = {e.body: e for e in evaluate(holder.facts, self.rulebook, as_of)[0]}
        live = [
            n
            for n in outbox.notices_of(connection, [copy.original])[copy.original]
            if as_of < n.expires_on
            and escalated(lead.policy, n.kind, n.rung, n.body, self.ladder)
            and still_applies(n, evaluations, as_of)
        ]
        if not live:
            why = "what it copied no longer applied, or is no longer escalated, when it was due"
            close(connection, message.id, "cancelled", now, report, reason=why)
            return None
        opens = self.mail.window_opens(holder.timezone, now)
        if opens is not None:
            outbox.finish(connection, message.id, "retry", now, next_attempt=opens)
            report.deferred += 1
            return None
        name = holder.full_name
        words = self.rulebook.category_words
        lines = (
            line_of(name, evaluations[n.body], category_words=functools.partial(words, n.body))
            for n in live
        )
        view = lead_copy(
            name, holder.facts.holder_id, lead.org, lead.team, lead.policy,
            (copied(line, n.kind) for line, n in zip(lines, live, strict=True)),
        )  # fmt: skip
        unsubscribe = unsubscribe_url(
            self.mail.base_url, self.mail.secret, lead.email, lead_list(lead.team_pk), now
        )
        rendered = self.renderer.render_lead(view, lead.email, unsubscribe)
        return build(
            rendered,
            mail_from=self.mail.mail_from,
            to_name=lead.name or "",
            to_address=lead.email,
            keys=[f"{n.key}|lead:{lead.email.lower()}" for n in live],
            unsubscribe_url=unsubscribe,
            unsubscribe_mailto=self.mail.unsubscribe_mailto,
            now=now,
        )
