"""GET /s/{token}: a coder's personal status page, linked from every notice and from the
preference page. Each body's cycle and figures, every CEU and whether it counted (and why not),
the minimums, the pace and the notices still to come; evaluated afresh on every visit, so it
follows the data. Server-rendered, readable without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from reminders import links
from reminders.db import preferences, self_reports
from reminders.db.facts import holders_with_email
from reminders.mail.render import webcal
from reminders.notices.ladder import Ladder
from reminders.notices.preferences import CHOICES, ladder_for
from reminders.notices.status_view import HolderView, holder_view
from reminders.rules.evaluate import evaluate
from reminders.rules.facts import Submitted
from reminders.rules.loader import Rulebook
from reminders.tokens import BadToken
from reminders.web.subjects import NotFound, resolve

Render = Callable[..., HTMLResponse]
OPEN = ("on_track", "behind", "overdue")
"""The statuses a coder may say are submitted: not done by the records, not yet revoked."""


class StatusPage:
    def __init__(
        self,
        engine: Engine,
        rulebook: Rulebook,
        ladder: Ladder,
        secret: bytes,
        base_url: str,
        clock: Callable[[], datetime],
        today: Callable[[], date],
        render: Render,
        pause_days: int = 30,
    ) -> None:
        self.engine, self.rulebook, self.ladder = engine, rulebook, ladder
        self.secret, self.base_url = secret, base_url
        self.clock, self.today, self.render = clock, today, render
        self.pause_days = pause_days

    def views(self, address: str) -> tuple[list[HolderView], str]:
        """Everyone this address stands for (one person may be on two organisations' rosters),
        and the preference they chose."""
        as_of = self.today()
        with self.engine.connect() as connection:
            holders = holders_with_email(connection, address)
            level = preferences.level_of(connection, address)
        ladder = ladder_for(self.ladder, level)
        views = [
            holder_view(h.full_name, h.facts, self.rulebook, ladder, as_of)
            for h in sorted(holders.values(), key=lambda h: (h.facts.owner, h.facts.holder_id))
        ]
        return views, level

    def router(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)

        @router.get("/s/{token}", response_class=HTMLResponse)
        def status(token: str) -> HTMLResponse:
            now = self.clock()
            try:
                with self.engine.connect() as connection:
                    subject = resolve(connection, self.secret, token, now, links.STATUS)
            except BadToken as exc:
                return self.render("invalid.html", 400, reason=str(exc))
            except NotFound as exc:
                return self.render("invalid.html", 404, reason=str(exc))
            views, level = self.views(subject.address)
            address = subject.address
            calendar = links.calendar_url(self.base_url, self.secret, address, now)
            return self.render(
                "status.html",
                token=token,
                address=address,
                views=views,
                as_of=self.today(),
                level_words=CHOICES[level][0],
                # Relative: the page works on whatever host serves it; the feed is for copying.
                preferences_url=links.preferences_url("", self.secret, address, now),
                calendar_url=calendar,
                webcal_url=webcal(calendar),
            )

        @router.get("/s/{token}/submitted/{body}/{cycle}", response_class=HTMLResponse)
        def ask(token: str, body: str, cycle: str) -> HTMLResponse:
            return self._submitted(token, body, cycle, saving=False)

        @router.post("/s/{token}/submitted/{body}/{cycle}", response_class=HTMLResponse)
        def say(token: str, body: str, cycle: str) -> HTMLResponse:
            return self._submitted(token, body, cycle, saving=True)

        return router

    def _submitted(self, token: str, body: str, cycle: str, saving: bool) -> HTMLResponse:
        """ "I already submitted": GET asks (a link scanner changes nothing), POST records it,
        once per holder, body and cycle; only for a cycle the records show open."""
        now, as_of = self.clock(), self.today()
        try:
            with self.engine.connect() as connection:
                subject = resolve(connection, self.secret, token, now, links.STATUS)
            cycle_end = date.fromisoformat(cycle)
        except BadToken as exc:
            return self.render("invalid.html", 400, reason=str(exc))
        except NotFound as exc:
            return self.render("invalid.html", 404, reason=str(exc))
        except ValueError:
            return self.render("invalid.html", 404, reason="this link names no cycle")
        address = subject.address
        with self.engine.connect() as connection:
            holders = holders_with_email(connection, address)
        open_for = {}
        for pk, holder in holders.items():
            for e in evaluate(holder.facts, self.rulebook, as_of)[0]:
                if e.body == body and e.cycle_end == cycle_end and e.status in OPEN:
                    open_for[pk] = e
        said = next((e.submitted for e in open_for.values() if e.submitted), None)
        saved = False
        if saving and open_for and said is None:
            said = Submitted(as_of, as_of + timedelta(days=self.pause_days))
            with self.engine.begin() as connection:
                saved = self_reports.record(
                    connection, sorted(open_for), body, cycle_end, said.pause_until, now
                )
        state = "nothing" if not open_for else "done" if said else "ask"
        return self.render(
            "submitted.html",
            state=state,
            saved=saved,
            body=body[:16],
            cycle_end=cycle_end,
            reported_on=said.reported_on if said else None,
            pause_until=said.pause_until if said else None,
            pause_days=self.pause_days,
            as_of=as_of,
            path=f"/s/{token}/submitted/{body}/{cycle}",
            status_path=f"/s/{token}",
        )
