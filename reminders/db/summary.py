"""What the store holds, for `reminders show`: counts and the first holders with their credentials."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, func, select

from reminders.db.models import (
    CeuRecord,
    Credential,
    Holder,
    Membership,
    Organisation,
    Subscription,
    Team,
    TeamMember,
)

COUNTED = {
    "holders": Holder,
    "credentials": Credential,
    "memberships": Membership,
    "CEU records": CeuRecord,
    "organisations": Organisation,
    "teams": Team,
    "team members": TeamMember,
    "subscriptions": Subscription,
}


@dataclass(frozen=True)
class HolderLine:
    holder_id: str
    full_name: str
    email: str
    credentials: str
    ceus: Decimal
    records: int


def counts(connection: Connection) -> dict[str, int]:
    return {
        label: connection.execute(select(func.count()).select_from(model)).scalar_one()
        for label, model in COUNTED.items()
    }


def first_holders(connection: Connection, limit: int) -> list[HolderLine]:
    holders = select(Holder).order_by(Holder.holder_id).limit(limit).subquery()
    codes = (
        select(Credential.holder_pk, Credential.code)
        .join(holders, holders.c.id == Credential.holder_pk)
        .order_by(Credential.code)
    )
    by_holder: dict[int, list[str]] = {}
    for pk, code in connection.execute(codes):
        by_holder.setdefault(pk, []).append(code)
    ceus = (
        select(
            CeuRecord.holder_pk,
            func.sum(CeuRecord.hours),
            func.count(),
        )
        .join(holders, holders.c.id == CeuRecord.holder_pk)
        .group_by(CeuRecord.holder_pk)
    )
    totals = {pk: (hours, number) for pk, hours, number in connection.execute(ceus)}
    lines = []
    for row in connection.execute(select(holders).order_by(holders.c.holder_id)):
        hours, number = totals.get(row.id, (Decimal(0), 0))
        lines.append(
            HolderLine(
                holder_id=row.holder_id,
                full_name=row.full_name,
                email=row.email,
                credentials=", ".join(by_holder.get(row.id, [])),
                ceus=hours,
                records=int(number),
            )
        )
    return lines
