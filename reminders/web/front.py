"""GET /: what this service is, and a link to every page it serves in this mode (the daemon
adds /metrics, the demo /mail, the admin port takes the API's documentation): read from the
application's own routes when the page is asked for, so that it never links a page that is
not there."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.routing import Match
from starlette.types import ASGIApp


@dataclass(frozen=True, slots=True)
class Page:
    path: str
    title: str
    what: str


PAGES = (
    Page("/dashboard", "Team dashboard", "For employers who receive compliance digests: where "
         "their team stands, member by member. Sign in with a link mailed to the subscribed "
         "address."),
    Page("/admin", "Operator page", "The outbox, failures, suppressions and scans, and a search "
         "by holder or address. For the service's operators."),
    Page("/mail", "Demo mail", "Every mail this demo has sent, caught here instead of delivered."),
    Page("/docs", "API documentation", "The HTTP API (/api/v1), to try out in the browser."),
    Page("/redoc", "API reference", "The same API, as a reference to read."),
    Page("/openapi.json", "OpenAPI document", "The API described for programs."),
    Page("/healthz", "Health", "Whether the service and its database answer (JSON)."),
    Page("/metrics", "Metrics", "Figures for Prometheus: scans, mail, the outbox, errors."),
)  # fmt: skip


def _served(app: ASGIApp, path: str) -> bool:
    """Whether a GET of `path` reaches a route of `app` (asked as Starlette routes itself)."""
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": [],
             "query_string": b""}  # fmt: skip
    return any(route.matches(scope)[0] == Match.FULL for route in getattr(app, "routes", ()))


class FrontPage:
    def __init__(self, render: Callable[..., HTMLResponse], admin_port: int | None) -> None:
        self.render, self.admin_port = render, admin_port

    def router(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)

        @router.get("/", response_class=HTMLResponse)
        def front(request: Request) -> HTMLResponse:
            pages = [page for page in PAGES if _served(request.app, page.path)]
            return self.render("front.html", pages=pages, admin_port=self.admin_port)

        return router


def announce(app: ASGIApp, base_url: str) -> str:
    """The pages `app` serves, as the start-up line names them: "Front page <url>, …"."""
    pages = [("Front page", "/")] + [
        (page.title, page.path) for page in PAGES if _served(app, page.path)
    ]
    return ", ".join(f"{title} {base_url}{path}" for title, path in pages)
