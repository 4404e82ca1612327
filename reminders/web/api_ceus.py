"""/api/v1/ceus and /api/v1/holders/{id}/ceus: CEU records, one or a thousand at a time.

(No `from __future__ import annotations` here: FastAPI reads the routes' annotations at run
time, and `Auth` is local to `routes`.)
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import Field
from sqlalchemy import delete, select

from reminders.db import events, scope
from reminders.db.models import CeuRecord
from reminders.imports.kinds import ceu_natural_key
from reminders.web.api_core import ApiCore
from reminders.web.schemas import (
    After,
    CeuBulk,
    CeuIn,
    CeuOut,
    CeuPage,
    Limit,
    Org,
    RowId,
    ceu_out,
    dump,
    invalid,
    not_found,
)


def routes(core: ApiCore, api: APIRouter) -> None:
    Auth = Annotated[Org, Depends(core.org)]

    @api.get("/holders/{holder_id}/ceus", response_model=CeuPage)
    def list_ceus(org: Auth, holder_id: str, limit: Limit = 100, after: After = 0) -> CeuPage:
        with core.engine.connect() as connection:
            pk = core.holder(connection, org, holder_id)
            rows = scope.ceus_page(connection, pk, after, limit)
        items = [ceu_out(row) for row in rows]
        return CeuPage(items=items, next=items[-1].id if len(items) == limit else None)

    @api.post("/ceus", response_model=CeuOut, status_code=201)
    def post_ceu(org: Auth, ceu: CeuIn) -> CeuOut:
        """Record one CEU (the columns of ceus.csv); the holder is re-planned at once."""
        return _store(core, org, [ceu], "")[0]

    @api.post("/ceus/bulk", response_model=CeuBulk, status_code=201)
    def post_ceus(
        org: Auth, ceus: Annotated[list[CeuIn], Field(min_length=1, max_length=1000)]
    ) -> CeuBulk:
        """Record up to 1,000 CEUs at once: all of them, or none and every problem."""
        return CeuBulk(items=_store(core, org, ceus, "items"))

    @api.get("/ceus/{ceu_id}", response_model=CeuOut)
    def get_ceu(org: Auth, ceu_id: RowId) -> CeuOut:
        with core.engine.connect() as connection:
            row = scope.ceu(connection, org.pk, ceu_id)
        if row is None:
            not_found(f"CEU record {ceu_id}")
        return ceu_out(row)

    @api.delete("/ceus/{ceu_id}", status_code=204)
    def delete_ceu(org: Auth, ceu_id: RowId) -> Response:
        with core.engine.begin() as connection:
            row = scope.ceu(connection, org.pk, ceu_id)
            if row is None:
                not_found(f"CEU record {ceu_id}")
            holder_pk = connection.execute(
                select(CeuRecord.holder_pk).where(CeuRecord.id == ceu_id)
            ).scalar_one()
            core.refuse_shared(connection, org, [holder_pk])
            connection.execute(delete(CeuRecord).where(CeuRecord.id == ceu_id))
            events.record(connection, [holder_pk], "api", core.clock())
        return Response(status_code=204)


def _store(core: ApiCore, org: Org, ceus: list[CeuIn], at: str) -> list[CeuOut]:
    """Record CEUs of holders in the organisation's scope, all or none; the stored records."""
    with core.engine.connect() as connection:
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
        core.refuse_shared(connection, org, [pk for pk in pks.values() if pk])
    core.apply(org, [("ceus", [dump(c) for c in ceus])], at)
    stored: list[CeuOut] = []
    with core.engine.connect() as connection:
        for c in ceus:
            pk = pks[c.holder_id]
            assert pk is not None
            key = ceu_natural_key(c.index_number or None, c.completed_on, c.title.strip())
            stored += [ceu_out(row) for row in scope.ceus_by_key(connection, pk, [key])]
    return stored
