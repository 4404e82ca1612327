"""Reads holders and their facts in batches: a few queries per thousand holders, in holder_id
order, so that a scan of every holder runs in bounded memory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Integer, select, type_coerce

from reminders.db.models import CeuRecord, Credential, Holder, Membership
from reminders.rules.facts import CeuFact, CredentialFact, HolderFacts, MembershipFact

BATCH = 1_000


@dataclass(frozen=True, slots=True)
class StoredHolder:
    """A holder as stored: the row id, how to reach them, and the facts the rules evaluate."""

    pk: int
    full_name: str
    email: str
    timezone: str | None
    facts: HolderFacts


class _Codes:
    """`;`-joined code lists as frozensets, each distinct list parsed once."""

    def __init__(self) -> None:
        self._seen: dict[str, frozenset[str]] = {}

    def __call__(self, joined: str) -> frozenset[str]:
        found = self._seen.get(joined)
        if found is None:
            found = frozenset(code for code in joined.split(";") if code)
            self._seen[joined] = found
        return found


def stored_holders(
    connection: Connection, holder_id: str | None = None, batch: int = BATCH
) -> Iterator[list[StoredHolder]]:
    """Every holder (or one), in holder_id order, a batch at a time."""
    codes = _Codes()
    last = ""
    columns = (Holder.id, Holder.holder_id, Holder.full_name, Holder.email, Holder.timezone)
    while True:
        query = select(*columns).order_by(Holder.holder_id).limit(batch)
        if holder_id is not None:
            query = query.where(Holder.holder_id == holder_id)
        else:
            query = query.where(Holder.holder_id > last)
        holders = connection.execute(query).all()
        if not holders:
            return
        yield list(_load(connection, [tuple(row) for row in holders], codes))
        if holder_id is not None or len(holders) < batch:
            return
        last = holders[-1][1]


def holders_by_pk(connection: Connection, pks: list[int]) -> dict[int, StoredHolder]:
    columns = (Holder.id, Holder.holder_id, Holder.full_name, Holder.email, Holder.timezone)
    rows = connection.execute(select(*columns).where(Holder.id.in_(pks))).all()
    return {holder.pk: holder for holder in _load(connection, [tuple(r) for r in rows], _Codes())}


def _load(
    connection: Connection, holders: list[tuple[Any, ...]], codes: _Codes
) -> Iterator[StoredHolder]:
    pks = [row[0] for row in holders]
    credentials: dict[int, list[CredentialFact]] = {}
    query = select(Credential.holder_pk, Credential.code, Credential.earned_on)
    for pk, code, earned_on in connection.execute(query.where(Credential.holder_pk.in_(pks))):
        credentials.setdefault(pk, []).append(CredentialFact(code, earned_on))
    memberships: dict[int, dict[str, MembershipFact]] = {}
    required = type_coerce(Membership.required_ceus, Integer)
    query_m = select(
        Membership.holder_pk, Membership.body, Membership.renews_on, Membership.cycle_ends_on,
        required,
    ).where(Membership.holder_pk.in_(pks))  # fmt: skip
    for pk, body, renews_on, ends_on, cents in connection.execute(query_m):
        memberships.setdefault(pk, {})[body] = MembershipFact(renews_on, ends_on, cents)
    ceus: dict[int, list[CeuFact]] = {}
    query_c = select(
        CeuRecord.holder_pk, CeuRecord.completed_on, type_coerce(CeuRecord.hours, Integer),
        CeuRecord.title, CeuRecord.bodies, CeuRecord.categories, CeuRecord.provider,
        CeuRecord.index_number,
    ).where(CeuRecord.holder_pk.in_(pks))  # fmt: skip
    for pk, completed_on, cents, title, bodies, categories, provider, index in connection.execute(
        query_c
    ):
        fact = CeuFact(
            completed_on, cents, title, codes(bodies), codes(categories), provider, index
        )
        ceus.setdefault(pk, []).append(fact)
    for pk, ref, full_name, email, timezone in holders:
        facts = HolderFacts(
            holder_id=ref,
            credentials=tuple(credentials.get(pk, ())),
            memberships=memberships.get(pk, {}),
            ceus=tuple(ceus.get(pk, ())),
        )
        yield StoredHolder(pk, full_name, email, timezone, facts)
