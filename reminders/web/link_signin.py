"""The pages of signing in by a mailed link, shared by the pages that need a sign-in (the team
dashboard, the operators' page; web/sessions.py has the machinery). For a page `P`:

GET  /P/sign-in          the form's own address, reloaded after it was sent: back to /P
POST /P/sign-in          mails a link if the address may sign in; the page says the same
                         whether or not it may (the form does not tell who may)
GET  /P/sign-in/{token}  says whom the link signs in, with one button (a mail scanner that
                         opens the link signs nobody in)
POST /P/sign-in/{token}  signs in, once per link, and goes to /P
POST /P/sign-out         ends the session

Templates: `P-signin.html` (the form), `P-sent.html`, `P-confirm.html`, `P-link.html` (a link
that does not work). A subclass says who may sign in and to whom the link goes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine

from reminders.tokens import BadToken
from reminders.web.limits import SharedRateLimiter
from reminders.web.sessions import LINK_VALID, Sessions
from reminders.web.signin_mail import SignInMail

Render = Callable[..., HTMLResponse]
LINKS_PER_HOUR = 5
"""Sign-in mails one address may be sent an hour (in a burst of as many): enough for a
mistyped try or two, too few to flood an inbox."""
REQUESTS_PER_MINUTE = 10
"""Sign-in requests (and tries of a token) a minute from one client address."""
MINUTES = int(LINK_VALID.total_seconds() // 60)
FORGED = (
    "This form came back without its security check (it was open too long, or it was sent"
    " from another site). Please try again."
)
TOO_MANY = "Too many sign-in requests from here: wait a few minutes, then try again."


def plausible(address: str) -> bool:
    """Enough of an address to look it up: one @, something on each side, no spaces."""
    local, at, domain = address.partition("@")
    if len(address) > 254 or any(c.isspace() for c in address):
        return False
    return bool(at and local and "." in domain and "@" not in domain)


class LinkSignIn:
    page = ""
    """The page's name: its path (/dashboard) and its templates' prefix."""
    not_an_address = "That is not an email address."

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

    # What a page says.

    def recipient(self, address: str) -> tuple[str, Sequence[str]] | None:
        """Where a link asked for by `address` goes (the address as the records spell it) and
        what it opens, in words for the mail; None if the address may not sign in."""
        raise NotImplementedError

    def refusal(self, address: str) -> str | None:
        """Why a genuine link of `address` no longer signs in, if it does not."""
        return None

    def signed_in_by_link(self, address: str, request: Request) -> None:
        """Told of each sign-in by a link, once its session has started."""

    def form_context(self) -> dict[str, object]:
        return {}

    # The pages.

    def form(
        self, request: Request, status: int = 200, error: str | None = None, note: str = ""
    ) -> HTMLResponse:
        csrf, fresh = self.sessions.form_token(request)
        response = self.render(f"{self.page}-signin.html", status, csrf=csrf, error=error,
                               note=note, **self.form_context())  # fmt: skip
        self.sessions.keep_form_cookie(response, fresh)
        return response

    def client(self, request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def router(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)
        base = f"/{self.page}"
        router.add_api_route(f"{base}/sign-in", self.again, methods=["GET"])
        router.add_api_route(f"{base}/sign-in", self.ask, methods=["POST"])
        router.add_api_route(f"{base}/sign-in/{{token}}", self.confirm, methods=["GET"])
        router.add_api_route(f"{base}/sign-in/{{token}}", self.sign_in, methods=["POST"])
        router.add_api_route(f"{base}/sign-out", self.sign_out, methods=["POST"])
        return router

    def again(self) -> Response:
        return RedirectResponse(f"/{self.page}", status_code=303)

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
            return self.form(request, 422, self.not_an_address)
        if self.per_client.wait(f"{self.page}-signin-from:{self.client(request)}") > 0:
            return self.form(request, 429, TOO_MANY)
        # Asked of every address alike, so that the answer's timing tells nothing.
        allowed = self.per_address.wait(f"{self.page}-signin-to:{address.lower()}") == 0
        recipient = self.recipient(address)
        if recipient is not None and allowed:
            to, opens = recipient
            url = f"{self.base_url}/{self.page}/sign-in/{self.sessions.link_token(to)}"
            background.add_task(self.mailer.send, to, url, opens, self.clock())
        return self.render(f"{self.page}-sent.html", address=address, minutes=MINUTES)

    def confirm(
        self, request: Request, token: str, status: int = 200, error: str | None = None
    ) -> HTMLResponse:
        try:
            address = self.sessions.read_link(token)
        except BadToken as exc:
            return self.dead_link(str(exc))
        csrf, fresh = self.sessions.form_token(request)
        response = self.render(f"{self.page}-confirm.html", status, address=address, csrf=csrf,
                               path=f"/{self.page}/sign-in/{token}", error=error)  # fmt: skip
        self.sessions.keep_form_cookie(response, fresh)
        return response

    def dead_link(self, reason: str) -> HTMLResponse:
        return self.render(f"{self.page}-link.html", 400, reason=reason)

    def sign_in(self, request: Request, token: str, csrf: Annotated[str, Form()] = "") -> Response:
        if not self.sessions.form_ok(request, csrf):
            return self.confirm(request, token, 403, FORGED)
        response = RedirectResponse(f"/{self.page}", status_code=303)
        try:
            address = self.sessions.read_link(token)
            refused = self.refusal(address)
            if refused is not None:
                return self.dead_link(refused)
            self.sessions.redeem(token, response)
        except BadToken as exc:
            return self.dead_link(str(exc))
        self.signed_in_by_link(address, request)
        return response

    def sign_out(self, request: Request, csrf: Annotated[str, Form()] = "") -> Response:
        session = self.sessions.current(request)
        if session is not None and not self.sessions.session_form_ok(request, session, csrf):
            return self.form(request, 403, FORGED)
        response = RedirectResponse(f"/{self.page}?signed_out=1", status_code=303)
        self.sessions.end(request, response)
        return response
