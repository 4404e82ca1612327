"""What the API's routes share: the organisation a key belongs to, the holders and teams in
its scope, writes as imports, and the shapes of holders and statuses (reminders.web.api).

(No `from __future__ import annotations` here: FastAPI reads `org`'s annotations at run time.)
"""

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, Engine, select

from reminders.db import apikeys, orgs, scope
from reminders.db.facts import holders_by_pk
from reminders.db.models import Organisation
from reminders.imports.fields import CONTROL
from reminders.imports.runner import Rejected, import_objects
from reminders.notices.ladder import Ladder
from reminders.notices.preferences import Ladders
from reminders.rules.evaluate import evaluate
from reminders.rules.loader import Rulebook
from reminders.status import as_json
from reminders.web.limits import SharedRateLimiter
from reminders.web.schemas import HolderOut, HolderPage, Org, invalid, not_found, ref

SHARED = (
    "this holder is on the operator's roster and shared with another organisation: their "
    "records come from the operator's imports, and are read-only here"
)


class ApiCore:
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

    def holder(self, connection: Connection, org: Org, holder_id: str) -> int:
        """The row id of a holder in the organisation's scope; 404 for any other."""
        pk = scope.holder(connection, org.pk, ref(holder_id, "holder"))
        if pk is None:
            not_found(f"holder {holder_id!r}")
        return pk

    def writable(self, connection: Connection, org: Org, holder_id: str) -> int:
        """As `holder`, for a write: 403 for a holder the operator shares with another
        organisation (either could otherwise rename, re-address or strip the other's)."""
        pk = self.holder(connection, org, holder_id)
        self.refuse_shared(connection, org, [pk])
        return pk

    def refuse_shared(self, connection: Connection, org: Org, pks: list[int]) -> None:
        """403 if any of these holders (in the organisation's scope) is one the operator
        shares with another organisation: theirs to read, not to change."""
        if scope.shared(connection, org.pk, pks):
            raise HTTPException(403, SHARED)

    def team(self, connection: Connection, org: Org, team: str) -> int:
        pk = orgs.team(connection, org.pk, ref(team, "team"))
        if pk is None:
            not_found(f"team {team!r}")
        return pk

    def apply(
        self,
        org: Org,
        batches: Sequence[tuple[str, Sequence[Mapping[str, Any]]]],
        at: str = "",
        guard: Callable[[Connection], None] | None = None,
    ) -> None:
        """Write as an import of the organisation's would (its holders, `owner`); a 422 with
        every problem otherwise, and nothing written."""
        try:
            import_objects(self.engine, self.rulebook, batches, self.clock(), guard, org.pk)
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

    def holders_out(
        self, connection: Connection, org: Org, rows: list[scope.HolderRow]
    ) -> list[HolderOut]:
        pks = [row.pk for row in rows]
        teams = scope.teams_of(connection, org.pk, pks)
        shared = scope.shared(connection, org.pk, pks)
        return [
            HolderOut(
                holder_id=row.holder_id,
                full_name=row.full_name,
                email=row.email,
                timezone=row.timezone,
                teams=teams[row.pk],
                shared=row.pk in shared,
            )
            for row in rows
        ]

    def holder_out(self, org: Org, holder_id: str) -> HolderOut:
        with self.engine.connect() as connection:
            pk = self.holder(connection, org, holder_id)
            return self.holders_out(connection, org, scope.holder_rows(connection, [pk]))[0]

    def holders_page(self, org: Org, limit: int, after: str, team: str | None) -> HolderPage:
        if CONTROL.search(after):
            invalid([(["after"], "is not a holder_id")])
        with self.engine.connect() as connection:
            team_pk = None if team is None else self.team(connection, org, team)
            rows = scope.holders_page(connection, org.pk, team_pk, after, limit)
            items = self.holders_out(connection, org, rows)
        return HolderPage(items=items, next=items[-1].holder_id if len(items) == limit else None)

    def statuses(self, connection: Connection, pks: list[int]) -> list[dict[str, Any]]:
        day = self.today()
        holders = holders_by_pk(connection, pks)
        found = []
        for holder in sorted(holders.values(), key=lambda h: h.facts.holder_id):
            found += [as_json(e) for e in evaluate(holder.facts, self.rulebook, day)[0]]
        return found
