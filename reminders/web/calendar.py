"""GET /ics/{token}.ics: a coder's deadlines as a calendar to subscribe to: each body's CEU due
date, the last day before the credential is revoked once it is overdue, and the membership's
renewal, each with alarms. Evaluated afresh on every fetch, so it follows the data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from fastapi import APIRouter, Response
from sqlalchemy import Engine

from reminders import links
from reminders.db.facts import holders_with_email
from reminders.mail.message import Deadline, calendar
from reminders.notices.content import feed_events
from reminders.notices.ladder import Ladder
from reminders.rules.evaluate import evaluate
from reminders.rules.loader import Rulebook
from reminders.tokens import BadToken
from reminders.web.subjects import NotFound, resolve


class CalendarFeed:
    def __init__(
        self,
        engine: Engine,
        rulebook: Rulebook,
        ladder: Ladder,
        secret: bytes,
        clock: Callable[[], datetime],
        today: Callable[[], date],
    ) -> None:
        self.engine, self.rulebook, self.ladder = engine, rulebook, ladder
        self.secret, self.clock, self.today = secret, clock, today

    def deadlines(self, address: str) -> list[Deadline]:
        day = self.today()
        with self.engine.connect() as connection:
            holders = holders_with_email(connection, address)
        found = []
        for holder in sorted(holders.values(), key=lambda h: h.facts.holder_id):
            evaluations = evaluate(holder.facts, self.rulebook, day)[0]
            found += feed_events(holder.facts.holder_id, evaluations, self.ladder)
        return found

    def router(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)

        @router.get("/ics/{token}.ics")
        def feed(token: str) -> Response:
            try:
                with self.engine.connect() as connection:
                    subject = resolve(connection, self.secret, token, self.clock(), links.CALENDAR)
            except BadToken as exc:
                return Response(f"this link does not work: {exc}\n", 400, media_type="text/plain")
            except NotFound as exc:
                return Response(f"{exc}\n", 404, media_type="text/plain")
            body = calendar(self.deadlines(subject.address), self.clock(), "CEU deadlines")
            return Response(
                body,
                media_type="text/calendar; charset=utf-8",
                headers={"Content-Disposition": 'inline; filename="deadlines.ics"'},
            )

        return router
