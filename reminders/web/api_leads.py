"""/api/v1/organisation and /api/v1/teams/{team}/leads: what an organisation escalates to its
team leads, and who they are.

(No `from __future__ import annotations` here: FastAPI reads the routes' annotations at run
time, and `Auth` is local to `routes`.)
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from reminders.db import leads
from reminders.web.api_core import ApiCore
from reminders.web.schemas import (
    LeadIn,
    LeadOut,
    Org,
    OrganisationOut,
    OrganisationPatch,
    not_found,
)


def routes(core: ApiCore, api: APIRouter) -> None:
    Auth = Annotated[Org, Depends(core.org)]

    @api.get("/organisation", response_model=OrganisationOut)
    def get_organisation(org: Auth) -> OrganisationOut:
        with core.engine.connect() as connection:
            return OrganisationOut(name=org.name, escalate=leads.escalation(connection, org.pk))

    @api.patch("/organisation", response_model=OrganisationOut)
    def patch_organisation(org: Auth, change: OrganisationPatch) -> OrganisationOut:
        with core.engine.begin() as connection:
            leads.set_escalation(connection, org.pk, change.escalate)
        return get_organisation(org)

    def lead_out(lead: leads.Lead) -> LeadOut:
        return LeadOut(email=lead.email, name=lead.name, unsubscribed=lead.muted)

    @api.get("/teams/{team}/leads", response_model=list[LeadOut])
    def list_leads(org: Auth, team: str) -> list[LeadOut]:
        with core.engine.connect() as connection:
            team_pk = core.team(connection, org, team)
            return [lead_out(lead) for lead in leads.leads(connection, org.pk, team_pk)]

    @api.post("/teams/{team}/leads", response_model=LeadOut, status_code=201)
    def post_lead(org: Auth, team: str, lead: LeadIn, response: Response) -> LeadOut:
        """Make an address a lead of the team; again: update its name (200)."""
        with core.engine.begin() as connection:
            team_pk = core.team(connection, org, team)
            if not leads.add_lead(connection, team_pk, lead.email, lead.name or None):
                response.status_code = 200
            found = leads.lead(connection, team_pk, lead.email)
        assert found is not None
        return lead_out(found)

    @api.delete("/teams/{team}/leads/{email}", status_code=204)
    def delete_lead(org: Auth, team: str, email: str) -> Response:
        with core.engine.begin() as connection:
            team_pk = core.team(connection, org, team)
            if not leads.remove_lead(connection, team_pk, email):
                not_found(f"lead {email!r} of team {team!r}")
        return Response(status_code=204)
