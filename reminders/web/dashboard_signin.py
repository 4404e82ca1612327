"""Signing in to the team dashboard (web/sessions.py has the machinery):

GET  /dashboard                  (signed out) the form that asks for the subscribed address
POST /dashboard/sign-in          mails a sign-in link if the address has a subscription; the
                                 page says the same whether or not it has one
GET  /dashboard/sign-in/{token}  says whom the link signs in, with one button (a mail scanner
                                 that opens the link signs nobody in)
POST /dashboard/sign-in/{token}  signs in, once per link, and goes to the dashboard
POST /dashboard/sign-out         ends the session
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine

from reminders.db import dashboard as store
from reminders.tokens import BadToken
from reminders.web.limits import SharedRateLimiter
from reminders.web.sessions import LINK_VALID, Sessions
from reminders.web.signin_mail import SignInMail

Render = Callable[..., HTMLResponse]
LINKS_PER_HOUR = 5
"""Sign-in mails one address may be sent an hour (in a burst of as many): enough for a
mistyped try or two, too few to flood an inbox."""
REQUESTS_PER_MINUTE = 10
"""Sign-in requests a minute from one client address."""
MINUTES = int(LINK_VALID.total_seconds() // 60)
FORGED = (
    "This form came back without its security check (it was open too long, or it was sent"
    " from another site). Please try again."
)
NOT_AN_ADDRESS = "That is not an email address: type the address your digests come to."
TOO_MANY = "Too many sign-in requests from here: wait a few minutes, then try again."


def plausible(address: str) -> bool:
    """Enough of an address to look it up: one @, something on each side, no spaces."""
    local, at, domain = address.partition("@")
    if len(address) > 254 or any(c.isspace() for c in address):
        return False
    return bool(at and local and "." in domain and "@" not in domain)


class SignIn:
    def __init__(
        self,
        engine: Engine,
        sessions: Sessions,
        mailer: SignInMail,
        render: Render,
        base_url: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.engine, self.sessions, self.mailer = engine, sessions, mailer
        self.render, self.base_url, self.clock = render, base_url, clock
        self.per_client = SharedRateLimiter(engine, REQUESTS_PER_MINUTE)
        self.per_address = SharedRateLimiter(engine, LINKS_PER_HOUR / 60, burst=LINKS_PER_HOUR)

    def form(
        self, request: Request, status: int = 200, error: str | None = None, note: str = ""
    ) -> HTMLResponse:
        csrf, fresh = self.sessions.form_token(request)
        response = self.render("dashboard-signin.html", status, csrf=csrf, error=error, note=note)
        self.sessions.keep_form_cookie(response, fresh)
        return response

    def _confirm(
        self, request: Request, token: str, status: int = 200, error: str | None = None
    ) -> HTMLResponse:
        try:
            address = self.sessions.read_link(token)
        except BadToken as exc:
            return self._dead_link(str(exc))
        csrf, fresh = self.sessions.form_token(request)
        response = self.render("dashboard-confirm.html", status, address=address, csrf=csrf,
                               path=f"/dashboard/sign-in/{token}", error=error)  # fmt: skip
        self.sessions.keep_form_cookie(response, fresh)
        return response

    def _dead_link(self, reason: str) -> HTMLResponse:
        return self.render("dashboard-link.html", 400, reason=reason)

    def router(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)
        router.add_api_route("/dashboard/sign-in", self.again, methods=["GET"])
        router.add_api_route("/dashboard/sign-in", self.ask, methods=["POST"])
        router.add_api_route("/dashboard/sign-in/{token}", self.confirm, methods=["GET"])
        router.add_api_route("/dashboard/sign-in/{token}", self.sign_in, methods=["POST"])
        router.add_api_route("/dashboard/sign-out", self.sign_out, methods=["POST"])
        return router

    def again(self) -> Response:
        # The form's own address, reloaded or bookmarked after it was sent.
        return RedirectResponse("/dashboard", status_code=303)

    def ask(
        self,
        request: Request,
        background: BackgroundTasks,
        email: Annotated[str, Form()] = "",
        csrf: Annotated[str, Form()] = "",
    ) -> HTMLResponse:
        if not self.sessions.form_ok(request, csrf):
            return self.form(request, 403, FORGED)
        address = email.strip()
        if not plausible(address):
            return self.form(request, 422, NOT_AN_ADDRESS)
        client = request.client.host if request.client else "unknown"
        if self.per_client.wait(f"signin-from:{client}") > 0:
            return self.form(request, 429, TOO_MANY)
        # Asked of every address alike, so that the answer's timing tells nothing.
        allowed = self.per_address.wait(f"signin-to:{address.lower()}") == 0
        with self.engine.connect() as connection:
            subscriptions = store.subscriptions_of(connection, address)
        if subscriptions and allowed:
            to = subscriptions[0].email
            url = f"{self.base_url}/dashboard/sign-in/{self.sessions.link_token(to)}"
            scopes = [s.scope for s in subscriptions]
            background.add_task(self.mailer.send, to, url, scopes, self.clock())
        return self.render("dashboard-sent.html", address=address, minutes=MINUTES)

    def confirm(self, request: Request, token: str) -> HTMLResponse:
        return self._confirm(request, token)

    def sign_in(self, request: Request, token: str, csrf: Annotated[str, Form()] = "") -> Response:
        if not self.sessions.form_ok(request, csrf):
            return self._confirm(request, token, 403, FORGED)
        response = RedirectResponse("/dashboard", status_code=303)
        try:
            address = self.sessions.read_link(token)
            with self.engine.connect() as connection:
                if not store.subscriptions_of(connection, address):
                    return self._dead_link("this address has no digest subscription any more")
            self.sessions.redeem(token, response)
        except BadToken as exc:
            return self._dead_link(str(exc))
        return response

    def sign_out(self, request: Request, csrf: Annotated[str, Form()] = "") -> Response:
        session = self.sessions.current(request)
        if session is not None and not self.sessions.session_form_ok(request, session, csrf):
            return self.form(request, 403, FORGED)
        response = RedirectResponse("/dashboard?signed_out=1", status_code=303)
        self.sessions.end(request, response)
        return response
