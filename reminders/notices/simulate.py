"""`reminders simulate`: the daemon's schedule, day by day, without writing anything. Which
notices and digests would go out, to whom, with what subject and why, so that an operator can
check a ladder, a rules change or a new roster before going live.

It runs the daemon's own steps on an in-memory copy of what the outbox knows: each day, every
holder is evaluated and planned (planning.plan, with the notices known so far, their preference
and kinds), each message is checked again as delivery checks it (expired, no longer true, no
longer wanted, the address suppressed, the daily cap), and each subscription's digest of the
period due that day is built from the same lines. Subjects come from the same templates. What
it cannot know: mail servers' answers, data that changes meanwhile, and the hour within a day
(send windows and the hour of a digest delay a mail by hours, not days).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from reminders.db import digests as digest_store
from reminders.db import outbox, preferences, queueing
from reminders.db.facts import StoredHolder, stored_holders
from reminders.digests.content import Line, build_digest, load_lines
from reminders.digests.schedule import end_of_day, latest_period, title_of
from reminders.digests.service import digest_key, scope_lines
from reminders.mail.render import Renderer
from reminders.notices.content import message_views
from reminders.notices.ladder import Ladder
from reminders.notices.planning import Known, Notice, plan
from reminders.notices.preferences import DEFAULT, Ladders, kinds_for, wanted
from reminders.notices.service import still_applies
from reminders.rules.evaluate import evaluate
from reminders.rules.loader import Rulebook
from reminders.rules.results import Evaluation

PLACEHOLDER = "https://reminders.invalid/simulated"
"""The links of a simulated mail: never sent, never followed."""


@dataclass(frozen=True)
class Outgoing:
    day: date
    to: str
    kind: str
    """`notices` (a coder's mail, one or more notices) or `digest`."""
    subject: str
    why: tuple[str, ...]
    outcome: str
    """`sent`; `suppressed` (the address is on the suppression list); `held` (the daily cap:
    it goes the next day it can)."""
    holder_id: str | None = None
    notices: tuple[str, ...] = ()
    """Each notice as kind:rung:body."""


@dataclass
class _Message:
    holder: StoredHolder
    notices: list[Notice]


@dataclass
class _State:
    known: dict[int, dict[str, Known]]
    queue: list[_Message] = field(default_factory=list)
    sent_on: dict[tuple[str, date], int] = field(default_factory=dict)
    digests: dict[int, tuple[str, list[Line]]] = field(default_factory=dict)
    """Each subscription's last simulated digest: its period and what it showed."""
    done: set[str] = field(default_factory=set)


class Simulation:
    def __init__(
        self,
        connection: Connection,
        rulebook: Rulebook,
        ladder: Ladder,
        renderer: Renderer,
        daily_cap: int,
        default_zone: str,
    ) -> None:
        self.connection, self.rulebook, self.ladder = connection, rulebook, ladder
        self.ladders = Ladders(ladder)
        self.renderer, self.daily_cap, self.default_zone = renderer, daily_cap, default_zone

    def run(self, start: date, days: int, holder_id: str | None = None) -> Iterator[Outgoing]:
        """Day by day from `start`; with `holder_id`, that holder's notices only (no digests)."""
        holders = self._holders(holder_id)
        pks = list(holders)
        subscribers = [] if holder_id else digest_store.subscribers(self.connection, None)
        emails = sorted({h.email for h in holders.values()} | {s.email for s in subscribers})
        state = _State(queueing.known_notices(self.connection, pks), self._waiting(holders))
        levels = preferences.levels(self.connection, emails)
        suppressed = outbox.suppressed(self.connection, emails)
        for offset in range(days):
            day = start + timedelta(days=offset)
            evaluations = {
                pk: evaluate(h.facts, self.rulebook, day)[0] for pk, h in holders.items()
            }
            for pk, holder in holders.items():
                self._plan(state, holder, evaluations[pk], levels.get(holder.email, DEFAULT), day)
            yield from self._deliver(state, evaluations, levels, suppressed, day)
            for subscriber in subscribers:
                found = self._digest(state, subscriber, day)
                if found is not None:
                    yield replace(found, outcome="suppressed") if found.to in suppressed else found

    def _holders(self, holder_id: str | None) -> dict[int, StoredHolder]:
        batches = stored_holders(self.connection, holder_id=holder_id)
        return {holder.pk: holder for batch in batches for holder in batch}

    def _waiting(self, holders: dict[int, StoredHolder]) -> list[_Message]:
        """The messages already in the outbox, queued or to be retried: the first day's
        delivery takes them as the daemon would."""
        found = []
        for pk, pending in outbox.pending_of(self.connection, list(holders)).items():
            holder = holders[pk]
            by_message: dict[int, list[Notice]] = {}
            for message, n in pending:
                notice = Notice(holder.facts.holder_id, n.body, n.kind, n.rung, n.cycle_end,
                                n.due_on, n.expires_on, holder.facts.owner)  # fmt: skip
                by_message.setdefault(message, []).append(notice)
            found += [_Message(holder, notices) for _, notices in sorted(by_message.items())]
        return found

    def _plan(
        self, state: _State, holder: StoredHolder, evaluations: list[Evaluation], level: str,
        day: date,
    ) -> None:  # fmt: skip
        known = state.known.setdefault(holder.pk, {})
        result = plan(evaluations, self.ladders[level], day, known, kinds_for(level))
        for notice in (*result.due, *result.skipped):
            known[notice.key] = Known(notice.key, day)
        if result.due:
            state.queue.append(_Message(holder, list(result.due)))

    def _deliver(
        self,
        state: _State,
        evaluations: dict[int, list[Evaluation]],
        levels: dict[str, str],
        suppressed: dict[str, str],
        day: date,
    ) -> Iterator[Outgoing]:
        waiting: list[_Message] = []
        for message in state.queue:
            holder = message.holder
            level = levels.get(holder.email, DEFAULT)
            by_body = {e.body: e for e in evaluations[holder.pk]}
            live = [n for n in message.notices if self._live(n, by_body, level, day)]
            if not live:
                continue  # expired or cancelled, as delivery would find them
            address = holder.email
            subject, why = self._words(holder, live, by_body, level, day)
            base = Outgoing(day, address, "notices", subject, why, "sent", holder.facts.holder_id,
                            tuple(f"{n.kind}:{n.rung}:{n.body}" for n in live))  # fmt: skip
            if address in suppressed:
                yield replace(base, outcome="suppressed")
            elif state.sent_on.get((address, day), 0) >= self.daily_cap:
                waiting.append(_Message(holder, live))
                yield replace(base, outcome="held")
            else:
                state.sent_on[(address, day)] = state.sent_on.get((address, day), 0) + 1
                yield base
        state.queue = waiting

    def _live(self, notice: Notice, by_body: dict[str, Evaluation], level: str, day: date) -> bool:
        if day >= notice.expires_on:
            return False
        record = outbox.StoredNotice(0, notice.key, notice.body, notice.kind, notice.rung,
                                     notice.cycle_end, notice.due_on, notice.expires_on, "queued")  # fmt: skip
        return still_applies(record, by_body, day) and wanted(
            notice.kind, notice.rung, notice.body, self.ladders[level], level
        )

    def _words(
        self, holder: StoredHolder, live: list[Notice], by_body: dict[str, Evaluation],
        level: str, day: date,
    ) -> tuple[str, tuple[str, ...]]:  # fmt: skip
        views, notes = message_views(
            ((n.kind, n.rung, n.body) for n in live), by_body, self.ladder,
            self.rulebook.category_words, day,
        )  # fmt: skip
        rendered = self.renderer.render(holder.full_name, views, PLACEHOLDER, PLACEHOLDER, notes,
                                        level, status_url=PLACEHOLDER)  # fmt: skip
        return rendered.subject, tuple(f"{v.body} {v.kind}: {v.why}" for v in views)

    def _digest(
        self, state: _State, subscriber: digest_store.Subscriber, day: date
    ) -> Outgoing | None:
        if subscriber.paused:
            return None
        zone = ZoneInfo(subscriber.timezone or self.default_zone)
        period = latest_period(subscriber.frequency, zone, end_of_day(day, zone))
        key = digest_key(subscriber.id, period.label)
        if key in state.done or digest_store.recorded(self.connection, [key]):
            return None
        state.done.add(key)
        lines = list(scope_lines(self.connection, self.rulebook, subscriber, day))
        before = state.digests.get(subscriber.id)
        if before is None:
            sent = digest_store.last_sent(self.connection, subscriber.id, period.label, day)
            before = None if sent is None else (sent.period, load_lines(sent.shown))
        state.digests[subscriber.id] = (period.label, lines)
        content = build_digest(
            subscriber.scope, title_of(period.label), day, lines,
            None if before is None else before[1],
            compared_with=None if before is None else title_of(before[0]),
        )  # fmt: skip
        rendered = self.renderer.render_digest(
            content, subscriber.email, subscriber.frequency, PLACEHOLDER
        )
        why = (f"the {subscriber.frequency} digest of {title_of(period.label)}",)
        return Outgoing(day, subscriber.email, "digest", rendered.subject, why, "sent")
