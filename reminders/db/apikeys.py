"""Organisations' API keys. A key is shown once, when it is made; only its SHA-256 is kept
(a key has 256 random bits, so a plain hash is as good as a slow one here, and lets every
request be checked with one indexed lookup)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from reminders.db.models import ApiKey, Organisation

PREFIX = "rk_"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def ensure_org(connection: Connection, name: str) -> tuple[int, bool]:
    """The organisation of this name, made if missing; its id, and whether it is new."""
    found = connection.execute(
        select(Organisation.id).where(Organisation.name == name)
    ).scalar_one_or_none()
    if found is not None:
        return found, False
    made = connection.execute(
        insert(Organisation).values(name=name).returning(Organisation.id)
    ).scalar_one()
    return int(made), True


def create(connection: Connection, org_pk: int, now: datetime) -> tuple[int, str]:
    """A new key for the organisation: its id and the key itself (never stored)."""
    key = PREFIX + secrets.token_urlsafe(32)
    made = connection.execute(
        insert(ApiKey)
        .values(org_pk=org_pk, prefix=key[:10], digest=_digest(key), created_at=now)
        .returning(ApiKey.id)
    ).scalar_one()
    return int(made), key


@dataclass(frozen=True, slots=True)
class KeyLine:
    id: int
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


def listed(connection: Connection, org_pk: int) -> list[KeyLine]:
    query = (
        select(ApiKey.id, ApiKey.prefix, ApiKey.created_at, ApiKey.revoked_at)
        .where(ApiKey.org_pk == org_pk)
        .order_by(ApiKey.id)
    )
    return [KeyLine(*row) for row in connection.execute(query)]


def revoke(connection: Connection, org_pk: int, key_id: int, now: datetime) -> bool:
    """Revoke one of the organisation's keys; False if it has no such key still active."""
    result = connection.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.org_pk == org_pk, ApiKey.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(result.rowcount)


def organisation_of(connection: Connection, key: str) -> int | None:
    """The organisation an active key belongs to, or None."""
    if not key.startswith(PREFIX):
        return None
    query = select(ApiKey.org_pk).where(ApiKey.digest == _digest(key), ApiKey.revoked_at.is_(None))
    return connection.execute(query).scalar_one_or_none()
