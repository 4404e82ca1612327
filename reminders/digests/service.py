"""The digest use cases: which digests are due, what each one shows, and queueing them in the
outbox, where the notices' delivery sends them (reminders digest, and the daemon's digest job).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine

from reminders.db import bounces, scope
from reminders.db import digests as store
from reminders.db.facts import holders_by_pk
from reminders.digests.content import Line, dump_lines, line_of
from reminders.digests.schedule import Period, end_of_day, latest_period
from reminders.logs import fingerprint
from reminders.rules.evaluate import evaluate
from reminders.rules.loader import Rulebook

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DueDigest:
    subscriber: store.Subscriber
    period: Period
    as_of: date
    """The day the members are evaluated as of: the subscriber's today (or the day given)."""

    @property
    def key(self) -> str:
        return digest_key(self.subscriber.id, self.period.label)


def digest_key(subscription: int, period: str) -> str:
    return f"digest:{subscription}:{period}"


def _zone(subscriber: store.Subscriber, default: str) -> ZoneInfo:
    return ZoneInfo(subscriber.timezone or default)


def current_digests(
    connection: Connection,
    now: datetime,
    default_zone: str,
    as_of: date | None = None,
    subscription: int | None = None,
    include_paused: bool = False,
) -> list[DueDigest]:
    """Each subscription's newest period as of `now` (or as of the end of the day `as_of` in
    the subscriber's zone), whether or not it went out."""
    found = []
    for subscriber in store.subscribers(connection, subscription):
        if subscriber.paused and not include_paused:
            continue
        zone = _zone(subscriber, default_zone)
        moment = end_of_day(as_of, zone) if as_of is not None else now
        period = latest_period(subscriber.frequency, zone, moment)
        day = as_of if as_of is not None else now.astimezone(zone).date()
        found.append(DueDigest(subscriber, period, day))
    return found


def due_digests(
    connection: Connection,
    now: datetime,
    default_zone: str,
    as_of: date | None = None,
    subscription: int | None = None,
) -> list[DueDigest]:
    """The digests due and not yet recorded: one per active subscription at most, for its
    newest period only (after downtime the periods missed are not sent)."""
    current = current_digests(connection, now, default_zone, as_of, subscription)
    done = store.recorded(connection, [due.key for due in current])
    return [due for due in current if due.key not in done]


def scope_lines(
    connection: Connection, rulebook: Rulebook, subscriber: store.Subscriber, as_of: date
) -> Iterator[Line]:
    """One line per member of the subscription's scope and certifying body, as of a day."""
    for pks in store.scope_members(connection, subscriber.org_pk, subscriber.team_pk):
        for _, line in member_lines(connection, rulebook, subscriber.org_pk, pks, as_of):
            yield line


def member_lines(
    connection: Connection, rulebook: Rulebook, org_pk: int, pks: list[int], as_of: date
) -> Iterator[tuple[int, Line]]:
    """The lines of these holders (row ids) as an organisation's mail shows them: with their
    teams in that organisation only."""
    teams = scope.teams_of(connection, org_pk, pks)
    holders = holders_by_pk(connection, pks)
    bouncing = bounces.bouncing(connection, sorted({h.email for h in holders.values()}))
    for holder in holders.values():
        for e in evaluate(holder.facts, rulebook, as_of)[0]:
            accepted = [
                c.completed_on
                for c in holder.facts.ceus
                if e.body in c.bodies and c.completed_on <= as_of
            ]
            yield holder.pk, line_of(
                holder.full_name, e, holder.email, tuple(teams.get(holder.pk, ())),
                functools.partial(rulebook.category_words, e.body),
                max(accepted, default=None), bouncing.get(holder.email),
            )  # fmt: skip


def queue_digests(
    engine: Engine,
    rulebook: Rulebook,
    now: datetime,
    default_zone: str,
    as_of: date | None = None,
    subscription: int | None = None,
) -> list[DueDigest]:
    """Record each due digest with what it shows, and its message, in the outbox; one
    transaction per digest. The ones queued (another instance may have queued the rest)."""
    with engine.connect() as connection:
        due = due_digests(connection, now, default_zone, as_of, subscription)
    queued = []
    for item in due:
        connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
        with connection, connection.begin():
            lines = list(scope_lines(connection, rulebook, item.subscriber, item.as_of))
            previous = store.last_sent(
                connection, item.subscriber.id, item.period.label, item.as_of
            )
            new = store.NewDigest(
                key=item.key,
                subscription=item.subscriber.id,
                email=item.subscriber.email,
                period=item.period.label,
                as_of=item.as_of,
                expires_on=item.period.next_day,
                shown=dump_lines(lines),
                previous=None if previous is None else previous.id,
            )
            if store.record(connection, new, now) is not None:
                queued.append(item)
                # A subscriber's address is personal data too: the log carries its fingerprint.
                log.info(
                    "digest %s queued for %s: %d lines",
                    item.key, fingerprint(item.subscriber.email), len(lines),
                )  # fmt: skip
    return queued
