"""Signing in to the operators' page, /admin (web/sessions.py has the machinery), by either
of two ways:

- **a token** from `reminders admin token create`, typed into the form (POST, never in a URL,
  so it stays out of logs and history); a session it opened ends when it is revoked;
- **a link** mailed to an address of REMINDERS_ADMIN_EMAILS, with the pages the team dashboard
  uses (web/link_signin.py); a session it opened ends when the address leaves the setting.

POST /admin/sign-in/token    signs in with a token; the other routes are web/link_signin.py's

Every sign-in is written to the audit log. Tries of a token are rate-limited per client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from reminders.db import maillog, operators
from reminders.web.link_signin import FORGED, TOO_MANY, LinkSignIn, Render
from reminders.web.sessions import Sessions
from reminders.web.signin_mail import SignInMail

log = logging.getLogger(__name__)
WRONG_TOKEN = "That token does not sign in: it is mistyped, or it was revoked."
NO_LONGER = "this address is no longer an operator's (REMINDERS_ADMIN_EMAILS)"


@dataclass(frozen=True, slots=True)
class Operator:
    """Who is signed in: `actor` as sessions name them, `shown` in words (pages, the audit
    log), and the session's CSRF secret."""

    actor: str
    shown: str
    csrf: str


class AdminSignIn(LinkSignIn):
    page = "admin"
    not_an_address = "That is not an email address: type your operator address."

    def __init__(
        self,
        engine: Engine,
        sessions: Sessions,
        mailer: SignInMail,
        render: Render,
        base_url: str,
        clock: Callable[[], datetime],
        operators: frozenset[str],
    ) -> None:
        super().__init__(engine, sessions, mailer, render, base_url, clock)
        self.operators = operators

    def recipient(self, address: str) -> tuple[str, Sequence[str]] | None:
        return (address.lower(), []) if address.lower() in self.operators else None

    def refusal(self, address: str) -> str | None:
        return None if address.lower() in self.operators else NO_LONGER

    def signed_in_by_link(self, address: str, request: Request) -> None:
        with self.engine.begin() as connection:
            maillog.audit(connection, address, "admin.sign-in", address,
                          f"with a mailed link, from {self.client(request)}", self.clock())  # fmt: skip

    def form_context(self) -> dict[str, object]:
        return {"by_mail": bool(self.operators)}

    def signed_in(self, request: Request) -> Operator | None:
        """The operator of this request's session, if they still may: its token not
        revoked, its address still listed."""
        session = self.sessions.current(request)
        if session is None:
            return None
        who = session.email
        if who.startswith("token:"):
            with self.engine.connect() as connection:
                token = operators.active(connection, int(who.removeprefix("token:")))
            return None if token is None else Operator(who, token.shown, session.csrf)
        return Operator(who, who, session.csrf) if who.lower() in self.operators else None

    def router(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)
        # Before the link's routes: /admin/sign-in/{token} would take "token" for a link.
        router.add_api_route("/admin/sign-in/token", self.with_token, methods=["POST"])
        router.include_router(super().router())
        return router

    def with_token(
        self,
        request: Request,
        token: Annotated[str, Form()] = "",
        csrf: Annotated[str, Form()] = "",
    ) -> Response:
        if not self.sessions.form_ok(request, csrf):
            return self.form(request, 403, FORGED)
        client = self.client(request)
        if self.per_client.wait(f"admin-signin-from:{client}") > 0:
            return self.form(request, 429, TOO_MANY)
        response = RedirectResponse("/admin", status_code=303)
        with self.engine.begin() as connection:
            found = operators.token_id(connection, token.strip())
            line = None if found is None else operators.active(connection, found)
            if line is None:
                log.warning("/admin: a wrong token from %s", client)
                return self.form(request, 403, WRONG_TOKEN)
            self.sessions.start(connection, operators.actor(line.id), response)
            maillog.audit(connection, line.shown, "admin.sign-in", f"token {line.id}",
                          f"with a token, from {client}", self.clock())  # fmt: skip
        return response
