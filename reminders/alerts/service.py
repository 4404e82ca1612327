"""The alert use cases: detect the events of organisations' members, and queue each
subscription's alert of the events it has not been told, in the outbox, where the notices'
delivery re-checks and sends them (the daemon's scan, change and digest jobs; `reminders
alerts`).

detect        record the events a full scan (or the changed holders) shows; an organisation's
              first detection is its baseline, known already and never alerted
queue_alerts  one alert per subscription with news: immediate ones at most once per interval,
              daily ones once a day from 08:00 in the subscriber's zone; events that come while
              an alert waits to be sent join it
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, select

from reminders.alerts.content import Alert, Told, build_alert, told
from reminders.alerts.events import events_of, still_true
from reminders.db import alerts as store
from reminders.db.digests import Subscriber
from reminders.db.facts import holders_by_pk
from reminders.db.models import AlertRecord
from reminders.digests.schedule import SEND_AT
from reminders.digests.service import member_lines
from reminders.logs import fingerprint
from reminders.rules.evaluate import evaluate
from reminders.rules.loader import Rulebook

log = logging.getLogger(__name__)

BATCH = 1_000


@dataclass(frozen=True)
class AlertRules:
    """The settings REMINDERS_ALERT_BEHIND_DAYS and REMINDERS_ALERT_INTERVAL_MINUTES."""

    behind_days: int = 90
    """Behind pace is news within this many days of the deadline."""
    interval: timedelta = timedelta(minutes=15)
    """Immediate alerts: at most one mail per subscriber per interval."""


def detect(
    engine: Engine,
    rulebook: Rulebook,
    as_of: date,
    now: datetime,
    rules: AlertRules,
    holder_pks: Sequence[int] | None = None,
    only_new: bool = False,
) -> int:
    """Record the events of the holders of the organisations someone is told of (or of these
    holders); how many were new.

    Only those organisations are watched: one nobody is told of any more stops being watched.
    A full detection is a watched organisation's baseline the first time; the changed holders
    of an organisation not detected yet wait for that. `only_new`: the baseline of the
    organisations someone has just begun to be told of, and nothing else (the minute's job, so
    that alerts turned on start within a minute rather than at the next scan)."""
    full = holder_pks is None
    with engine.begin() as connection:
        wanted = store.wanting(connection)
        if full and not only_new:
            store.unwatch_except(connection, wanted)
        first = store.unwatched(connection) & wanted
    orgs = sorted(first if only_new else wanted)
    if not orgs:
        return 0
    new = 0
    after = 0
    pending = None if full else sorted(set(holder_pks or ()))
    while True:
        if pending is None:
            with engine.connect() as connection:
                pks = store.holders_in_orgs(connection, orgs, after, BATCH)
        else:
            pks, pending = pending[:BATCH], pending[BATCH:]
        if not pks:
            break
        after = pks[-1]
        connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
        with connection, connection.begin():
            found = _found(connection, rulebook, as_of, rules, pks, set(orgs), first, full)
            new += store.record_events(connection, found, now)
    if full and first:
        with engine.begin() as connection:
            store.watch(connection, sorted(first), now)
    return new


def _found(
    connection: Connection,
    rulebook: Rulebook,
    as_of: date,
    rules: AlertRules,
    pks: list[int],
    wanted: set[int],
    first: set[int],
    full: bool,
) -> list[store.NewEvent]:
    orgs = store.orgs_of(connection, pks)
    found = []
    for pk, holder in holders_by_pk(connection, pks).items():
        seen = [
            org for org in sorted(orgs.get(pk, ())) if org in wanted and (full or org not in first)
        ]
        if not seen:
            continue
        try:
            events = events_of(evaluate(holder.facts, rulebook, as_of)[0], as_of, rules.behind_days)
        except Exception:
            # As in a scan: one holder's bug must not hold up the others' alerts.
            log.exception("holder %s: cannot be evaluated for alerts", holder.facts.holder_id)
            continue
        found += [
            store.NewEvent(org, pk, e.body, e.cycle, e.kind, e.happened_on, org in first)
            for org in seen
            for e in events
        ]
    return found


@dataclass(frozen=True, slots=True)
class Queued:
    subscriber: Subscriber
    key: str | None
    """None: the events joined an alert that was waiting to be sent."""
    events: int


def queue_alerts(
    engine: Engine, now: datetime, default_zone: str, rules: AlertRules
) -> list[Queued]:
    """Queue the alerts due: one write transaction per subscription with news (or whose
    alerts start), none for the others, which this job meets every minute."""
    with engine.begin() as connection:
        store.forget_stopped(connection)
        alerting = store.alerting(connection)
        quiet = {
            subscriber.id
            for subscriber, after in alerting
            if after is not None and not store.news(connection, subscriber, after)
        }
    queued = []
    for subscriber, after in alerting:
        if subscriber.id in quiet:
            continue
        connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
        with connection, connection.begin():
            done = _queue_one(connection, subscriber, after, now, default_zone, rules)
        if done is not None:
            queued.append(done)
            log.info(
                "alert %s for %s: %d events",
                done.key or "(joined the one waiting)", fingerprint(subscriber.email), done.events,
            )  # fmt: skip
    return queued


def _queue_one(
    connection: Connection,
    subscriber: Subscriber,
    after: int | None,
    now: datetime,
    default_zone: str,
    rules: AlertRules,
) -> Queued | None:
    if after is None:
        store.start(connection, subscriber.id)
        return None
    events = store.news(connection, subscriber, after)
    if not events:
        return None
    waiting = store.waiting(connection, subscriber.id)
    if waiting is not None:
        added = store.add_items(connection, subscriber.id, waiting, events)
        return Queued(subscriber, None, added) if added else None
    last = store.last_alert_at(connection, subscriber.id) if subscriber.alerts != "daily" else None
    key = due_key(
        subscriber, now, ZoneInfo(subscriber.timezone or default_zone), rules.interval, last
    )
    if key is None or _taken(connection, key):
        return None
    alert = store.create(connection, key, subscriber, now)
    if alert is None:
        return None
    return Queued(subscriber, key, store.add_items(connection, subscriber.id, alert, events))


def due_key(
    subscriber: Subscriber,
    now: datetime,
    zone: ZoneInfo,
    interval: timedelta,
    last: datetime | None,
) -> str | None:
    """The key of the alert a subscription may be sent now, or None while it must wait: an
    immediate alert once `interval` has passed since the last (its key names the interval it
    falls in, so two instances queue one); a daily one from 08:00 in the subscriber's zone,
    once that day."""
    if subscriber.alerts == "daily":
        local = now.astimezone(zone)
        return f"alert:{subscriber.id}:{local.date()}" if local.time() >= SEND_AT else None
    if last is not None and now < last + interval:
        return None
    return f"alert:{subscriber.id}:q{int(now.timestamp() // interval.total_seconds())}"


def _taken(connection: Connection, key: str) -> bool:
    query = select(AlertRecord.id).where(AlertRecord.key == key)
    return connection.execute(query).first() is not None


def recheck(
    connection: Connection,
    rulebook: Rulebook,
    stored: store.StoredAlert,
    as_of: date,
) -> tuple[Alert, list[int]]:
    """The alert as it stands on fresh data, and the events dropped from it: no longer true,
    or their member left the subscription's scope."""
    subscriber = stored.subscriber
    pks = sorted({item.holder_pk for item in stored.items})
    inside = sorted(store.in_scope(connection, subscriber, pks))
    kept, dropped = still_told(connection, rulebook, subscriber.org_pk, inside, stored.items, as_of)
    return build_alert(subscriber.scope, as_of, [told for _, told in kept]), dropped


def still_told(
    connection: Connection,
    rulebook: Rulebook,
    org_pk: int,
    inside: Sequence[int],
    items: Sequence[store.Item],
    as_of: date,
) -> tuple[list[tuple[int, Told]], list[int]]:
    """Of these events, those still true on fresh data for members among `inside` (row ids),
    each with its words; and the others' ids."""
    lines = {
        (pk, line.body): line
        for pk, line in member_lines(connection, rulebook, org_pk, list(inside), as_of)
    }
    kept: list[tuple[int, Told]] = []
    dropped: list[int] = []
    for item in items:
        line = lines.get((item.holder_pk, item.body))
        if line is None or not still_true(item.kind, item.cycle_end, line):
            dropped.append(item.event)
        else:
            kept.append((item.event, told(line, item.kind, item.happened_on)))
    return kept, dropped
