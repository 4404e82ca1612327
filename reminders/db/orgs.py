"""Organisations, their teams and their digest subscriptions, for the `org` and `subscription`
commands (and the API later)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from reminders.db import alerts, digests, scope
from reminders.db.models import DigestRecord, Holder, Organisation, Subscription, Team, TeamMember


@dataclass(frozen=True, slots=True)
class OrgLine:
    id: int
    name: str
    teams: int
    members: int
    subscriptions: int


def organisations(connection: Connection) -> list[OrgLine]:
    o = Organisation
    teams = select(func.count()).where(Team.org_pk == o.id).scalar_subquery()
    members = select(func.count(Holder.id)).where(scope.within(o.id)).scalar_subquery()
    subscriptions = select(func.count()).where(Subscription.org_pk == o.id).scalar_subquery()
    query = select(o.id, o.name, teams, members, subscriptions).order_by(o.name)
    return [OrgLine(*row) for row in connection.execute(query)]


def find(connection: Connection, name: str) -> int | None:
    query = select(Organisation.id).where(Organisation.name == name)
    return connection.execute(query).scalar_one_or_none()


def teams(connection: Connection, org_pk: int) -> list[tuple[int, str, int]]:
    """An organisation's teams: id, name and number of members."""
    members = select(func.count()).where(TeamMember.team_pk == Team.id).scalar_subquery()
    query = select(Team.id, Team.name, members).where(Team.org_pk == org_pk).order_by(Team.name)
    return [(pk, name, count) for pk, name, count in connection.execute(query)]


def team(connection: Connection, org_pk: int, name: str) -> int | None:
    query = select(Team.id).where(Team.org_pk == org_pk, Team.name == name)
    return connection.execute(query).scalar_one_or_none()


def last_digests(connection: Connection, subscriptions: list[int]) -> dict[int, tuple[str, str]]:
    """For each subscription, its newest digest's period and state."""
    newest = (
        select(func.max(DigestRecord.id))
        .where(DigestRecord.subscription_pk.in_(subscriptions))
        .group_by(DigestRecord.subscription_pk)
    )
    query = select(DigestRecord.subscription_pk, DigestRecord.period, DigestRecord.state).where(
        DigestRecord.id.in_(newest)
    )
    return {pk: (period, state) for pk, period, state in connection.execute(query)}


def subscribe(
    connection: Connection,
    org_pk: int,
    team_pk: int | None,
    email: str,
    frequency: str,
    timezone: str | None,
    alert_mode: str | None = None,
) -> tuple[int, bool]:
    """Add a subscription, or change the frequency, zone and (given) alerts of the one with
    this scope and address (and resume it); its id, and whether it is new. Alerts turned off
    that were queued are cancelled by their sender's re-check."""
    same_team = (
        Subscription.team_pk.is_(None) if team_pk is None else Subscription.team_pk == team_pk
    )
    existing = connection.execute(
        select(Subscription.id).where(
            Subscription.org_pk == org_pk, same_team, Subscription.email == email
        )
    ).scalar_one_or_none()
    values: dict[str, object] = {"frequency": frequency, "timezone": timezone, "paused": False}
    if alert_mode is not None:
        values["alerts"] = alert_mode
    if existing is not None:
        connection.execute(update(Subscription).where(Subscription.id == existing).values(values))
        return existing, False
    created = connection.execute(
        insert(Subscription)
        .values(org_pk=org_pk, team_pk=team_pk, email=email, **values)
        .returning(Subscription.id)
    ).scalar_one()
    return int(created), True


def set_paused(connection: Connection, subscription: int, paused: bool, now: datetime) -> bool:
    """Pause (cancelling its digests not yet sent) or resume; False if there is no such one."""
    changed = connection.execute(
        update(Subscription).where(Subscription.id == subscription).values(paused=paused)
    ).rowcount
    if changed and paused:
        digests.cancel_pending(connection, subscription, now)
        alerts.cancel_pending(connection, subscription, now)
    return bool(changed)


def unsubscribe(connection: Connection, subscription: int, now: datetime) -> bool:
    """Remove a subscription and its digests' history; False if there is no such one."""
    digests.cancel_pending(connection, subscription, now)
    alerts.cancel_pending(connection, subscription, now)
    removed = connection.execute(delete(Subscription).where(Subscription.id == subscription))
    return bool(removed.rowcount)


def create_team(connection: Connection, org_pk: int, name: str) -> int:
    made = connection.execute(insert(Team).values(org_pk=org_pk, name=name).returning(Team.id))
    return int(made.scalar_one())
