"""A report, taken once: recorded under its id, traced to the message it is about, and the
address suppressed when the report says so.

Whom a report is about: a mailbox report names bounce addresses (mail/reports.py), and only one
whose signature checks (mail/bounces.py) is believed; the address suppressed is then the one our
outbox sent that message to, never one the report names, so a forged or garbled report cannot
suppress anybody. A provider's webhook is authenticated (bounces/providers.py): the recipient it
names is believed when no bounce address says more.

What suppresses: a hard bounce or a complaint at once; soft bounces when `soft_limit` of them
came back within `soft_days` (settings REMINDERS_SOFT_BOUNCE_LIMIT and _DAYS).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from reminders.db import bounces as store
from reminders.db import outbox
from reminders.mail.bounces import message_of
from reminders.mail.reports import Ignored, Report


@dataclass(frozen=True)
class BounceRules:
    secret: bytes
    soft_limit: int = 3
    soft_days: int = 14


@dataclass(frozen=True)
class Taken:
    kind: str
    """hard, soft, complaint, ignored or unmatched; `seen` for a report read before."""
    address: str | None = None
    suppressed: bool = False
    reason: str = ""


SEEN = Taken("seen")


def take(
    connection: Connection,
    rules: BounceRules,
    found: Report | Ignored,
    source: str,
    now: datetime,
    trusted: bool = False,
) -> Taken:
    """Record one report in the caller's transaction. `trusted`: the source is authenticated,
    so the recipients the report names may be believed."""
    if store.already_read(connection, found.report_id):
        return SEEN
    if isinstance(found, Ignored):
        store.add(connection, found.report_id, source, "ignored", None, None, "", found.reason, now)
        return Taken("ignored", reason=found.reason)
    message, address = _traced(connection, rules, found, trusted)
    if address is None:
        detail = f"no message of ours is named ({found.status} {found.detail})".strip()
        store.add(connection, found.report_id, source, "unmatched", None, None, found.status,
                  detail, now)  # fmt: skip
        return Taken("unmatched", reason=detail)
    store.add(connection, found.report_id, source, found.kind, message, address, found.status,
              found.detail, now)  # fmt: skip
    reason = _suppressing(connection, rules, found, address, now)
    if reason is None:
        return Taken(found.kind, address)
    kind = "complaint" if found.kind == "complaint" else "bounce"
    outbox.suppress(connection, address, reason, now, kind)
    return Taken(found.kind, address, suppressed=True, reason=reason)


def record(
    engine: Engine,
    rules: BounceRules,
    found: Report | Ignored,
    source: str,
    now: datetime,
    trusted: bool = False,
) -> Taken:
    """Take one report in a transaction of its own."""
    try:
        with engine.begin() as connection:
            return take(connection, rules, found, source, now, trusted)
    except IntegrityError:  # another reader recorded the same report a moment ago
        return SEEN


def _traced(
    connection: Connection, rules: BounceRules, found: Report, trusted: bool
) -> tuple[int | None, str | None]:
    for candidate in found.addresses:
        message = message_of(rules.secret, candidate)
        if message is not None:
            address = store.address_of(connection, message)
            if address is not None:
                return message, address
    if trusted and found.recipients:
        return None, found.recipients[0]
    return None, None


def _said(found: Report) -> str:
    return f"{found.status}: {found.detail}" if found.detail else found.status


def _suppressing(
    connection: Connection, rules: BounceRules, found: Report, address: str, now: datetime
) -> str | None:
    """Why the address is to be suppressed now, or None."""
    if found.kind == "complaint":
        return f"the recipient reported our mail as spam ({found.status})"
    if found.kind == "hard":
        return f"bounced after delivery: {_said(found)}"
    since = now - timedelta(days=rules.soft_days)
    count = store.soft_since(connection, address, since)
    if count < rules.soft_limit:
        return None
    return f"{count} soft bounces in {rules.soft_days} days, the last: {_said(found)}"
