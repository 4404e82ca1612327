"""/api/v1/teams and /api/v1/subscriptions: an organisation's teams, their members and status,
and its employers' digest subscriptions.

(No `from __future__ import annotations` here: FastAPI reads the routes' annotations at run
time, and `Auth` is local to `routes`.)
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from sqlalchemy import Connection, delete, insert, select

from reminders.db import alerts, orgs, scope
from reminders.db import digests as digest_store
from reminders.db.models import TeamMember
from reminders.web.api_core import ApiCore
from reminders.web.schemas import (
    HolderOut,
    HolderPage,
    Limit,
    MemberIn,
    Org,
    RowId,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
    TeamIn,
    TeamOut,
    dump,
    invalid,
    not_found,
)


def routes(core: ApiCore, api: APIRouter) -> None:  # noqa: C901 - one route table
    Auth = Annotated[Org, Depends(core.org)]

    @api.get("/teams", response_model=list[TeamOut])
    def list_teams(org: Auth) -> list[TeamOut]:
        with core.engine.connect() as connection:
            teams = orgs.teams(connection, org.pk)
        return [TeamOut(name=name, members=members) for _, name, members in teams]

    @api.post("/teams", response_model=TeamOut, status_code=201)
    def post_team(org: Auth, team: TeamIn, response: Response) -> TeamOut:
        with core.engine.begin() as connection:
            if orgs.team(connection, org.pk, team.name) is not None:
                response.status_code = 200
            else:
                orgs.create_team(connection, org.pk, team.name)
        return next(t for t in list_teams(org) if t.name == team.name)

    @api.get("/teams/{team}", response_model=TeamOut)
    def get_team(org: Auth, team: str) -> TeamOut:
        with core.engine.connect() as connection:
            core.team(connection, org, team)
        return next(t for t in list_teams(org) if t.name == team)

    @api.get("/teams/{team}/members", response_model=HolderPage)
    def list_members(org: Auth, team: str, limit: Limit = 100, after: str = "") -> HolderPage:
        return core.holders_page(org, limit, after, team)

    @api.post("/teams/{team}/members", response_model=HolderOut, status_code=201)
    def add_member(org: Auth, team: str, member: MemberIn) -> HolderOut:
        """Add one of the organisation's holders to another of its teams."""
        with core.engine.begin() as connection:
            team_pk = core.team(connection, org, team)
            pk = scope.holder(connection, org.pk, member.holder_id)
            if pk is None:
                invalid([(["holder_id"], f"no holder {member.holder_id!r}")])
            already = connection.execute(
                select(TeamMember.holder_pk).where(
                    TeamMember.team_pk == team_pk, TeamMember.holder_pk == pk
                )
            ).first()
            if already is None:
                connection.execute(insert(TeamMember).values(team_pk=team_pk, holder_pk=pk))
        return core.holder_out(org, member.holder_id)

    @api.delete("/teams/{team}/members/{holder_id}", status_code=204)
    def remove_member(org: Auth, team: str, holder_id: str) -> Response:
        with core.engine.begin() as connection:
            team_pk = core.team(connection, org, team)
            pk = core.holder(connection, org, holder_id)
            gone = connection.execute(
                delete(TeamMember).where(TeamMember.team_pk == team_pk, TeamMember.holder_pk == pk)
            ).rowcount
            if not gone:
                not_found(f"holder {holder_id!r} in team {team!r}")
        return Response(status_code=204)

    @api.get("/teams/{team}/status")
    def team_status(org: Auth, team: str) -> list[dict[str, Any]]:
        """The status objects of the team's members, as `reminders status --format json`."""
        with core.engine.connect() as connection:
            team_pk = core.team(connection, org, team)
            pks = list(
                connection.execute(
                    select(TeamMember.holder_pk).where(TeamMember.team_pk == team_pk)
                ).scalars()
            )
            return core.statuses(connection, pks)

    # Digest subscriptions.

    def subscription_out(s: digest_store.Subscriber) -> SubscriptionOut:
        return SubscriptionOut(
            id=s.id, team=s.team, email=s.email, frequency=s.frequency,
            timezone=s.timezone, paused=s.paused, alerts=s.alerts,
        )  # fmt: skip

    def own_subscription(connection: Connection, org: Org, subscription: int) -> None:
        found = digest_store.subscribers(connection, subscription, org_pk=org.pk)
        if not found:
            not_found(f"subscription {subscription}")

    @api.get("/subscriptions", response_model=list[SubscriptionOut])
    def list_subscriptions(org: Auth) -> list[SubscriptionOut]:
        with core.engine.connect() as connection:
            return [
                subscription_out(s) for s in digest_store.subscribers(connection, org_pk=org.pk)
            ]

    @api.post("/subscriptions", response_model=SubscriptionOut, status_code=201)
    def post_subscription(org: Auth, subscription: SubscriptionIn) -> SubscriptionOut:
        values = dump(subscription)
        core.apply(org, [("subscriptions", [{"org": org.name, **values}])])
        with core.engine.connect() as connection:
            found = [
                s for s in digest_store.subscribers(connection, org_pk=org.pk)
                if s.team == (subscription.team or None)
                and s.email.lower() == subscription.email.strip().lower()
            ]  # fmt: skip
        return subscription_out(found[0])

    @api.patch("/subscriptions/{subscription}", response_model=SubscriptionOut)
    def patch_subscription(
        org: Auth, subscription: RowId, change: SubscriptionPatch
    ) -> SubscriptionOut:
        with core.engine.begin() as connection:
            own_subscription(connection, org, subscription)
            if change.paused is not None:
                orgs.set_paused(connection, subscription, change.paused, core.clock())
            if change.alerts is not None:
                alerts.set_alerts(connection, subscription, change.alerts, core.clock())
            return subscription_out(digest_store.subscribers(connection, subscription)[0])

    @api.delete("/subscriptions/{subscription}", status_code=204)
    def delete_subscription(org: Auth, subscription: RowId) -> Response:
        with core.engine.begin() as connection:
            own_subscription(connection, org, subscription)
            orgs.unsubscribe(connection, subscription, core.clock())
        return Response(status_code=204)
