"""The JSON API, /api/v1, authenticated per organisation (`Authorization: Bearer <key>`).

A key sees its organisation's teams and their members, and nothing else: every id outside that
scope answers 404, exactly as an id that does not exist. Writes go through the same checks and
upserts as the CSV imports (reminders.imports.runner.import_objects), so they raise the same
change events and the daemon re-plans the holders they touch at once.

(No `from __future__ import annotations` here: FastAPI reads the routes' annotations at run
time, and `Auth` is local to `Api.router`.)
"""

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Field
from sqlalchemy import Connection, Engine, delete, insert, select

from reminders.db import apikeys, events, orgs, outbox, preferences, scope
from reminders.db import digests as digest_store
from reminders.db.facts import holders_by_pk
from reminders.db.models import CeuRecord, Credential, Membership, Organisation, TeamMember
from reminders.imports.kinds import ceu_natural_key
from reminders.imports.runner import Rejected, import_objects
from reminders.notices.ladder import Ladder
from reminders.notices.preferences import DEFAULT, Ladders
from reminders.notices.scan import plan_holder
from reminders.rules.evaluate import evaluate
from reminders.rules.loader import Rulebook
from reminders.status import as_json
from reminders.web.limits import SharedRateLimiter
from reminders.web.schemas import (
    After,
    CeuBulk,
    CeuIn,
    CeuOut,
    CeuPage,
    CredentialIn,
    CredentialOut,
    HolderIn,
    HolderOut,
    HolderPage,
    Limit,
    MemberIn,
    MembershipIn,
    MembershipOut,
    NoticeOut,
    Org,
    RowId,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
    TeamIn,
    TeamOut,
    ceu_out,
    dump,
    invalid,
    not_found,
    ref,
)

_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


class Api:
    def __init__(
        self,
        engine: Engine,
        rulebook: Rulebook,
        ladder: Ladder,
        clock: Callable[[], datetime],
        today: Callable[[], date],
        limiter: SharedRateLimiter,
    ) -> None:
        self.engine, self.rulebook, self.clock, self.today = engine, rulebook, clock, today
        self.ladders = Ladders(ladder)
        self.limiter = limiter

    # Authentication and scope.

    def org(
        self,
        request: Request,
        credentials: Annotated[
            HTTPAuthorizationCredentials | None, Depends(HTTPBearer(auto_error=False))
        ],
    ) -> Org:
        challenge = {"WWW-Authenticate": "Bearer"}
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise HTTPException(401, "an API key is needed: Authorization: Bearer <key>", challenge)
        key = credentials.credentials
        wait = self.limiter.wait(hashlib.sha256(key.encode()).hexdigest())
        if wait:
            raise HTTPException(
                429, "too many requests with this key", {"Retry-After": str(int(wait) + 1)}
            )
        with self.engine.connect() as connection:
            # The request guard (web/limits.py) looked the key up already.
            org_pk = getattr(request.state, "org_pk", None) or apikeys.organisation_of(
                connection, key
            )
            if org_pk is None:
                raise HTTPException(401, "this API key is not valid (or was revoked)", challenge)
            name = connection.execute(
                select(Organisation.name).where(Organisation.id == org_pk)
            ).scalar_one()
        return Org(pk=org_pk, name=name)

    def _holder(self, connection: Connection, org: Org, holder_id: str) -> int:
        pk = scope.holder(connection, org.pk, ref(holder_id, "holder"))
        if pk is None:
            not_found(f"holder {holder_id!r}")
        return pk

    def _team(self, connection: Connection, org: Org, team: str) -> int:
        pk = orgs.team(connection, org.pk, ref(team, "team"))
        if pk is None:
            not_found(f"team {team!r}")
        return pk

    def _apply(
        self,
        batches: Sequence[tuple[str, Sequence[Mapping[str, Any]]]],
        at: str = "",
        guard: Callable[[Connection], None] | None = None,
    ) -> None:
        try:
            import_objects(self.engine, self.rulebook, batches, self.clock(), guard)
        except Rejected as exc:
            kinds = {kind for kind, _ in batches}
            invalid(
                [
                    (
                        ([p.line] if len(batches[0][1]) > 1 or at == "items" else [])
                        + ([] if len(kinds) == 1 else [p.path])
                        + [p.column],
                        p.message,
                    )
                    for p in exc.problems
                ]
            )

    def _holders_out(
        self, connection: Connection, org: Org, rows: list[scope.HolderRow]
    ) -> list[HolderOut]:
        teams = scope.teams_of(connection, org.pk, [row.pk for row in rows])
        return [
            HolderOut(
                holder_id=row.holder_id,
                full_name=row.full_name,
                email=row.email,
                timezone=row.timezone,
                teams=teams[row.pk],
            )
            for row in rows
        ]

    def _statuses(self, connection: Connection, pks: list[int]) -> list[dict[str, Any]]:
        day = self.today()
        holders = holders_by_pk(connection, pks)
        found = []
        for holder in sorted(holders.values(), key=lambda h: h.facts.holder_id):
            found += [as_json(e) for e in evaluate(holder.facts, self.rulebook, day)[0]]
        return found

    def router(self) -> APIRouter:  # noqa: C901 - one route table, read top to bottom
        api = APIRouter(prefix="/api/v1", tags=["api"])
        Auth = Annotated[Org, Depends(self.org)]

        # Holders.

        @api.get("/holders", response_model=HolderPage)
        def list_holders(
            org: Auth, limit: Limit = 100, after: str = "", team: str | None = None
        ) -> HolderPage:
            """The organisation's holders (or one team's), in holder_id order."""
            if _UNSAFE.search(after):
                invalid([(["after"], "is not a holder_id")])
            with self.engine.connect() as connection:
                team_pk = None if team is None else self._team(connection, org, team)
                rows = scope.holders_page(connection, org.pk, team_pk, after, limit)
                items = self._holders_out(connection, org, rows)
            return HolderPage(
                items=items, next=items[-1].holder_id if len(items) == limit else None
            )

        @api.post("/holders", response_model=HolderOut, status_code=201)
        def put_holder(org: Auth, holder: HolderIn, response: Response) -> HolderOut:
            """Create a holder in one of the organisation's teams (made if new), or update one
            of its own holders. A holder_id of a record outside the organisation is refused."""
            found: list[int | None] = []

            def available(connection: Connection) -> None:
                # In the write's own transaction, with the id locked: checked apart from it,
                # two organisations creating one id at once both got 201 and shared the holder.
                scope.lock_holder_id(connection, holder.holder_id)
                found.append(scope.holder(connection, org.pk, holder.holder_id))
                if found[0] is None and scope.exists_anywhere(connection, holder.holder_id):
                    raise HTTPException(409, "this holder_id is not available; choose another")
                if found[0] is not None and "timezone" not in holder.model_fields_set:
                    # An update that does not mention the time zone keeps it (it reset it).
                    [stored] = scope.holder_rows(connection, [found[0]])
                    values["timezone"] = stored.timezone

            values = dump(holder)
            team = values.pop("team")
            self._apply(
                [
                    ("holders", [values]),
                    ("teams", [{"org": org.name, "team": team, "holder_id": holder.holder_id}]),
                ],
                guard=available,
            )
            if found[0] is not None:
                response.status_code = 200
            return get_holder(org, holder.holder_id)

        @api.get("/holders/{holder_id}", response_model=HolderOut)
        def get_holder(org: Auth, holder_id: str) -> HolderOut:
            with self.engine.connect() as connection:
                pk = self._holder(connection, org, holder_id)
                return self._holders_out(connection, org, scope.holder_rows(connection, [pk]))[0]

        @api.delete("/holders/{holder_id}", status_code=204)
        def delete_holder(org: Auth, holder_id: str) -> Response:
            """Take the holder out of the organisation; one in no organisation is deleted."""
            with self.engine.begin() as connection:
                pk = self._holder(connection, org, holder_id)
                scope.leave_org(connection, org.pk, pk)
            return Response(status_code=204)

        @api.get("/holders/{holder_id}/status")
        def holder_status(org: Auth, holder_id: str) -> list[dict[str, Any]]:
            """As `reminders status --format json` prints it, for this holder."""
            with self.engine.connect() as connection:
                return self._statuses(connection, [self._holder(connection, org, holder_id)])

        @api.get("/holders/{holder_id}/notices", response_model=list[NoticeOut])
        def holder_notices(org: Auth, holder_id: str) -> list[NoticeOut]:
            """The notices due for this holder today and not yet sent."""
            day = self.today()
            with self.engine.connect() as connection:
                pk = self._holder(connection, org, holder_id)
                holder = holders_by_pk(connection, [pk])[pk]
                known = outbox.known_notices(connection, [pk])[pk]
                level = preferences.levels(connection, [holder.email]).get(holder.email, DEFAULT)
            result = plan_holder(holder, known, level, self.rulebook, self.ladders, day)
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
            with self.engine.connect() as connection:
                pk = self._holder(connection, org, holder_id)
                rows = scope.credentials(connection, pk)
            return [CredentialOut(credential=c, body=b, earned_on=e) for c, b, e in rows]

        @api.post("/holders/{holder_id}/credentials", response_model=CredentialOut, status_code=201)
        def put_credential(org: Auth, holder_id: str, credential: CredentialIn) -> CredentialOut:
            with self.engine.connect() as connection:
                self._holder(connection, org, holder_id)
            self._apply([("credentials", [{"holder_id": holder_id, **dump(credential)}])])
            found = [
                c for c in list_credentials(org, holder_id) if c.credential == credential.credential
            ]
            return found[0]

        @api.delete("/holders/{holder_id}/credentials/{credential}", status_code=204)
        def delete_credential(org: Auth, holder_id: str, credential: str) -> Response:
            with self.engine.begin() as connection:
                pk = self._holder(connection, org, holder_id)
                gone = connection.execute(
                    delete(Credential).where(
                        Credential.holder_pk == pk,
                        Credential.code == ref(credential, "credential"),
                    )
                ).rowcount
                if not gone:
                    not_found(f"credential {credential!r}")
                events.record(connection, [pk], "api", self.clock())
            return Response(status_code=204)

        @api.get("/holders/{holder_id}/memberships", response_model=list[MembershipOut])
        def list_memberships(org: Auth, holder_id: str) -> list[MembershipOut]:
            with self.engine.connect() as connection:
                rows = scope.memberships(connection, self._holder(connection, org, holder_id))
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
            with self.engine.connect() as connection:
                self._holder(connection, org, holder_id)
            self._apply([("memberships", [{"holder_id": holder_id, **dump(membership)}])])
            return next(m for m in list_memberships(org, holder_id) if m.body == membership.body)

        @api.delete("/holders/{holder_id}/memberships/{body}", status_code=204)
        def delete_membership(org: Auth, holder_id: str, body: str) -> Response:
            with self.engine.begin() as connection:
                pk = self._holder(connection, org, holder_id)
                gone = connection.execute(
                    delete(Membership).where(
                        Membership.holder_pk == pk, Membership.body == ref(body, "membership")
                    )
                ).rowcount
                if not gone:
                    not_found(f"membership with {body!r}")
                events.record(connection, [pk], "api", self.clock())
            return Response(status_code=204)

        # CEU records.

        @api.get("/holders/{holder_id}/ceus", response_model=CeuPage)
        def list_ceus(org: Auth, holder_id: str, limit: Limit = 100, after: After = 0) -> CeuPage:
            with self.engine.connect() as connection:
                pk = self._holder(connection, org, holder_id)
                rows = scope.ceus_page(connection, pk, after, limit)
            items = [ceu_out(row) for row in rows]
            return CeuPage(items=items, next=items[-1].id if len(items) == limit else None)

        def store_ceus(org: Auth, ceus: list[CeuIn], at: str) -> list[CeuOut]:
            with self.engine.connect() as connection:
                # Each holder looked up once, however many of their CEUs the request holds.
                pks = {
                    holder_id: scope.holder(connection, org.pk, holder_id)
                    for holder_id in {c.holder_id for c in ceus}
                }
            missing = [
                ([index, "holder_id"] if at else ["holder_id"], f"no holder {c.holder_id!r}")
                for index, c in enumerate(ceus)
                if pks[c.holder_id] is None
            ]
            if missing:
                invalid(missing)  # type: ignore[arg-type]
            self._apply([("ceus", [dump(c) for c in ceus])], at)
            stored: list[CeuOut] = []
            with self.engine.connect() as connection:
                for c in ceus:
                    pk = pks[c.holder_id]
                    assert pk is not None
                    key = ceu_natural_key(c.index_number or None, c.completed_on, c.title.strip())
                    stored += [ceu_out(row) for row in scope.ceus_by_key(connection, pk, [key])]
            return stored

        @api.post("/ceus", response_model=CeuOut, status_code=201)
        def post_ceu(org: Auth, ceu: CeuIn) -> CeuOut:
            """Record one CEU (the columns of ceus.csv); the holder is re-planned at once."""
            return store_ceus(org, [ceu], "")[0]

        @api.post("/ceus/bulk", response_model=CeuBulk, status_code=201)
        def post_ceus(
            org: Auth, ceus: Annotated[list[CeuIn], Field(min_length=1, max_length=1000)]
        ) -> CeuBulk:
            """Record up to 1,000 CEUs at once: all of them, or none and every problem."""
            return CeuBulk(items=store_ceus(org, ceus, "items"))

        @api.get("/ceus/{ceu_id}", response_model=CeuOut)
        def get_ceu(org: Auth, ceu_id: RowId) -> CeuOut:
            with self.engine.connect() as connection:
                row = scope.ceu(connection, org.pk, ceu_id)
            if row is None:
                not_found(f"CEU record {ceu_id}")
            return ceu_out(row)

        @api.delete("/ceus/{ceu_id}", status_code=204)
        def delete_ceu(org: Auth, ceu_id: RowId) -> Response:
            with self.engine.begin() as connection:
                row = scope.ceu(connection, org.pk, ceu_id)
                if row is None:
                    not_found(f"CEU record {ceu_id}")
                holder_pk = connection.execute(
                    select(CeuRecord.holder_pk).where(CeuRecord.id == ceu_id)
                ).scalar_one()
                connection.execute(delete(CeuRecord).where(CeuRecord.id == ceu_id))
                events.record(connection, [holder_pk], "api", self.clock())
            return Response(status_code=204)

        # Teams.

        @api.get("/teams", response_model=list[TeamOut])
        def list_teams(org: Auth) -> list[TeamOut]:
            with self.engine.connect() as connection:
                teams = orgs.teams(connection, org.pk)
            return [TeamOut(name=name, members=members) for _, name, members in teams]

        @api.post("/teams", response_model=TeamOut, status_code=201)
        def post_team(org: Auth, team: TeamIn, response: Response) -> TeamOut:
            with self.engine.begin() as connection:
                if orgs.team(connection, org.pk, team.name) is not None:
                    response.status_code = 200
                else:
                    orgs.create_team(connection, org.pk, team.name)
            return next(t for t in list_teams(org) if t.name == team.name)

        @api.get("/teams/{team}", response_model=TeamOut)
        def get_team(org: Auth, team: str) -> TeamOut:
            with self.engine.connect() as connection:
                self._team(connection, org, team)
            return next(t for t in list_teams(org) if t.name == team)

        @api.get("/teams/{team}/members", response_model=HolderPage)
        def list_members(org: Auth, team: str, limit: Limit = 100, after: str = "") -> HolderPage:
            return list_holders(org, limit, after, team)

        @api.post("/teams/{team}/members", response_model=HolderOut, status_code=201)
        def add_member(org: Auth, team: str, member: MemberIn) -> HolderOut:
            """Add one of the organisation's holders to another of its teams."""
            with self.engine.begin() as connection:
                team_pk = self._team(connection, org, team)
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
            return get_holder(org, member.holder_id)

        @api.delete("/teams/{team}/members/{holder_id}", status_code=204)
        def remove_member(org: Auth, team: str, holder_id: str) -> Response:
            with self.engine.begin() as connection:
                team_pk = self._team(connection, org, team)
                pk = self._holder(connection, org, holder_id)
                gone = connection.execute(
                    delete(TeamMember).where(
                        TeamMember.team_pk == team_pk, TeamMember.holder_pk == pk
                    )
                ).rowcount
                if not gone:
                    not_found(f"holder {holder_id!r} in team {team!r}")
            return Response(status_code=204)

        @api.get("/teams/{team}/status")
        def team_status(org: Auth, team: str) -> list[dict[str, Any]]:
            """The status objects of the team's members, as `reminders status --format json`."""
            with self.engine.connect() as connection:
                team_pk = self._team(connection, org, team)
                pks = list(
                    connection.execute(
                        select(TeamMember.holder_pk).where(TeamMember.team_pk == team_pk)
                    ).scalars()
                )
                return self._statuses(connection, pks)

        # Digest subscriptions.

        def subscription_out(s: digest_store.Subscriber) -> SubscriptionOut:
            return SubscriptionOut(
                id=s.id, team=s.team, email=s.email, frequency=s.frequency,
                timezone=s.timezone, paused=s.paused,
            )  # fmt: skip

        def own_subscription(connection: Connection, org: Org, subscription: int) -> None:
            found = digest_store.subscribers(connection, subscription, org_pk=org.pk)
            if not found:
                not_found(f"subscription {subscription}")

        @api.get("/subscriptions", response_model=list[SubscriptionOut])
        def list_subscriptions(org: Auth) -> list[SubscriptionOut]:
            with self.engine.connect() as connection:
                return [
                    subscription_out(s) for s in digest_store.subscribers(connection, org_pk=org.pk)
                ]

        @api.post("/subscriptions", response_model=SubscriptionOut, status_code=201)
        def post_subscription(org: Auth, subscription: SubscriptionIn) -> SubscriptionOut:
            values = dump(subscription)
            self._apply([("subscriptions", [{"org": org.name, **values}])])
            with self.engine.connect() as connection:
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
            with self.engine.begin() as connection:
                own_subscription(connection, org, subscription)
                orgs.set_paused(connection, subscription, change.paused, self.clock())
                return subscription_out(digest_store.subscribers(connection, subscription)[0])

        @api.delete("/subscriptions/{subscription}", status_code=204)
        def delete_subscription(org: Auth, subscription: RowId) -> Response:
            with self.engine.begin() as connection:
                own_subscription(connection, org, subscription)
                orgs.unsubscribe(connection, subscription, self.clock())
            return Response(status_code=204)

        return api
