"""/api/v1/holders: an organisation's holders, their credentials and memberships.

(No `from __future__ import annotations` here: FastAPI reads the routes' annotations at run
time, and `Auth` is local to `routes`.)
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from sqlalchemy import ColumnElement, Connection, delete

from reminders.db import events, preferences, queueing, scope
from reminders.db.facts import holders_by_pk
from reminders.db.models import Credential, Membership
from reminders.notices.preferences import DEFAULT
from reminders.notices.scan import plan_holder
from reminders.web.api_core import ApiCore
from reminders.web.schemas import (
    CredentialIn,
    CredentialOut,
    HolderIn,
    HolderOut,
    HolderPage,
    Limit,
    MembershipIn,
    MembershipOut,
    NoticeOut,
    Org,
    dump,
    not_found,
    ref,
)


def routes(core: ApiCore, api: APIRouter) -> None:  # noqa: C901 - one route table
    Auth = Annotated[Org, Depends(core.org)]

    @api.get("/holders", response_model=HolderPage)
    def list_holders(
        org: Auth, limit: Limit = 100, after: str = "", team: str | None = None
    ) -> HolderPage:
        """The organisation's holders (or one team's), in holder_id order."""
        return core.holders_page(org, limit, after, team)

    @api.post("/holders", response_model=HolderOut, status_code=201)
    def put_holder(org: Auth, holder: HolderIn, response: Response) -> HolderOut:
        """Create a holder of the organisation's in one of its teams (made if new), or update
        one in its scope. Another organisation may have a holder of the same holder_id: that
        one is theirs, and this creates the organisation's own."""
        found: list[int | None] = []

        def available(connection: Connection) -> None:
            # In the write's own transaction, with the id locked: two requests creating one
            # holder at once are served one after the other.
            scope.lock_holder_id(connection, org.pk, holder.holder_id)
            found.append(scope.holder(connection, org.pk, holder.holder_id))
            if found[0] is None:
                return
            core.refuse_shared(connection, org, [found[0]])
            if "timezone" not in holder.model_fields_set:
                # An update that does not mention the time zone keeps it (it reset it).
                [stored] = scope.holder_rows(connection, [found[0]])
                values["timezone"] = stored.timezone

        values = dump(holder)
        team = values.pop("team")
        core.apply(
            org,
            [
                ("holders", [values]),
                ("teams", [{"org": org.name, "team": team, "holder_id": holder.holder_id}]),
            ],
            guard=available,
        )
        if found[0] is not None:
            response.status_code = 200
        return core.holder_out(org, holder.holder_id)

    @api.get("/holders/{holder_id}", response_model=HolderOut)
    def get_holder(org: Auth, holder_id: str) -> HolderOut:
        return core.holder_out(org, holder_id)

    @api.delete("/holders/{holder_id}", status_code=204)
    def delete_holder(org: Auth, holder_id: str) -> Response:
        """Delete a holder the organisation created; a roster holder leaves its teams (and is
        deleted once in no organisation's team)."""
        with core.engine.begin() as connection:
            pk = core.holder(connection, org, holder_id)
            scope.leave_org(connection, org.pk, pk)
        return Response(status_code=204)

    @api.get("/holders/{holder_id}/status")
    def holder_status(org: Auth, holder_id: str) -> list[dict[str, Any]]:
        """As `reminders status --format json` prints it, for this holder."""
        with core.engine.connect() as connection:
            return core.statuses(connection, [core.holder(connection, org, holder_id)])

    @api.get("/holders/{holder_id}/notices", response_model=list[NoticeOut])
    def holder_notices(org: Auth, holder_id: str) -> list[NoticeOut]:
        """The notices due for this holder today and not yet sent."""
        day = core.today()
        with core.engine.connect() as connection:
            pk = core.holder(connection, org, holder_id)
            holder = holders_by_pk(connection, [pk])[pk]
            known = queueing.known_notices(connection, [pk])[pk]
            level = preferences.levels(connection, [holder.email]).get(holder.email, DEFAULT)
        result = plan_holder(holder, known, level, core.rulebook, core.ladders, day)
        return [
            NoticeOut(
                holder_id=n.holder_id,
                body=n.body,
                kind=n.kind,
                key=n.key,
                due_on=n.due_on,
                to=holder.email,
                rung=n.rung,
                expires_on=n.expires_on,
            )
            for n in result.due
        ]

    # Credentials and memberships.

    @api.get("/holders/{holder_id}/credentials", response_model=list[CredentialOut])
    def list_credentials(org: Auth, holder_id: str) -> list[CredentialOut]:
        with core.engine.connect() as connection:
            pk = core.holder(connection, org, holder_id)
            rows = scope.credentials(connection, pk)
        return [CredentialOut(credential=c, body=b, earned_on=e) for c, b, e in rows]

    @api.post("/holders/{holder_id}/credentials", response_model=CredentialOut, status_code=201)
    def put_credential(org: Auth, holder_id: str, credential: CredentialIn) -> CredentialOut:
        with core.engine.connect() as connection:
            core.writable(connection, org, holder_id)
        core.apply(org, [("credentials", [{"holder_id": holder_id, **dump(credential)}])])
        found = [
            c for c in list_credentials(org, holder_id) if c.credential == credential.credential
        ]
        return found[0]

    @api.delete("/holders/{holder_id}/credentials/{credential}", status_code=204)
    def delete_credential(org: Auth, holder_id: str, credential: str) -> Response:
        code = ref(credential, "credential")
        what = f"credential {credential!r}"
        return _delete(core, org, holder_id, Credential, Credential.code == code, what)

    @api.get("/holders/{holder_id}/memberships", response_model=list[MembershipOut])
    def list_memberships(org: Auth, holder_id: str) -> list[MembershipOut]:
        with core.engine.connect() as connection:
            rows = scope.memberships(connection, core.holder(connection, org, holder_id))
        return [
            MembershipOut(
                body=b,
                member_id=m,
                renews_on=r,
                cycle_ends_on=c,
                required_ceus=None if q is None else float(q),
            )
            for b, m, r, c, q in rows
        ]

    @api.post("/holders/{holder_id}/memberships", response_model=MembershipOut, status_code=201)
    def put_membership(org: Auth, holder_id: str, membership: MembershipIn) -> MembershipOut:
        with core.engine.connect() as connection:
            core.writable(connection, org, holder_id)
        core.apply(org, [("memberships", [{"holder_id": holder_id, **dump(membership)}])])
        return next(m for m in list_memberships(org, holder_id) if m.body == membership.body)

    @api.delete("/holders/{holder_id}/memberships/{body}", status_code=204)
    def delete_membership(org: Auth, holder_id: str, body: str) -> Response:
        code = ref(body, "membership")
        what = f"membership with {body!r}"
        return _delete(core, org, holder_id, Membership, Membership.body == code, what)


def _delete(
    core: ApiCore,
    org: Org,
    holder_id: str,
    table: type[Credential] | type[Membership],
    which: ColumnElement[bool],
    shown: str,
) -> Response:
    """Delete one of a holder's credentials or memberships, and have the holder re-planned."""
    with core.engine.begin() as connection:
        pk = core.writable(connection, org, holder_id)
        gone = connection.execute(delete(table).where(table.holder_pk == pk, which)).rowcount
        if not gone:
            not_found(shown)
        events.record(connection, [pk], "api", core.clock())
    return Response(status_code=204)
