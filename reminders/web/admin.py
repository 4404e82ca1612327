"""The operators' page: what the service did and is doing, server-rendered, readable without
JavaScript. Signed in by web/admin_signin.py; every page below answers a signed-out visitor
with the sign-in form (or, for the actions, a redirect to it).

GET  /admin                         the outbox, recent failures, the last scans and the holders
                                    they left out, suppressions, the audit log, a search box
GET  /admin/search?q=               holders by id or address, and the messages to that address
GET  /admin/holders/{pk}            one holder's standing and every notice and message for them
GET  /admin/messages/{id}           one message: its log entry and what it said as sent
GET  /admin/suppressions?q=         every suppressed address (or those matching)
GET  /admin/suppressions/lift?address=   asks why; POST lifts it, recorded in the audit log
GET  /admin/audit                   the audit log

With REMINDERS_ADMIN_PORT set, these pages are served on the admin port only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine

from reminders.dashboard.member import history
from reminders.db import dashboard, maillog, operators, preferences
from reminders.db.facts import holders_by_pk
from reminders.mail.message import read_copy
from reminders.notices.ladder import Ladder
from reminders.notices.preferences import ladder_for
from reminders.notices.status_view import holder_view
from reminders.rules.loader import Rulebook
from reminders.web.admin_signin import AdminSignIn, Operator
from reminders.web.link_signin import FORGED

Render = Callable[..., HTMLResponse]
RECENT = 20
"""Failures, suppressions and audit entries the front page shows (each has a page of its own)."""
LISTED = 500
"""Rows a page of its own shows: suppressions, audit entries, messages of a search."""


class AdminPages:
    def __init__(
        self,
        engine: Engine,
        rulebook: Rulebook,
        ladder: Ladder,
        signin: AdminSignIn,
        render: Render,
        now: Callable[[], datetime],
        today: Callable[[], date],
        zone: str,
    ) -> None:
        self.engine, self.rulebook, self.ladder = engine, rulebook, ladder
        self.signin, self.now, self.today, self.zone = signin, now, today, zone
        self._render = render

    def render(self, name: str, who: Operator, status: int = 200, **context: object) -> Response:
        return self._render(name, status, operator=who, csrf=who.csrf, **context)

    def router(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)
        pages: dict[str, Callable[..., Response]] = {
            "/admin": self.home, "/admin/search": self.search,
            "/admin/holders/{pk}": self.holder, "/admin/messages/{message}": self.message,
            "/admin/suppressions": self.suppressions, "/admin/suppressions/lift": self.confirm_lift,
            "/admin/audit": self.audit,
        }  # fmt: skip
        for path, endpoint in pages.items():
            router.add_api_route(path, endpoint, methods=["GET"], response_class=HTMLResponse)
        router.add_api_route("/admin/suppressions/lift", self.lift, methods=["POST"])
        return router

    def _operator(self, request: Request) -> Operator | Response:
        who = self.signin.signed_in(request)
        if who is None:
            return RedirectResponse("/admin", status_code=303)
        return who

    def home(self, request: Request, signed_out: bool = False, lifted: str = "") -> Response:
        who = self.signin.signed_in(request)
        if who is None:
            return self.signin.form(request, note="You are signed out." if signed_out else "")
        now = self.now()
        with self.engine.connect() as connection:
            state = maillog.outbox_state(connection)
            due = maillog.due_unsent(connection, now)
            failed = maillog.messages(connection, status="failed", limit=RECENT)
            runs = operators.runs(connection, limit=10)
            left_out = operators.runs(connection, limit=3, left_out_only=True)
            suppressed = maillog.suppressions(connection)
            audited = maillog.audit_log(connection, limit=RECENT)
        return self.render(
            "admin-home.html", who, state=state, due=due, failed=failed, runs=runs,
            left_out=left_out, suppressed=suppressed[:RECENT], suppressed_count=len(suppressed),
            audited=audited, now=now, lifted=lifted,
        )  # fmt: skip

    def search(self, request: Request, q: str = "") -> Response:
        who = self._operator(request)
        if isinstance(who, Response):
            return who
        wanted = q.strip()
        found: list[operators.Found] = []
        sent: list[maillog.Logged] = []
        suppressed: list[maillog.Suppressed] = []
        if wanted:
            with self.engine.connect() as connection:
                found = operators.find_holders(connection, wanted)
                if "@" in wanted:
                    sent = maillog.messages(connection, to=wanted, limit=LISTED)
                    suppressed = maillog.suppressions(connection, wanted)
                else:
                    sent = maillog.messages(connection, holder_id=wanted, limit=LISTED)
        return self.render("admin-search.html", who, q=wanted, found=found, sent=sent,
                           suppressed=suppressed)  # fmt: skip

    def holder(self, request: Request, pk: int) -> Response:
        who = self._operator(request)
        if isinstance(who, Response):
            return who
        as_of = self.today()
        with self.engine.connect() as connection:
            holder = holders_by_pk(connection, [pk]).get(pk)
            if holder is None:
                return self.render("admin-missing.html", who, 404, what=f"holder {pk}")
            level = preferences.level_of(connection, holder.email)
            notices = dashboard.notices_of(connection, pk)
            sent = maillog.messages(connection, holder_pk=pk, limit=LISTED)
            suppressed = maillog.suppressions(connection, holder.email)
        view = holder_view(holder.full_name, holder.facts, self.rulebook,
                           ladder_for(self.ladder, level), as_of, third_person=True)  # fmt: skip
        zone = ZoneInfo(holder.timezone or self.zone)
        return self.render(
            "admin-holder.html", who, h=view, email=holder.email, level=level, as_of=as_of,
            notices=history(notices, zone), sent=sent, suppressed=suppressed,
        )  # fmt: skip

    def message(self, request: Request, message: int) -> Response:
        who = self._operator(request)
        if isinstance(who, Response):
            return who
        with self.engine.connect() as connection:
            found = maillog.messages(connection, ids=[message])
            copy = maillog.copy_of(connection, message)
        if not found:
            return self.render("admin-missing.html", who, 404, what=f"message {message}")
        text = None if copy is None else read_copy(copy)
        return self.render("admin-message.html", who, m=found[0], copy=text)

    def suppressions(self, request: Request, q: str = "") -> Response:
        who = self._operator(request)
        if isinstance(who, Response):
            return who
        with self.engine.connect() as connection:
            listed = maillog.suppressions(connection)
        wanted = q.strip().lower()
        shown = [s for s in listed if wanted in s.email.lower()] if wanted else listed
        return self.render("admin-suppressions.html", who, q=q.strip(), listed=shown[:LISTED],
                           matching=len(shown), total=len(listed))  # fmt: skip

    def confirm_lift(
        self, request: Request, address: str = "", status: int = 200, error: str | None = None
    ) -> Response:
        who = self._operator(request)
        if isinstance(who, Response):
            return who
        with self.engine.connect() as connection:
            found = maillog.suppressions(connection, address) if address.strip() else []
        if not found:
            return self.render("admin-missing.html", who, 404,
                               what=f"a suppression of {address or 'that address'}")  # fmt: skip
        return self.render("admin-lift.html", who, status, address=found[0].email, found=found,
                           error=error)  # fmt: skip

    def lift(
        self,
        request: Request,
        address: Annotated[str, Form()] = "",
        why: Annotated[str, Form()] = "",
        csrf: Annotated[str, Form()] = "",
    ) -> Response:
        who = self.signin.signed_in(request)
        if who is None:
            return RedirectResponse("/admin", status_code=303)
        session = self.signin.sessions.current(request)
        if session is None or not self.signin.sessions.session_form_ok(request, session, csrf):
            return self.confirm_lift(request, address, 403, FORGED)
        if not why.strip():
            return self.confirm_lift(request, address, 422, "Say why it is lifted: the audit "
                                     "log keeps it, for whoever asks later.")  # fmt: skip
        with self.engine.begin() as connection:
            lifted = maillog.lift(connection, address, who.shown, why.strip(), self.now())
        if not lifted:
            return self.render("admin-missing.html", who, 404, what=f"a suppression of {address}")
        return RedirectResponse(f"/admin?{urlencode({'lifted': address})}", status_code=303)

    def audit(self, request: Request) -> Response:
        who = self._operator(request)
        if isinstance(who, Response):
            return who
        with self.engine.connect() as connection:
            audited = maillog.audit_log(connection, limit=LISTED)
        return self.render("admin-audit.html", who, audited=audited)
