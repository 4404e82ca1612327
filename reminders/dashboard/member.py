"""One member's notices in words, for the dashboard's page of that member: what each notice
was and what became of it. Pure: the rows come from db/dashboard.py, the zone is the reader's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from reminders.words import day, days

KINDS = {
    "deadline": "Reminder before the due date",
    "shortfall": "Behind pace",
    "overdue": "Overdue notice",
    "lapsed": "Lapse notice",
    "complete": "Cycle complete",
    "dues": "Membership dues reminder",
}
_BOUNCED = {
    "hard": "then bounced: the address does not take mail",
    "soft": "then bounced for now (a full mailbox, say)",
    "complaint": "then reported as spam by its reader",
}
_NOT_SENT = {
    "cancelled": "Not sent: it no longer applied when its turn came (the records changed, or"
    " the coder chose fewer reminders)",
    "expired": "Not sent: its moment passed before it could go",
    "skipped": "Not sent: a more urgent reminder went instead",
}
PENDING = ("queued", "sending", "retry")


@dataclass(frozen=True, slots=True)
class SentNotice:
    """A notice planned for a member, with what became of its mail (db/dashboard.py)."""

    body: str
    kind: str
    rung: str
    cycle_end: date
    due_on: date
    state: str
    updated_at: datetime
    sent_at: datetime | None
    last_error: str | None
    bounced: str | None
    """What a bounce report said of its message after it was accepted: hard, soft or complaint."""


@dataclass(frozen=True, slots=True)
class NoticeLine:
    body: str
    what: str
    due: str
    outcome: str
    delivered: bool | None
    """True once sent, False if it failed or bounced, None while waiting or never sent."""


def what(notice: SentNotice) -> str:
    """ "Reminder before the due date, 45 days before"."""
    words = KINDS.get(notice.kind, notice.kind)
    if notice.rung.isdigit() and notice.kind in ("deadline", "dues"):
        return f"{words}, {days(int(notice.rung))} before"
    if notice.rung.isdigit() and notice.kind == "overdue":
        return f"{words}, {days(int(notice.rung))} after"
    return words


def _moment(at: datetime, zone: ZoneInfo) -> str:
    return day(at.astimezone(zone).date())


def outcome(notice: SentNotice, zone: ZoneInfo) -> tuple[str, bool | None]:
    if notice.state == "sent" and notice.sent_at is not None:
        sent = f"Sent on {_moment(notice.sent_at, zone)}"
        if notice.bounced in _BOUNCED:
            return f"{sent}, {_BOUNCED[notice.bounced]}", False
        return sent, True
    if notice.state == "failed":
        return f"Not delivered: {notice.last_error or 'the mail server refused it'}", False
    if notice.state == "retry":
        return f"Being retried: {notice.last_error or 'the mail server did not take it yet'}", None
    if notice.state in PENDING:
        return "Waiting to go out", None
    return _NOT_SENT.get(notice.state, notice.state), None


def history(notices: list[SentNotice], zone: ZoneInfo) -> tuple[NoticeLine, ...]:
    lines = []
    for notice in notices:
        words, delivered = outcome(notice, zone)
        lines.append(NoticeLine(notice.body, what(notice), day(notice.due_on), words, delivered))
    return tuple(lines)
