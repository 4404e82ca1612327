"""The team dashboard: what a digest subscriber sees in the browser, signed in by a mailed
link (web/dashboard_signin.py). Server-rendered, readable without JavaScript, evaluated afresh
on every visit.

GET /dashboard                                    the subscriptions of the signed-in address
                                                  (straight to the one, if there is one)
GET /dashboard/{subscription}?sort=&team=         counts by status, deadlines over the next
                                                  12 months, the teams, the members' table
GET /dashboard/{subscription}/members.csv         that table as CSV (formula injection
                                                  neutralised: digests/content.py)
GET /dashboard/{subscription}/members/{holder_id} one member: cycles, CEUs, minimums, and the
                                                  notices they were sent with their outcome

A subscription of another address, or a member outside the subscription's scope, is a 404
like a page that does not exist, whatever the address typed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine

from reminders.dashboard.chart import NARROW, WIDTH, deadline_chart
from reminders.dashboard.member import history
from reminders.dashboard.view import SORTS, ScopeView, order_of, scope_view
from reminders.db import dashboard as store
from reminders.db import digests, preferences, scope
from reminders.db.facts import holders_by_pk
from reminders.digests.content import LABELS, csv_bytes
from reminders.digests.mail import csv_name
from reminders.digests.service import scope_lines
from reminders.notices.ladder import Ladder
from reminders.notices.preferences import ladder_for
from reminders.notices.status_view import holder_view
from reminders.rules.loader import Rulebook
from reminders.web.dashboard_signin import SignIn
from reminders.web.sessions import Sessions

Render = Callable[..., HTMLResponse]


class Dashboard:
    def __init__(
        self,
        engine: Engine,
        rulebook: Rulebook,
        ladder: Ladder,
        sessions: Sessions,
        signin: SignIn,
        render: Render,
        today: Callable[[], date],
        zone: str,
    ) -> None:
        self.engine, self.rulebook, self.ladder = engine, rulebook, ladder
        self.sessions, self.signin, self.render = sessions, signin, render
        self.today, self.zone = today, zone

    def _signed_in(
        self, request: Request, subscription: str | None = None
    ) -> tuple[str, str, list[digests.Subscriber]] | Response:
        """The session's address, its CSRF secret and its subscriptions (only the one asked
        for, if one is: its id as the address has it); else the page to answer with."""
        session = self.sessions.current(request)
        if session is None:
            return RedirectResponse("/dashboard", status_code=303)
        with self.engine.connect() as connection:
            found = store.subscriptions_of(connection, session.email)
        if subscription is not None:
            found = [s for s in found if str(s.id) == subscription]
            if not found:
                return self.render("dashboard-missing.html", 404, csrf=session.csrf,
                                   address=session.email)  # fmt: skip
        return session.email, session.csrf, found

    def _view(self, subscriber: digests.Subscriber, sort: str, team: str) -> ScopeView:
        """The scope as of today, in the order and narrowed to the team the address asks."""
        as_of = self.today()
        with self.engine.connect() as connection:
            lines = list(scope_lines(connection, self.rulebook, subscriber, as_of))
        return scope_view(subscriber.scope, as_of, lines, order_of(sort), team or None)

    def router(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)
        page: dict[str, Callable[..., Response]] = {"/dashboard": self.home, "/dashboard/{subscription}": self.team,
                "/dashboard/{subscription}/members/{holder_id:path}": self.member}  # fmt: skip
        for path, endpoint in page.items():
            router.add_api_route(path, endpoint, methods=["GET"], response_class=HTMLResponse)
        csv_path = "/dashboard/{subscription}/members.csv"
        router.add_api_route(csv_path, self.download, methods=["GET"])
        return router

    def home(self, request: Request, signed_out: bool = False) -> Response:
        signed = self._signed_in(request)
        if isinstance(signed, Response):  # no session (all subscriptions are asked for)
            note = "You are signed out." if signed_out else ""
            return self.signin.form(request, note=note)
        address, csrf, subscriptions = signed
        if len(subscriptions) == 1:
            return RedirectResponse(f"/dashboard/{subscriptions[0].id}", status_code=303)
        return self.render("dashboard-home.html", address=address, csrf=csrf,
                           subscriptions=subscriptions)  # fmt: skip

    def team(self, request: Request, subscription: str, sort: str = "", team: str = "") -> Response:
        signed = self._signed_in(request, subscription)
        if isinstance(signed, Response):
            return signed
        address, csrf, [subscriber] = signed
        view = self._view(subscriber, sort, team)
        shown = [row.line for row in view.rows]
        return self.render(
            "dashboard-team.html", address=address, csrf=csrf, s=subscriber, v=view,
            charts=[deadline_chart(shown, view.as_of, width) for width in (WIDTH, NARROW)],
            sorts=SORTS, labels=LABELS,
            base=f"/dashboard/{subscriber.id}",
        )  # fmt: skip

    def download(
        self, request: Request, subscription: str, sort: str = "", team: str = ""
    ) -> Response:
        signed = self._signed_in(request, subscription)
        if isinstance(signed, Response):
            return signed
        _, _, [subscriber] = signed
        view = self._view(subscriber, sort, team)
        name = csv_name(subscriber.scope if view.team is None else view.team, view.as_of)
        return Response(
            csv_bytes(row.line for row in view.rows),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )

    def member(self, request: Request, subscription: str, holder_id: str) -> Response:
        signed = self._signed_in(request, subscription)
        if isinstance(signed, Response):
            return signed
        address, csrf, [subscriber] = signed
        as_of = self.today()
        with self.engine.connect() as connection:
            pk = store.member(connection, subscriber, holder_id)
            if pk is None:
                return self.render("dashboard-missing.html", 404, csrf=csrf, address=address)
            holder = holders_by_pk(connection, [pk])[pk]
            level = preferences.level_of(connection, holder.email)
            teams = scope.teams_of(connection, subscriber.org_pk, [pk])[pk]
            sent = store.notices_of(connection, pk)
        view = holder_view(holder.full_name, holder.facts, self.rulebook,
                           ladder_for(self.ladder, level), as_of, third_person=True)  # fmt: skip
        zone = ZoneInfo(subscriber.timezone or self.zone)
        return self.render(
            "dashboard-member.html", address=address, csrf=csrf, s=subscriber, h=view,
            email=holder.email, teams=teams, as_of=as_of, notices=history(sent, zone),
            base=f"/dashboard/{subscriber.id}",
        )  # fmt: skip
