"""The HTTP application: the API, the pages behind the mail links and the calendar feed, and
/healthz; `reminders run` adds /metrics (and the demo's /mail) and serves it in its own event
loop, `reminders web` serves it alone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import uvicorn
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from reminders import __version__
from reminders.app import App
from reminders.db import apikeys
from reminders.errors import ReminderError
from reminders.web.admin import AdminPages
from reminders.web.admin_signin import AdminSignIn
from reminders.web.api import router
from reminders.web.api_core import ApiCore
from reminders.web.calendar import CalendarFeed
from reminders.web.dashboard import Dashboard
from reminders.web.dashboard_signin import SignIn
from reminders.web.deadline import HeaderDeadline
from reminders.web.docs import serve_docs
from reminders.web.front import FrontPage
from reminders.web.headers import SecurityHeaders
from reminders.web.hooks import Hooks
from reminders.web.limits import RequestGuard, SharedRateLimiter, unavailable_response
from reminders.web.pages import Pages
from reminders.web.sessions import LINK_VALID, Sessions
from reminders.web.signin_mail import SignInMail
from reminders.web.status_page import StatusPage

DESCRIPTION = """Recertification reminders for medical coders: an organisation's holders,
their credentials, memberships and CEU records, its teams and digest subscriptions, and where
everyone stands. Authenticate with `Authorization: Bearer <key>` (`reminders org create NAME`
prints a key); a key sees its own organisation and nothing else."""


class QuietServer(uvicorn.Server):
    """uvicorn without its own signal handling (which re-raises SIGTERM after shutting down,
    so the process would end by the signal): the caller owns SIGTERM and SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


KEEP_ALIVE_SECONDS = 5
"""An idle kept-alive connection is closed after this; headers that arrive too slowly are cut
off by REMINDERS_HTTP_HEADER_SECONDS (web.deadline)."""
GRACEFUL_SECONDS = 10
"""On SIGTERM, requests in flight get this long to finish."""


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound now: a port in use is a one-line error (ReminderError),
    before anything has started or announced itself."""
    try:
        return socket.create_server((host, port), reuse_port=False)
    except OSError as exc:
        raise ReminderError(
            f"cannot listen on {host} port {port} (REMINDERS_HTTP_HOST, REMINDERS_HTTP_PORT):"
            f" {os.strerror(exc.errno) if exc.errno else exc}"
        ) from exc


def http_server(app: FastAPI, header_seconds: float, **options: Any) -> QuietServer:
    """uvicorn as the service runs it: quiet, with its timeouts (web.deadline)."""
    return QuietServer(
        uvicorn.Config(
            app,
            log_level="warning",
            log_config=None,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            timeout_graceful_shutdown=GRACEFUL_SECONDS,
            http=HeaderDeadline.of(header_seconds),
            **options,
        )
    )


async def serve_until_stopped(
    web: FastAPI,
    host: str,
    port: int,
    sockets: list[socket.socket] | None = None,
    also: Sequence[tuple[FastAPI, socket.socket]] = (),
    header_seconds: float = HeaderDeadline.seconds,
) -> None:
    """Serve until SIGTERM or SIGINT, then finish the requests in flight and return; on
    `sockets` if given (bound already), else on `host` and `port`; and each application of
    `also` on its own bound socket (the admin port)."""
    servers = [(http_server(web, header_seconds, host=host, port=port), sockets)] + [
        (http_server(app, header_seconds), [bound]) for app, bound in also
    ]
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for each, _ in servers:
            each.should_exit = True

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop)
    await asyncio.gather(*(each.serve(sockets=bound) for each, bound in servers))


log = logging.getLogger("reminders.web")

FAILED_KEYS_PER_MINUTE = 30
"""API requests a minute one client address may make without a valid key."""

Health = Callable[[], tuple[bool, dict[str, object]]]
"""The daemon's own part of /healthz: whether it is healthy, and the facts to show."""


def build(app: App, health: Health | None = None) -> FastAPI:
    """The application over `app`'s database and settings; `health` adds the daemon's own
    facts to /healthz. With REMINDERS_ADMIN_PORT set, the API's documentation is left to the
    admin application (`admin`)."""
    documented = app.settings.admin_port is None
    web = FastAPI(
        title="reminders",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        openapi_url="/openapi.json" if documented else None,
        redoc_url=None,
    )
    if documented:
        serve_docs(web)
    engine, secret = app.engine, app.mail().secret
    # In the database: every web instance (and the daemon's own listener) shares the limits.
    limiter = SharedRateLimiter(engine, app.settings.api_rate_per_minute)

    def organisation_of(key: str) -> int | None:
        with engine.connect() as connection:
            return apikeys.organisation_of(connection, key)

    web.add_middleware(
        RequestGuard,
        max_body=app.settings.api_max_body_bytes,
        organisation_of=organisation_of,
        limiter=SharedRateLimiter(engine, FAILED_KEYS_PER_MINUTE),
    )
    web.add_middleware(SecurityHeaders)  # the outermost: on the guard's own answers too

    @web.exception_handler(OperationalError)
    @web.exception_handler(PoolTimeout)
    async def unavailable(request: Request, exc: Exception) -> Response:
        # The database is down, or locked past its busy timeout: a moment's trouble, not a
        # bug. Say so (503, Retry-After) instead of a 500 with a traceback.
        log.warning("%s %s: the database is not available: %s", request.method,
                    request.url.path, str(exc).splitlines()[0])  # fmt: skip
        return unavailable_response(request.url.path)

    @web.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # The default echoes each wrong value back ("input"): a 300 MB body came back whole.
        # Where and what is enough to fix it.
        problems = [
            {k: error[k] for k in ("loc", "msg", "type") if k in error} for error in exc.errors()
        ]
        return JSONResponse({"detail": jsonable_encoder(problems)}, status_code=422)

    web.include_router(
        router(
            ApiCore(engine, app.rulebook, app.ladder, app.now, app.today, limiter),
            app.webhook_rules(),
        )
    )
    pages = Pages(engine, secret, app.now)
    web.include_router(pages.router())
    web.include_router(FrontPage(pages.page, app.settings.admin_port).router())
    status = StatusPage(engine, app.rulebook, app.ladder, secret, app.settings.base_url, app.now,
                        app.today, pages.page, app.settings.self_report_pause_days)  # fmt: skip
    web.include_router(status.router())
    settings = app.settings
    postmark = settings.postmark_webhook_secret
    hooks = Hooks(engine, app.bounce_rules, app.now, settings.topics(),
                  postmark.get_secret_value() if postmark else None, app.sns)  # fmt: skip
    web.include_router(hooks.router())
    feed = CalendarFeed(engine, app.rulebook, app.ladder, secret, app.now, app.today)
    web.include_router(feed.router())
    # The operators' page is the admin port's, when there is one (`admin`).
    for each in signed_in_pages(app, pages.page, operators=documented):
        web.include_router(each)

    def database_answers() -> bool:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    @web.get("/healthz", include_in_schema=False)
    async def healthz(response: Response) -> dict[str, object]:
        database = await asyncio.to_thread(database_answers)
        healthy, extra = health() if health is not None else (True, {})
        healthy = healthy and database
        response.status_code = 200 if healthy else 503
        return {"status": "ok" if healthy else "unhealthy", "database": database, **extra}

    return web


def dashboard(app: App, render: Callable[..., HTMLResponse]) -> list[APIRouter]:
    """The team dashboard's routes: signing in by a mailed link, then the pages."""
    settings, secret = app.settings, app.mail().secret
    sessions = Sessions(app.engine, secret, app.now, "dashboard", settings.dashboard_session_hours,
                        settings.base_url)  # fmt: skip
    mailer = SignInMail(app.engine, app.renderer, app.smtp(), settings.mail_from,
                        int(LINK_VALID.total_seconds() // 60))  # fmt: skip
    signin = SignIn(app.engine, sessions, mailer, render, settings.base_url, app.now)
    pages = Dashboard(app.engine, app.rulebook, app.ladder, sessions, signin, render, app.today,
                      settings.timezone)  # fmt: skip
    return [signin.router(), pages.router()]


def signed_in_pages(
    app: App, render: Callable[..., HTMLResponse], operators: bool
) -> list[APIRouter]:
    """The pages one signs in to: the team dashboard, and the operators' page if asked."""
    return dashboard(app, render) + (operator_pages(app, render) if operators else [])


def operator_pages(app: App, render: Callable[..., HTMLResponse]) -> list[APIRouter]:
    """The operators' page, /admin: signing in by a token or a mailed link, then the pages."""
    settings, secret = app.settings, app.mail().secret
    sessions = Sessions(app.engine, secret, app.now, "admin", settings.admin_session_hours,
                        settings.base_url)  # fmt: skip
    mailer = SignInMail(app.engine, app.renderer, app.smtp(), settings.mail_from,
                        int(LINK_VALID.total_seconds() // 60), page="admin")  # fmt: skip
    signin = AdminSignIn(app.engine, sessions, mailer, render, settings.base_url, app.now,
                         settings.operators())  # fmt: skip
    pages = AdminPages(app.engine, app.rulebook, app.ladder, signin, render, app.now, app.today,
                       settings.timezone)  # fmt: skip
    return [signin.router(), pages.router()]


def admin(public: FastAPI, app: App) -> FastAPI:
    """The admin port's application: the public application's API documentation and the
    operators' page, to which the daemon adds /metrics. Nothing on it is reachable from the
    public port."""
    web = FastAPI(title="reminders admin", docs_url=None, redoc_url=None, openapi_url=None)
    for each in operator_pages(app, Pages(app.engine, app.mail().secret, app.now).page):
        web.include_router(each)
    schema = get_openapi(
        title="reminders", version=__version__, description=DESCRIPTION, routes=public.routes
    )

    @web.get("/openapi.json", include_in_schema=False)
    async def openapi() -> JSONResponse:
        return JSONResponse(schema)

    serve_docs(web)
    web.add_middleware(SecurityHeaders)
    return web
