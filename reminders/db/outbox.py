"""The outbox: notices recorded under their unique key, in the same transaction as the message
that will carry them; claims with a lease; outcomes recorded on the rows.

Message states: queued -> sending -> sent, or retry (next attempt later), failed (for good),
expired (its notices went stale before they could go out), cancelled (no longer true when
re-checked just before sending). Notices share their message's state, or are `skipped`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Update,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from reminders.db.models import (
    MessageCopy,
    MessageRecord,
    NoticeRecord,
    SignInMailRecord,
    Suppression,
)

PENDING = ("queued", "retry")


def cancel_messages(
    connection: Connection, messages: Sequence[int], now: datetime, reason: str
) -> None:
    """Cancel the messages among these that no sender has taken."""
    connection.execute(
        update(MessageRecord)
        .where(MessageRecord.id.in_(messages), MessageRecord.state.in_(PENDING))
        .values(state="cancelled", lease_until=None, finished_at=now, reason=reason)
    )


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    holder_pk: int | None
    """None for a digest."""
    to_address: str
    attempts: int


def claim(
    connection: Connection, now: datetime, lease: timedelta, limit: int, token: str
) -> list[Claimed]:
    """Take up to `limit` messages that are due, for `lease`, under `token` (one per claim); a
    lease that ran out (its worker died) makes the message claimable again. PostgreSQL skips
    rows another worker has locked."""
    m = MessageRecord
    ready = or_(m.next_attempt_at.is_(None), m.next_attempt_at <= now)
    # Written as ranges of the index on (state, next_attempt_at), and with no ORDER BY, so that
    # a claim reads the due messages it takes and stops: not those deferred to later (the send
    # window, the daily cap), and without sorting the queue by id. That sort made each claim
    # read the whole queue: 27 ms with 100,000 queued, quadratic over a pass.
    due = or_(
        and_(m.state.in_(PENDING), m.next_attempt_at.is_(None)),
        and_(m.state.in_(PENDING), m.next_attempt_at <= now),
        and_(m.state == "sending", m.lease_until < now, ready),
    )
    candidates = select(m.id).where(due).limit(limit)
    if connection.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(connection.execute(candidates).scalars())
    if not ids:
        return []
    # The condition again: on SQLite this conditional UPDATE is the claim itself.
    claimed = connection.execute(
        update(MessageRecord)
        .where(MessageRecord.id.in_(ids), due)
        .values(state="sending", lease_until=now + lease, claim_token=token)
        .returning(
            MessageRecord.id,
            MessageRecord.holder_pk,
            MessageRecord.to_address,
            MessageRecord.attempts,
        )
    ).all()
    return sorted((Claimed(*row) for row in claimed), key=lambda c: c.id)


@dataclass(frozen=True, slots=True)
class StoredNotice:
    id: int
    key: str
    body: str
    kind: str
    rung: str
    cycle_end: date
    due_on: date
    expires_on: date
    state: str


_NOTICE_COLUMNS = (
    NoticeRecord.id, NoticeRecord.key, NoticeRecord.body, NoticeRecord.kind, NoticeRecord.rung,
    NoticeRecord.cycle_end, NoticeRecord.due_on, NoticeRecord.expires_on, NoticeRecord.state,
)  # fmt: skip


def _notice(row: Any) -> StoredNotice:
    return StoredNotice(
        row.id, row.key, row.body, row.kind, row.rung, row.cycle_end, row.due_on,
        row.expires_on, row.state,
    )  # fmt: skip


def notices_of(connection: Connection, messages: Sequence[int]) -> dict[int, list[StoredNotice]]:
    """Each message's notices, for a batch of messages in one query."""
    query = (
        select(NoticeRecord.message_pk, *_NOTICE_COLUMNS)
        .where(NoticeRecord.message_pk.in_(messages))
        .order_by(NoticeRecord.id)
    )
    found: dict[int, list[StoredNotice]] = {message: [] for message in messages}
    for row in connection.execute(query):
        found[row.message_pk].append(_notice(row))
    return found


def finish(
    connection: Connection,
    message: int | Sequence[int],
    state: str,
    now: datetime,
    *,
    error: str | None = None,
    next_attempt: datetime | None = None,
    notices: Iterable[tuple[int, str]] = (),
    charged: bool = True,
    token: str | None = None,
    reason: str | None = None,
) -> list[int]:
    """Record one outcome on messages and on their notices still pending; `notices` gives
    some notices a state of their own (expired, cancelled). `charged`: a try that counts
    toward the message's attempts (a fault of the server's says nothing of the message).
    `token`: only where that claim still holds the message (a fencing token); the messages
    recorded are returned, the others belong to another claim now and are left alone.
    `reason`: why the service did not send it, for the mail log."""
    ids = [message] if isinstance(message, int) else list(message)
    attempted = charged and state in ("retry", "sent", "failed")
    statement = _finish_messages(
        state == "sent", attempted, next_attempt is not None, token is not None,
        state in FINAL, reason is not None,
    )  # fmt: skip
    values = {"ids": ids, "new_state": state, "error": error, "at": now, "retry_at": next_attempt,
              "reason": reason}  # fmt: skip
    if token is not None:
        values["token"] = token
        ids = list(connection.execute(statement, values).scalars())
        if not ids:
            return []
    else:
        connection.execute(statement, values)
    by_state: dict[str, list[int]] = {}
    for notice, notice_state in notices:
        by_state.setdefault(notice_state, []).append(notice)
    for notice_state, notice_ids in by_state.items():
        connection.execute(
            _NOTICES_BY_ID, {"ids": notice_ids, "new_state": notice_state, "at": now}
        )
    connection.execute(_NOTICES_OF_MESSAGES, {"ids": ids, "new_state": state, "at": now})
    return ids


def renew(connection: Connection, ids: Sequence[int], token: str, until: datetime) -> set[int]:
    """Extend the claim `token` holds on these messages to `until`; the ones it still held."""
    held = connection.execute(
        update(MessageRecord)
        .where(
            MessageRecord.id.in_(ids),
            MessageRecord.claim_token == token,
            MessageRecord.state == "sending",
        )
        .values(lease_until=until)
        .returning(MessageRecord.id)
    )
    return set(held.scalars())


def release(connection: Connection, token: str, now: datetime) -> int:
    """Give back what a claim still holds, untried, for any sender to take at once (a pass
    that stopped half-way); how many."""
    released = connection.execute(
        update(MessageRecord)
        .where(MessageRecord.claim_token == token, MessageRecord.state == "sending")
        .values(state="retry", lease_until=None, next_attempt_at=now)
    )
    return int(released.rowcount or 0)


# The outcome statements are built once: building and caching a fresh UPDATE for every outcome
# cost SQLAlchemy about 0.4 ms, ten times the database's own work, on delivery's hot path.


@functools.cache
def _finish_messages(
    sent: bool, attempted: bool, retried: bool, fenced: bool, final: bool, reasoned: bool
) -> Update:
    m = MessageRecord.__table__.c
    values: dict[str, Any] = {
        "state": bindparam("new_state"),
        "lease_until": None,
        "last_error": bindparam("error", type_=m.last_error.type),
    }
    if sent:
        values["sent_at"] = bindparam("at", type_=m.sent_at.type)
    if final:
        values["finished_at"] = bindparam("at", type_=m.finished_at.type)
    if reasoned:
        values["reason"] = bindparam("reason", type_=m.reason.type)
    if attempted:
        values["attempts"] = m.attempts + 1
    if retried:
        values["next_attempt_at"] = bindparam("retry_at", type_=m.next_attempt_at.type)
    statement = update(MessageRecord).where(m.id.in_(bindparam("ids", expanding=True)))
    if fenced:
        statement = statement.where(m.claim_token == bindparam("token")).returning(m.id)
    return statement.values(values)


_n = NoticeRecord.__table__.c
_NOTICES_BY_ID = (
    update(NoticeRecord)
    .where(_n.id.in_(bindparam("ids", expanding=True)))
    .values(state=bindparam("new_state"), updated_at=bindparam("at", type_=_n.updated_at.type))
)
_NOTICES_OF_MESSAGES = (
    update(NoticeRecord)
    .where(_n.message_pk.in_(bindparam("ids", expanding=True)), _n.state.in_((*PENDING, "sending")))
    .values(state=bindparam("new_state"), updated_at=bindparam("at", type_=_n.updated_at.type))
)


def sent_since(connection: Connection, addresses: Sequence[str], since: datetime) -> dict[str, int]:
    """How many messages went to each address since a moment (for the daily cap). Sign-in
    mails do not count: their reader asked for them, and a lead who signed in twice must not
    miss a reminder for it."""
    sign_in = select(SignInMailRecord.message_pk).where(
        SignInMailRecord.message_pk == MessageRecord.id
    )
    query = (
        select(MessageRecord.to_address, func.count())
        .where(MessageRecord.to_address.in_(addresses), MessageRecord.sent_at >= since)
        .where(~sign_in.exists())
        .group_by(MessageRecord.to_address)
    )
    return {address: int(number) for address, number in connection.execute(query)}


def suppressed(connection: Connection, addresses: Sequence[str]) -> dict[str, str]:
    """The addresses among these that are suppressed, with the reason."""
    query = select(Suppression.email, Suppression.reason).where(Suppression.email.in_(addresses))
    return {email: reason for email, reason in connection.execute(query)}


def suppress(
    connection: Connection, address: str, reason: str, now: datetime, kind: str = "refused"
) -> None:
    """Suppress the address (models.Suppression says the kinds). A complaint replaces a
    suppression of another kind: it is the one an import that changes the holder does not lift."""
    current = connection.execute(
        select(Suppression.kind).where(Suppression.email == address)
    ).scalar_one_or_none()
    if current is None:
        values = {"email": address, "kind": kind, "reason": reason[:500], "created_at": now}
        connection.execute(insert(Suppression).values(**values))
    elif kind == "complaint" and current != "complaint":
        connection.execute(
            update(Suppression)
            .where(Suppression.email == address)
            .values(kind=kind, reason=reason[:500], created_at=now)
        )


def pending_of(
    connection: Connection, holder_pks: Sequence[int]
) -> dict[int, list[tuple[int, StoredNotice]]]:
    """For each holder, its notices still waiting to go out, with their message's id."""
    query = (
        select(NoticeRecord.holder_pk, NoticeRecord.message_pk, *_NOTICE_COLUMNS)
        .where(NoticeRecord.holder_pk.in_(holder_pks), NoticeRecord.state.in_(PENDING))
        .order_by(NoticeRecord.id)
    )
    found: dict[int, list[tuple[int, StoredNotice]]] = {pk: [] for pk in holder_pks}
    for row in connection.execute(query):
        found[row.holder_pk].append((row.message_pk, _notice(row)))
    return found


def cancel(
    connection: Connection,
    notices: Sequence[int],
    now: datetime,
    reason: str = "the records changed before it went: it no longer applied",
) -> None:
    """Cancel notices; a queued message left with none to carry is cancelled too."""
    if not notices:
        return
    connection.execute(
        update(NoticeRecord)
        .where(NoticeRecord.id.in_(notices))
        .values(state="cancelled", updated_at=now)
    )
    live = select(NoticeRecord.message_pk).where(
        NoticeRecord.message_pk == MessageRecord.id, NoticeRecord.state.in_(PENDING)
    )
    affected = select(NoticeRecord.message_pk).where(NoticeRecord.id.in_(notices))
    connection.execute(
        update(MessageRecord)
        .where(MessageRecord.id.in_(affected), MessageRecord.state.in_(PENDING), ~live.exists())
        .values(state="cancelled", lease_until=None, finished_at=now, reason=reason)
    )


FINAL = ("sent", "failed", "expired", "cancelled")


def prune(connection: Connection, before: datetime) -> int:
    old = select(MessageRecord.id).where(
        MessageRecord.state.in_(FINAL), MessageRecord.created_at < before
    )
    ids = list(connection.execute(old).scalars())
    for start in range(0, len(ids), 1_000):
        chunk = ids[start : start + 1_000]
        connection.execute(
            update(NoticeRecord).where(NoticeRecord.message_pk.in_(chunk)).values(message_pk=None)
        )
        connection.execute(delete(MessageCopy).where(MessageCopy.message_pk.in_(chunk)))
        connection.execute(delete(MessageRecord).where(MessageRecord.id.in_(chunk)))
    return len(ids)


def oldest_waiting(connection: Connection) -> datetime | None:
    """When the oldest message still to go out was queued (the send lag)."""
    query = select(func.min(MessageRecord.created_at)).where(MessageRecord.state.in_(PENDING))
    value = connection.execute(query).scalar_one_or_none()
    return None if value is None else value.replace(tzinfo=UTC)


def pending(connection: Connection) -> int:
    """Messages that still have to go out (queued, retrying, or being sent)."""
    query = select(func.count()).where(MessageRecord.state.in_((*PENDING, "sending")))
    return int(connection.execute(query).scalar_one())


def keep_copies(connection: Connection, copies: Sequence[tuple[int, bytes]]) -> None:
    """What sent messages said (Envelope.copy), for the mail log; in one statement."""
    if copies:
        connection.execute(
            insert(MessageCopy), [{"message_pk": m, "compressed": c} for m, c in copies]
        )
