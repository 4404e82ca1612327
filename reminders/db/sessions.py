"""The store side of browser sign-in (web/sessions.py): sessions kept by the SHA-256 of their
cookie, and the mailed sign-in links already used, so that each link signs in once.

A session's cookie and a link's nonce carry 256 random bits: a plain hash is as good as a slow
one here, and lets every request be checked with one lookup by primary key."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from reminders.db.engine import conflict_insert
from reminders.db.models import UsedSignInLink, WebSession


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Session:
    kind: str
    email: str
    csrf: str
    expires_at: datetime


def use_link(
    connection: Connection, nonce: str, kind: str, email: str, now: datetime, expires: datetime
) -> bool:
    """Record that the link of this nonce was used; False if it was used before."""
    table = UsedSignInLink.__table__
    row = {"digest": digest(nonce), "kind": kind, "email": email, "used_at": now,
           "expires_at": expires}  # fmt: skip
    # Counted by what RETURNING gives: psycopg reports no rowcount for ON CONFLICT DO NOTHING.
    query = (
        conflict_insert(connection, table)
        .values(row)
        .on_conflict_do_nothing()
        .returning(table.c.digest)
    )
    return connection.execute(query).first() is not None


def create(
    connection: Connection,
    cookie: str,
    kind: str,
    email: str,
    csrf: str,
    now: datetime,
    expires: datetime,
) -> None:
    connection.execute(
        insert(WebSession).values(
            digest=digest(cookie), kind=kind, email=email, csrf=csrf, created_at=now,
            expires_at=expires,
        )
    )  # fmt: skip


def find(connection: Connection, cookie: str, kind: str, now: datetime) -> Session | None:
    """The session of this cookie, unless it expired or is of another kind."""
    s = WebSession
    query = select(s.kind, s.email, s.csrf, s.expires_at).where(
        s.digest == digest(cookie), s.kind == kind, s.expires_at > now
    )
    row = connection.execute(query).first()
    return None if row is None else Session(*row)


def end(connection: Connection, cookie: str) -> None:
    connection.execute(delete(WebSession).where(WebSession.digest == digest(cookie)))


def end_all(connection: Connection, kind: str, email: str) -> int:
    """Sign an address out everywhere (its subscriptions are gone, say)."""
    s = WebSession
    return connection.execute(delete(s).where(s.kind == kind, s.email == email)).rowcount


def prune(connection: Connection, now: datetime) -> None:
    """Expired sessions, and used links past the time they would have expired anyway."""
    connection.execute(delete(WebSession).where(WebSession.expires_at <= now))
    connection.execute(delete(UsedSignInLink).where(UsedSignInLink.expires_at <= now))
