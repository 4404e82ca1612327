"""What an organisation may see: the holders in its teams, and their rows. Every API read and
write goes through here, so nothing of another organisation is ever in reach."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, Connection, Select, and_, delete, exists, or_, select, text
from sqlalchemy.orm import InstrumentedAttribute

from reminders.db.models import CeuRecord, Credential, Holder, Membership, Team, TeamMember

OrgRef = int | InstrumentedAttribute[int]
"""An organisation's row id, or the column that holds it (a count per organisation)."""


def members_of(org_pk: OrgRef) -> Select[int]:
    """The row ids of the holders in any of the organisation's teams."""
    query = (
        select(TeamMember.holder_pk)
        .join(Team, Team.id == TeamMember.team_pk)
        .where(Team.org_pk == org_pk)
    )
    # A column: correlated with the query around, however deep this sits in it.
    return query if isinstance(org_pk, int) else query.correlate_except(TeamMember, Team)


def within(org_pk: OrgRef | None) -> ColumnElement[bool]:
    """The holders a write in this namespace may reach: with an organisation, those it owns and
    the operator's roster holders in its teams; without (the CSV imports), the roster."""
    roster = Holder.org_pk.is_(None)
    if org_pk is None:
        return roster
    return or_(Holder.org_pk == org_pk, and_(roster, Holder.id.in_(members_of(org_pk))))


def in_org(org_pk: int) -> Select[int]:
    """The row ids of every holder the organisation sees (owns, or has in its teams)."""
    return select(Holder.id).where(within(org_pk))


def seen_by(connection: Connection, org_pk: int, pks: Sequence[int]) -> set[int]:
    """Those of the holders (row ids) the organisation sees now."""
    query = select(Holder.id).where(Holder.id.in_(pks), within(org_pk))
    return set(connection.execute(query).scalars())


def holder(connection: Connection, org_pk: int, holder_id: str) -> int | None:
    """The row id of a holder in the organisation's scope, else None (as if it did not exist)."""
    query = select(Holder.id).where(Holder.holder_id == holder_id, within(org_pk))
    # Its own first: teams.csv refuses a roster holder of an id the organisation uses itself,
    # but a scope must never hold two answers to one id.
    query = query.order_by(Holder.org_pk.is_(None)).limit(1)
    return connection.execute(query).scalar()


def lock_holder_id(connection: Connection, org_pk: int, holder_id: str) -> None:
    """Until the transaction ends, no other transaction of the organisation creates this
    holder_id: two requests creating one holder at the same moment are served one after the
    other. On PostgreSQL a transaction-scoped advisory lock; SQLite's write transactions
    (BEGIN IMMEDIATE) are serialised already."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
            {"key": f"holder:{org_pk}:{holder_id}"},
        )


def shared(connection: Connection, org_pk: int, pks: Sequence[int]) -> set[int]:
    """Those of the holders (in the organisation's scope) the operator shares with another
    organisation: roster holders in another's teams too. Their records are the operator's to
    keep (the CSV imports); each organisation reads them but does not change them."""
    query = (
        select(TeamMember.holder_pk)
        .select_from(TeamMember)
        .join(Team, Team.id == TeamMember.team_pk)
        .join(Holder, Holder.id == TeamMember.holder_pk)
        .where(TeamMember.holder_pk.in_(pks), Team.org_pk != org_pk, Holder.org_pk.is_(None))
    )
    return set(connection.execute(query).scalars())


@dataclass(frozen=True, slots=True)
class HolderRow:
    pk: int
    holder_id: str
    full_name: str
    email: str
    timezone: str | None


def holders_page(
    connection: Connection, org_pk: int, team_pk: int | None, after: str, limit: int
) -> list[HolderRow]:
    """A page of the organisation's holders (or one team's), in holder_id order after a cursor."""
    in_scope = in_org(org_pk)
    if team_pk is not None:
        in_scope = select(TeamMember.holder_pk).where(TeamMember.team_pk == team_pk)
    query = (
        select(Holder.id, Holder.holder_id, Holder.full_name, Holder.email, Holder.timezone)
        .where(Holder.id.in_(in_scope), Holder.holder_id > after)
        .order_by(Holder.holder_id)
        .limit(limit)
    )
    return [HolderRow(*row) for row in connection.execute(query)]


def holder_rows(connection: Connection, pks: Sequence[int]) -> list[HolderRow]:
    query = select(Holder.id, Holder.holder_id, Holder.full_name, Holder.email, Holder.timezone)
    return [HolderRow(*row) for row in connection.execute(query.where(Holder.id.in_(pks)))]


def teams_of(connection: Connection, org_pk: int, pks: Sequence[int]) -> dict[int, list[str]]:
    """Each holder's teams in this organisation (never another's)."""
    query = (
        select(TeamMember.holder_pk, Team.name)
        .join(Team, Team.id == TeamMember.team_pk)
        .where(Team.org_pk == org_pk, TeamMember.holder_pk.in_(pks))
        .order_by(Team.name)
    )
    found: dict[int, list[str]] = {pk: [] for pk in pks}
    for pk, name in connection.execute(query):
        found[pk].append(name)
    return found


def leave_org(connection: Connection, org_pk: int, holder_pk: int) -> bool:
    """Take a holder out of the organisation: one it owns is deleted with their data; a roster
    holder leaves its teams, and is deleted once in no team anywhere. True if deleted."""
    owned = select(Holder.id).where(Holder.id == holder_pk, Holder.org_pk == org_pk)
    if connection.execute(owned).first() is not None:
        connection.execute(delete(Holder).where(Holder.id == holder_pk))
        return True
    teams = select(Team.id).where(Team.org_pk == org_pk)
    connection.execute(
        delete(TeamMember).where(TeamMember.holder_pk == holder_pk, TeamMember.team_pk.in_(teams))
    )
    still = connection.execute(select(exists().where(TeamMember.holder_pk == holder_pk))).scalar()
    if still:
        return False
    connection.execute(delete(Holder).where(Holder.id == holder_pk))
    return True


def credentials(connection: Connection, holder_pk: int) -> list[tuple[str, str, date]]:
    query = (
        select(Credential.code, Credential.body, Credential.earned_on)
        .where(Credential.holder_pk == holder_pk)
        .order_by(Credential.code)
    )
    return [(code, body, earned) for code, body, earned in connection.execute(query)]


def memberships(
    connection: Connection, holder_pk: int
) -> list[tuple[str, str | None, date | None, date | None, Decimal | None]]:
    m = Membership
    query = (
        select(m.body, m.member_id, m.renews_on, m.cycle_ends_on, m.required_ceus)
        .where(m.holder_pk == holder_pk)
        .order_by(m.body)
    )
    return [tuple(row) for row in connection.execute(query)]  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class CeuRow:
    id: int
    holder_id: str
    completed_on: date
    hours: Decimal
    title: str
    provider: str | None
    index_number: str | None
    bodies: str
    categories: str


_CEU_COLUMNS = (
    CeuRecord.id, Holder.holder_id, CeuRecord.completed_on, CeuRecord.hours, CeuRecord.title,
    CeuRecord.provider, CeuRecord.index_number, CeuRecord.bodies, CeuRecord.categories,
)  # fmt: skip


def ceus_page(connection: Connection, holder_pk: int, after: int, limit: int) -> list[CeuRow]:
    query = (
        select(*_CEU_COLUMNS)
        .join(Holder, Holder.id == CeuRecord.holder_pk)
        .where(CeuRecord.holder_pk == holder_pk, CeuRecord.id > after)
        .order_by(CeuRecord.id)
        .limit(limit)
    )
    return [CeuRow(*row) for row in connection.execute(query)]


def ceu(connection: Connection, org_pk: int, ceu_id: int) -> CeuRow | None:
    """One CEU record, if its holder is in the organisation's scope."""
    query = (
        select(*_CEU_COLUMNS)
        .join(Holder, Holder.id == CeuRecord.holder_pk)
        .where(CeuRecord.id == ceu_id, CeuRecord.holder_pk.in_(in_org(org_pk)))
    )
    row = connection.execute(query).first()
    return None if row is None else CeuRow(*row)


def ceus_by_key(connection: Connection, holder_pk: int, keys: Sequence[str]) -> list[CeuRow]:
    query = (
        select(*_CEU_COLUMNS)
        .join(Holder, Holder.id == CeuRecord.holder_pk)
        .where(CeuRecord.holder_pk == holder_pk, CeuRecord.natural_key.in_(keys))
        .order_by(CeuRecord.id)
    )
    return [CeuRow(*row) for row in connection.execute(query)]
