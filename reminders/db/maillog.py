"""The mail log: what the outbox did with every message, for whom and why (`reminders mail log`,
`mail show`, `outbox`), and the suppression list with its audit (`reminders suppression`).

Read-only but for lifting a suppression, which is written to the audit log with who and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Connection, and_, case, delete, func, insert, or_, select
from sqlalchemy.orm import aliased

from reminders.db.models import (
    AlertItem,
    AlertRecord,
    AuditEntry,
    DigestRecord,
    Holder,
    LeadCopy,
    MessageCopy,
    MessageRecord,
    NoticeRecord,
    Organisation,
    SignInMailRecord,
    Subscription,
    Suppression,
    Team,
)

STATES = ("queued", "sending", "sent", "retrying", "failed", "cancelled", "expired")
"""As the command line names them; the outbox says `retry` for retrying."""
WAITING = ("queued", "retry")
KINDS = ("notice", "lead copy", "digest", "alert")


def _stored(state: str) -> str:
    return "retry" if state == "retrying" else state


def _shown(state: str) -> str:
    return "retrying" if state == "retry" else state


@dataclass(frozen=True, slots=True)
class CarriedNotice:
    body: str
    kind: str
    rung: str
    cycle_end: date
    state: str


@dataclass
class Logged:
    """One message as the log shows it."""

    id: int
    to: str
    state: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    finished_at: datetime | None
    next_attempt_at: datetime | None
    last_error: str | None
    reason: str | None
    holder_pk: int | None
    kind: str = "notice"
    """notice, digest, alert, lead copy or sign-in."""
    holder_id: str | None = None
    name: str | None = None
    about: str = ""
    """What it carries, in a few words: the notices, the digest's scope and period, …"""
    notices: list[CarriedNotice] = field(default_factory=list)


def messages(
    connection: Connection,
    holder_id: str | None = None,
    to: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
    ids: Sequence[int] | None = None,
    holder_pk: int | None = None,
) -> list[Logged]:
    """The newest messages first, filtered; each with what it carries. `holder_id` is the id
    the import files give (organisations may share one); `holder_pk` one holder's row id."""
    m = MessageRecord
    query = select(
        m.id, m.to_address, m.state, m.attempts, m.created_at, m.sent_at, m.finished_at,
        m.next_attempt_at, m.last_error, m.reason, m.holder_pk,
    ).order_by(m.created_at.desc(), m.id.desc())  # fmt: skip
    if ids is not None:
        query = query.where(m.id.in_(ids))
    if holder_id is not None or holder_pk is not None:
        holders = select(Holder.id)
        if holder_id is not None:
            holders = holders.where(Holder.holder_id == holder_id)
        if holder_pk is not None:
            holders = holders.where(Holder.id == holder_pk)
        originals = select(m.id).where(m.holder_pk.in_(holders))
        copies = select(LeadCopy.message_pk).where(LeadCopy.original_pk.in_(originals))
        query = query.where(or_(m.holder_pk.in_(holders), m.id.in_(copies)))
    if to is not None:
        query = query.where(func.lower(m.to_address) == to.strip().lower())
    if status is not None:
        query = query.where(m.state == _stored(status))
    if since is not None:
        query = query.where(m.created_at >= since)
    found = [Logged(*row) for row in connection.execute(query.limit(limit))]
    for item in found:
        item.state = _shown(item.state)
    _describe(connection, found)
    return found


def _describe(connection: Connection, found: list[Logged]) -> None:
    by_id = {item.id: item for item in found}
    if not by_id:
        return
    ids = list(by_id)
    holders = {item.holder_pk for item in found if item.holder_pk is not None}
    people = {
        pk: (holder_id, name)
        for pk, holder_id, name in connection.execute(
            select(Holder.id, Holder.holder_id, Holder.full_name).where(Holder.id.in_(holders))
        )
    }
    for item in found:
        if item.holder_pk in people:
            item.holder_id, item.name = people[item.holder_pk]
    n = NoticeRecord
    notices = select(n.message_pk, n.body, n.kind, n.rung, n.cycle_end, n.state).where(
        n.message_pk.in_(ids)
    )
    for row in connection.execute(notices.order_by(n.id)):
        _of(by_id, row.message_pk).notices.append(
            CarriedNotice(row.body, row.kind, row.rung, row.cycle_end, row.state)
        )
    for item in found:
        if item.notices:
            item.about = ", ".join(
                f"{c.body} {c.kind} {c.rung} (cycle {c.cycle_end})" for c in item.notices
            )
    _employers(connection, by_id)
    _copies(connection, by_id)
    _sign_ins(connection, by_id)


def _of(by_id: dict[int, Logged], message: int | None) -> Logged:
    """The message a row is about (the query asked for these messages only)."""
    assert message is not None
    return by_id[message]


def _scope(org: str, team: str | None) -> str:
    return org if team is None else f"{org}, {team}"


def _employers(connection: Connection, by_id: dict[int, Logged]) -> None:
    s, o, t = Subscription, Organisation, Team
    digests = (
        select(DigestRecord.message_pk, o.name, t.name, s.frequency, DigestRecord.period)
        .join(s, s.id == DigestRecord.subscription_pk)
        .join(o, o.id == s.org_pk)
        .outerjoin(t, t.id == s.team_pk)
        .where(DigestRecord.message_pk.in_(list(by_id)))
    )
    for message, org, team, frequency, period in connection.execute(digests):
        item = _of(by_id, message)
        item.kind, item.about = "digest", f"{frequency} digest of {_scope(org, team)}, {period}"
    told = (
        select(AlertItem.alert_pk, func.count())
        .where(AlertItem.dropped.is_(False))
        .group_by(AlertItem.alert_pk)
        .subquery()
    )
    alerts = (
        select(AlertRecord.message_pk, o.name, t.name, s.alerts, told.c[1])
        .join(s, s.id == AlertRecord.subscription_pk)
        .join(o, o.id == s.org_pk)
        .outerjoin(t, t.id == s.team_pk)
        .outerjoin(told, told.c.alert_pk == AlertRecord.id)
        .where(AlertRecord.message_pk.in_(list(by_id)))
    )
    for message, org, team, mode, events in connection.execute(alerts):
        item = _of(by_id, message)
        item.kind = "alert"
        item.about = f"{mode} alert of {_scope(org, team)}, {events or 0} event(s)"


def _copies(connection: Connection, by_id: dict[int, Logged]) -> None:
    original = aliased(MessageRecord)
    copies = (
        select(
            LeadCopy.message_pk, LeadCopy.original_pk, Team.name, Holder.holder_id, Holder.full_name
        )
        .join(Team, Team.id == LeadCopy.team_pk)
        .outerjoin(original, original.id == LeadCopy.original_pk)
        .outerjoin(Holder, Holder.id == original.holder_pk)
        .where(LeadCopy.message_pk.in_(list(by_id)))
    )
    for message, source, team, holder_id, name in connection.execute(copies):
        item = by_id[message]
        item.kind, item.holder_id, item.name = "lead copy", holder_id, name
        item.about = f"copy of message {source} for a lead of {team}"


SIGN_IN_PAGES = {"dashboard": "the team dashboard", "admin": "the operators' page"}


def _sign_ins(connection: Connection, by_id: dict[int, Logged]) -> None:
    query = select(SignInMailRecord.message_pk, SignInMailRecord.page).where(
        SignInMailRecord.message_pk.in_(list(by_id))
    )
    for message, page in connection.execute(query):
        item = by_id[message]
        item.kind = "sign-in"
        item.about = f"a sign-in link to {SIGN_IN_PAGES.get(page, page)}"


def copy_of(connection: Connection, message: int) -> bytes | None:
    query = select(MessageCopy.compressed).where(MessageCopy.message_pk == message)
    return connection.execute(query).scalar()


@dataclass(frozen=True, slots=True)
class OutboxState:
    counts: dict[str, int]
    oldest_waiting: datetime | None
    """When the message waiting longest (queued or to retry) was queued."""
    next_attempt: datetime | None


def outbox_state(connection: Connection) -> OutboxState:
    m = MessageRecord
    counted = dict.fromkeys(STATES, 0)
    for state, number in connection.execute(select(m.state, func.count()).group_by(m.state)):
        counted[_shown(state)] = int(number)
    waiting = select(func.min(m.created_at), func.min(m.next_attempt_at)).where(
        m.state.in_(WAITING)
    )
    oldest, next_attempt = connection.execute(waiting).one()
    return OutboxState(counted, oldest, next_attempt)


def due_unsent(connection: Connection, now: datetime) -> dict[str, int]:
    """Messages whose time has come (queued, or a retry whose hour is past) and that are not
    out yet, by kind: what a stuck sender leaves behind."""
    m = MessageRecord
    kind = case(
        (m.id.in_(select(LeadCopy.message_pk)), "lead copy"),
        (m.holder_pk.is_not(None), "notice"),
        (m.id.in_(select(AlertRecord.message_pk)), "alert"),
        else_="digest",
    )
    due = or_(m.state == "queued", and_(m.state == "retry", m.next_attempt_at <= now))
    query = select(kind, func.count()).where(due).group_by(kind)
    return {str(name): int(number) for name, number in connection.execute(query)}


@dataclass(frozen=True, slots=True)
class Suppressed:
    email: str
    kind: str
    reason: str
    created_at: datetime


def suppressions(connection: Connection, address: str | None = None) -> list[Suppressed]:
    s = Suppression
    query = select(s.email, s.kind, s.reason, s.created_at).order_by(s.created_at.desc())
    if address is not None:
        query = query.where(func.lower(s.email) == address.strip().lower())
    return [Suppressed(*row) for row in connection.execute(query)]


def lift(connection: Connection, address: str, actor: str, why: str, now: datetime) -> bool:
    """Lift a suppression, recorded in the audit log; False if the address was not suppressed."""
    found = suppressions(connection, address)
    if not found:
        return False
    connection.execute(delete(Suppression).where(Suppression.email.in_([f.email for f in found])))
    for entry in found:
        audit(connection, actor, "suppression.lift", entry.email,
              f"{why} (was {entry.kind}: {entry.reason})", now)  # fmt: skip
    return True


def audit(
    connection: Connection, actor: str, action: str, target: str, detail: str, now: datetime
) -> None:
    connection.execute(
        insert(AuditEntry).values(
            at=now, actor=actor[:200], action=action, target=target[:300], detail=detail[:500]
        )
    )


@dataclass(frozen=True, slots=True)
class Audited:
    at: datetime
    actor: str
    action: str
    target: str
    detail: str


def audit_log(connection: Connection, limit: int = 50) -> list[Audited]:
    a = AuditEntry
    query = select(a.at, a.actor, a.action, a.target, a.detail).order_by(a.at.desc(), a.id.desc())
    return [Audited(*row) for row in connection.execute(query.limit(limit))]
