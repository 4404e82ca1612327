"""Sends a sign-in link (the team dashboard's, the operator page's), at once, from the web
process.

Not through the outbox: the link is worth something for fifteen minutes and only to the person
waiting for it, so it must not wait for the send window, the daily cap or the daemon's next
pass; if it does not arrive, its reader asks again. A suppressed address (it bounced, or its
owner reported our mail as spam) gets nothing, and the page says the same as ever. Each one,
sent or not, is on record for the mail log (db/sign_ins.py), its copy without the link's token."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from reminders.db import outbox, sign_ins
from reminders.logs import fingerprint
from reminders.mail.message import build
from reminders.mail.render import Renderer
from reminders.mail.smtp import Connections, SmtpConfig

log = logging.getLogger(__name__)


class SignInMail:
    def __init__(
        self,
        engine: Engine,
        renderer: Renderer,
        smtp: SmtpConfig,
        mail_from: str,
        minutes: int,
        page: str = "dashboard",
    ) -> None:
        self.engine, self.renderer, self.mail_from = engine, renderer, mail_from
        self.smtp = replace(smtp, connections=1)
        self.minutes, self.page = minutes, page

    def _suppressed(self, address: str) -> str | None:
        with self.engine.connect() as connection:
            return outbox.suppressed(connection, [address]).get(address)

    def _record(self, address: str, now: datetime, **outcome: Any) -> None:
        try:
            with self.engine.begin() as connection:
                sign_ins.record(connection, address, self.page, now, **outcome)
        except Exception:  # the mail went (or not) whatever the log says: the reader waits
            log.exception("sign-in mail to %s: cannot record it", fingerprint(address))

    async def send(self, address: str, url: str, scopes: Sequence[str], now: datetime) -> bool:
        """Whether the mail server took it; failures are logged, never raised (the page that
        asked has answered already)."""
        refusal = await asyncio.to_thread(self._suppressed, address)
        if refusal is not None:
            log.warning("sign-in link not sent to %s: the address is suppressed",
                        fingerprint(address))  # fmt: skip
            await asyncio.to_thread(
                self._record, address, now, reason=f"the address is suppressed: {refusal}"
            )
            return False
        rendered = self.renderer.render_sign_in(url, address, self.minutes, scopes, self.page)
        envelope = build(
            rendered, mail_from=self.mail_from, to_name="", to_address=address,
            keys=[url], unsubscribe_url=None, now=now,
        )  # fmt: skip
        async with Connections(self.smtp) as connections:
            [failure] = await connections.send_all([envelope])
        if failure is not None:
            log.warning("sign-in link to %s not sent: %s", fingerprint(address), failure)
            await asyncio.to_thread(self._record, address, now, error=str(failure))
            return False
        log.info("sign-in link sent to %s", fingerprint(address))
        await asyncio.to_thread(self._record, address, now, copy=envelope.copy())
        return True
