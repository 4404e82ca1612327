"""The store side of escalation: each organisation's choice, the leads of its teams, and the
copies of holders' messages that go to them (once per original message and lead)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from reminders.db import queueing
from reminders.db.engine import conflict_insert
from reminders.db.models import (
    Holder,
    LeadCopy,
    Organisation,
    Team,
    TeamLead,
    TeamMember,
)


def _same(column: Any, email: str) -> Any:
    """Addresses compare without case: a lead added as Dana@x.org is removed as dana@x.org."""
    return func.lower(column) == email.strip().lower()


def escalation(connection: Connection, org_pk: int) -> str:
    query = select(Organisation.escalate).where(Organisation.id == org_pk)
    return str(connection.execute(query).scalar_one())


def set_escalation(connection: Connection, org_pk: int, policy: str) -> None:
    connection.execute(
        update(Organisation).where(Organisation.id == org_pk).values(escalate=policy)
    )


def any_escalating(connection: Connection) -> bool:
    """Does any organisation send copies to team leads? (A scan skips the lookups if not.)"""
    query = select(Organisation.id).where(Organisation.escalate != "off").limit(1)
    return connection.execute(query).first() is not None


@dataclass(frozen=True, slots=True)
class Lead:
    team_pk: int
    team: str
    email: str
    name: str | None
    muted: bool = False


def _leads() -> Any:
    """The columns of a Lead, with its team's name."""
    return select(TeamLead.team_pk, Team.name, TeamLead.email, TeamLead.name, TeamLead.muted).join(
        Team, Team.id == TeamLead.team_pk
    )


def leads(connection: Connection, org_pk: int, team_pk: int | None = None) -> list[Lead]:
    """An organisation's team leads (or one team's), by team and address."""
    query = _leads().where(Team.org_pk == org_pk).order_by(Team.name, TeamLead.email)
    if team_pk is not None:
        query = query.where(TeamLead.team_pk == team_pk)
    return [Lead(*row) for row in connection.execute(query)]


def add_lead(connection: Connection, team_pk: int, email: str, name: str | None) -> bool:
    """Make an address a lead of a team (again: its name is updated and it is heard again);
    whether it is new."""
    found = connection.execute(
        update(TeamLead)
        .where(TeamLead.team_pk == team_pk, _same(TeamLead.email, email))
        .values(name=name, muted=False)
    ).rowcount
    if found:
        return False
    connection.execute(insert(TeamLead).values(team_pk=team_pk, email=email, name=name))
    return True


def remove_lead(connection: Connection, team_pk: int, email: str) -> bool:
    removed = connection.execute(
        delete(TeamLead).where(TeamLead.team_pk == team_pk, _same(TeamLead.email, email))
    ).rowcount
    return bool(removed)


def mute(connection: Connection, team_pk: int, email: str) -> bool:
    """The lead's unsubscribe link: no more copies of this team's notices."""
    changed = connection.execute(
        update(TeamLead)
        .where(TeamLead.team_pk == team_pk, _same(TeamLead.email, email))
        .values(muted=True)
    ).rowcount
    return bool(changed)


def lead(connection: Connection, team_pk: int, email: str) -> Lead | None:
    query = _leads().where(TeamLead.team_pk == team_pk, _same(TeamLead.email, email))
    row = connection.execute(query).first()
    return None if row is None else Lead(*row)


@dataclass(frozen=True, slots=True)
class HolderLead:
    """A lead told of a holder's notices: of which team, in which organisation, under which
    of its choices."""

    team_pk: int
    team: str
    org_pk: int
    org: str
    policy: str
    email: str
    name: str | None


def leads_of(connection: Connection, holder_pk: int) -> list[HolderLead]:
    """The leads (not muted) of the holder's teams in the organisations that escalate, each
    address once (its first team by name), never the holder's own address."""
    own = select(Holder.email).where(Holder.id == holder_pk).scalar_subquery()
    query = (
        select(
            Team.id,
            Team.name,
            Organisation.id,
            Organisation.name,
            Organisation.escalate,
            TeamLead.email,
            TeamLead.name,
        )
        .join(TeamMember, TeamMember.team_pk == Team.id)
        .join(Organisation, Organisation.id == Team.org_pk)
        .join(TeamLead, TeamLead.team_pk == Team.id)
        .where(
            TeamMember.holder_pk == holder_pk,
            Organisation.escalate != "off",
            TeamLead.muted.is_(False),
            func.lower(TeamLead.email) != func.lower(own),
        )
        .order_by(Organisation.name, Team.name, TeamLead.email)
    )
    found: dict[str, HolderLead] = {}
    for row in connection.execute(query):
        found.setdefault(row[5].lower(), HolderLead(*row))
    return list(found.values())


def record_copy(
    connection: Connection, original: int, holder_pk: int, lead: HolderLead, now: datetime
) -> int | None:
    """Queue a lead's copy of a holder's message; None if that lead has one already."""
    message = queueing.new_message(connection, lead.email, now, holder_pk)
    inserted = connection.execute(
        conflict_insert(connection, LeadCopy)
        .values(message_pk=message, original_pk=original, team_pk=lead.team_pk, email=lead.email)
        .on_conflict_do_nothing(index_elements=["original_pk", "email"])
        .returning(LeadCopy.message_pk)
    ).scalar_one_or_none()
    if inserted is None:
        queueing.withdraw(connection, message)
    return inserted


@dataclass(frozen=True, slots=True)
class Copy:
    """A lead's copy as its sender finds it: the original message, and the lead and their
    organisation's choice now (None: no longer a lead, muted, or the team is gone)."""

    original: int | None
    lead: HolderLead | None


def copies_of(connection: Connection, messages: Sequence[int]) -> dict[int, Copy]:
    """The copies among these messages."""
    if not messages:
        return {}
    c = LeadCopy
    query = (
        select(
            c.message_pk,
            c.original_pk,
            Team.id,
            Team.name,
            Organisation.id,
            Organisation.name,
            Organisation.escalate,
            TeamLead.email,
            TeamLead.name,
            TeamLead.muted,
        )
        .join(Team, Team.id == c.team_pk)
        .join(Organisation, Organisation.id == Team.org_pk)
        .outerjoin(TeamLead, (TeamLead.team_pk == c.team_pk) & (TeamLead.email == c.email))
        .where(c.message_pk.in_(messages))
    )
    found = {}
    rows = connection.execute(query).all()
    for message, original, team_pk, team, org_pk, org, policy, email, name, muted in rows:
        live = email is not None and not muted and policy != "off"
        lead = HolderLead(team_pk, team, org_pk, org, policy, email, name) if live else None
        found[message] = Copy(original, lead)
    return found


@dataclass(frozen=True, slots=True)
class Informed:
    """A lead a holder's message is copied to, as the holder is told of them: by name (never
    by address), and their organisation's choice."""

    name: str | None
    org: str
    policy: str


def informed(connection: Connection, originals: Sequence[int]) -> dict[int, list[Informed]]:
    """For each holder's message, the leads a copy of it goes to."""
    if not originals:
        return {}
    query = (
        select(LeadCopy.original_pk, TeamLead.name, Organisation.name, Organisation.escalate)
        .join(
            TeamLead,
            (TeamLead.team_pk == LeadCopy.team_pk) & (TeamLead.email == LeadCopy.email),
        )
        .join(Team, Team.id == LeadCopy.team_pk)
        .join(Organisation, Organisation.id == Team.org_pk)
        .where(
            LeadCopy.original_pk.in_(originals),
            TeamLead.muted.is_(False),
            Organisation.escalate != "off",
        )
        .order_by(Organisation.name, TeamLead.name)
    )
    found: dict[int, list[Informed]] = {}
    for original, name, org, policy in connection.execute(query):
        if original is not None:
            found.setdefault(original, []).append(Informed(name, org, policy))
    return found
