"""The operators' side of the store: their sign-in tokens for /admin, and the record of each
scan with the holders it left out (shown on /admin).

A token is shown once, when it is made; only its SHA-256 is kept (it carries 256 random bits,
so a plain hash is as good as a slow one, and a sign-in is one indexed lookup)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from reminders.db.models import AdminToken, Holder, Organisation, ScanRun

PREFIX = "ra_"
DETAIL_HOLDERS = 50
"""Holders left out whose ids and errors a scan run keeps (the count is kept whole)."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor(token_id: int) -> str:
    """How a session signed in by a token names its operator (sessions, the audit log)."""
    return f"token:{token_id}"


def create_token(connection: Connection, label: str, now: datetime) -> tuple[int, str]:
    """A new operator token: its id and the token itself (never stored)."""
    token = PREFIX + secrets.token_urlsafe(32)
    made = connection.execute(
        insert(AdminToken)
        .values(prefix=token[:10], digest=_digest(token), label=label[:200], created_at=now)
        .returning(AdminToken.id)
    ).scalar_one()
    return int(made), token


@dataclass(frozen=True, slots=True)
class TokenLine:
    id: int
    prefix: str
    label: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def shown(self) -> str:
        """The operator, as pages and the audit log name them."""
        return f"{self.label} (token {self.id})"


def tokens(connection: Connection) -> list[TokenLine]:
    t = AdminToken
    query = select(t.id, t.prefix, t.label, t.created_at, t.revoked_at).order_by(t.id)
    return [TokenLine(*row) for row in connection.execute(query)]


def revoke_token(connection: Connection, token_id: int, now: datetime) -> bool:
    """Revoke a token; False if there is no such token still active."""
    t = AdminToken
    result = connection.execute(
        update(t).where(t.id == token_id, t.revoked_at.is_(None)).values(revoked_at=now)
    )
    return bool(result.rowcount)


def token_id(connection: Connection, token: str) -> int | None:
    """The id of an active token, or None (wrong, revoked, or not a token at all)."""
    if not token.startswith(PREFIX):
        return None
    t = AdminToken
    query = select(t.id).where(t.digest == _digest(token), t.revoked_at.is_(None))
    return connection.execute(query).scalar_one_or_none()


def active(connection: Connection, token_id: int) -> TokenLine | None:
    """The token of this id, unless it was revoked."""
    t = AdminToken
    query = select(t.id, t.prefix, t.label, t.created_at, t.revoked_at).where(
        t.id == token_id, t.revoked_at.is_(None)
    )
    row = connection.execute(query).first()
    return None if row is None else TokenLine(*row)


@dataclass(frozen=True, slots=True)
class Run:
    source: str
    """daemon, send or changes."""
    as_of: date
    started_at: datetime
    finished_at: datetime
    holders: int
    queued: int
    left_out: int
    detail: tuple[tuple[str, str], ...] = ()
    """(holder_id, error) of the first holders left out."""


def record_run(
    connection: Connection,
    source: str,
    as_of: date,
    started: datetime,
    finished: datetime,
    holders: int,
    queued: int,
    failed: Sequence[tuple[str, str]],
) -> None:
    kept = "\n".join(
        f"{holder_id}: {' '.join(error.split())}"[:300]
        for holder_id, error in failed[:DETAIL_HOLDERS]
    )
    connection.execute(
        insert(ScanRun).values(
            source=source, as_of=as_of, started_at=started, finished_at=finished,
            holders=holders, queued=queued, left_out=len(failed), left_out_detail=kept,
        )
    )  # fmt: skip


def runs(connection: Connection, limit: int = 10, left_out_only: bool = False) -> list[Run]:
    """The newest runs first."""
    r = ScanRun
    query = select(
        r.source, r.as_of, r.started_at, r.finished_at, r.holders, r.queued, r.left_out,
        r.left_out_detail,
    ).order_by(r.started_at.desc(), r.id.desc())  # fmt: skip
    if left_out_only:
        query = query.where(r.left_out > 0)
    found = []
    for row in connection.execute(query.limit(limit)):
        lines = [line.partition(": ") for line in row.left_out_detail.splitlines()]
        found.append(
            Run(row.source, row.as_of, row.started_at, row.finished_at, row.holders, row.queued,
                row.left_out, tuple((who, why) for who, _, why in lines))
        )  # fmt: skip
    return found


def prune_runs(connection: Connection, before: datetime) -> int:
    """Runs started before `before` (the retention of the mail log)."""
    return connection.execute(delete(ScanRun).where(ScanRun.started_at < before)).rowcount


@dataclass(frozen=True, slots=True)
class Found:
    pk: int
    holder_id: str
    name: str
    email: str
    organisation: str | None
    """None for the operator's own roster (the CSV imports)."""


def find_holders(connection: Connection, wanted: str, limit: int = 50) -> list[Found]:
    """The holders an operator's search means: those of this address (whatever its case) if
    it has an @, else those of this holder id, in every organisation."""
    h, o = Holder, Organisation
    query = (
        select(h.id, h.holder_id, h.full_name, h.email, o.name)
        .outerjoin(o, o.id == h.org_pk)
        .order_by(h.holder_id, h.id)
        .limit(limit)
    )
    wanted = wanted.strip()
    if "@" in wanted:
        query = query.where(func.lower(h.email) == wanted.lower())
    else:
        query = query.where(h.holder_id == wanted)
    return [Found(*row) for row in connection.execute(query)]
