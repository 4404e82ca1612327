"""The pages behind every mail's links, small and accessible, with no JavaScript.

GET  /u/{token}   confirms what unsubscribing does, with one button (a link scanner that
                  fetches the page changes nothing)
POST /u/{token}   RFC 8058 one-click unsubscribe: no cookie, no login. For notices it keeps
                  only the final notices (those cannot be silenced); for a digest it pauses it.
GET  /p/{token}   the preference page: all notices, fewer, or only the final ones
POST /p/{token}   saves the choice
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import Engine

from reminders import links
from reminders.db import alerts, leads, orgs, preferences
from reminders.digests.content import ceus
from reminders.notices.preferences import CHOICES, DEFAULT, LEVELS
from reminders.resources import templates_dir
from reminders.tokens import BadToken
from reminders.web.subjects import NotFound, Subject, resolve
from reminders.words import day, days, when


def utc(moment: datetime | None) -> str:
    """A moment as the operators' pages show it: UTC, to the minute."""
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


class Pages:
    def __init__(self, engine: Engine, secret: bytes, clock: Callable[[], datetime]) -> None:
        self.engine, self.secret, self.clock = engine, secret, clock
        self.templates = Environment(
            loader=FileSystemLoader(templates_dir() / "web"),
            undefined=StrictUndefined,
            autoescape=select_autoescape(["html"]),
        )
        self.templates.filters.update(ceus=ceus, day=day, days=days, when=when, utc=utc)

    def page(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.templates.get_template(name).render(choices=CHOICES, **context)
        return HTMLResponse(html, status_code=status)

    def subject(self, token: str) -> Subject | HTMLResponse:
        try:
            with self.engine.connect() as connection:
                return resolve(connection, self.secret, token, self.clock())
        except BadToken as exc:
            return self.page("invalid.html", 400, reason=str(exc))
        except NotFound as exc:
            return self.page("invalid.html", 404, reason=str(exc))

    def router(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)

        @router.get("/u/{token}", response_class=HTMLResponse)
        def confirm(token: str) -> HTMLResponse:
            subject = self.subject(token)
            if isinstance(subject, HTMLResponse):
                return subject
            return self.page("unsubscribe.html", subject=subject, token=token, done=False)

        @router.post("/u/{token}", response_class=HTMLResponse)
        def unsubscribe(token: str) -> HTMLResponse:
            subject = self.subject(token)
            if isinstance(subject, HTMLResponse):
                return subject
            now = self.clock()
            with self.engine.begin() as connection:
                if subject.lead is not None:
                    leads.mute(connection, subject.lead.team_pk, subject.address)
                elif subject.subscriber is not None and subject.alerts:
                    alerts.set_alerts(connection, subject.subscriber.id, "none", now)
                elif subject.subscriber is not None:
                    orgs.set_paused(connection, subject.subscriber.id, True, now)
                else:
                    preferences.choose(connection, subject.address, "final", now)
            return self.page("unsubscribe.html", subject=subject, token=token, done=True)

        @router.get("/p/{token}", response_class=HTMLResponse)
        def show(token: str) -> HTMLResponse:
            return self._preferences(token, None)

        @router.post("/p/{token}", response_class=HTMLResponse)
        def save(token: str, level: Annotated[str, Form()] = "") -> HTMLResponse:
            return self._preferences(token, level)

        return router

    def _preferences(self, token: str, chosen: str | None) -> HTMLResponse:
        subject = self.subject(token)
        if isinstance(subject, HTMLResponse):
            return subject
        if subject.subscriber is not None or subject.lead is not None:
            # An employer's link: its own confirmation page, never a coder's preferences.
            return self.page("unsubscribe.html", subject=subject, token=token, done=False)
        if chosen is not None and chosen not in LEVELS:
            with self.engine.connect() as connection:
                level = preferences.level_of(connection, subject.address)
            return self.page(
                "preferences.html", 422, subject=subject, token=token, level=level,
                saved=False, error="Choose one of the three options.",
                status_path=self._status_path(subject),
            )  # fmt: skip
        with self.engine.begin() as connection:
            if chosen is not None:
                preferences.choose(connection, subject.address, chosen, self.clock())
            level = preferences.level_of(connection, subject.address)
        return self.page(
            "preferences.html", subject=subject, token=token, level=level or DEFAULT,
            saved=chosen is not None, error=None, status_path=self._status_path(subject),
        )  # fmt: skip

    def _status_path(self, subject: Subject) -> str:
        """The coder's status page, from their preference page (a link of its own kind)."""
        return links.status_url("", self.secret, subject.address, self.clock())
