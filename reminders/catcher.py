"""The demo mail catcher: an SMTP server that keeps every mail it is given as an .eml file and
pages to read them (/mail, /mail/N, and /mail.json for scripts). `reminders run --demo` runs it
inside the daemon, on the daemon's HTTP listener; `reminders catcher` runs it alone, as the mail
server of the compose stack (docker-compose.yml)."""

from __future__ import annotations

import asyncio
import html
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP
from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, RedirectResponse

SAFE = re.compile(r"[^A-Za-z0-9@._-]")

# aiosmtpd logs every SMTP command at INFO: a dozen lines a mail that would bury the service's own
# (logs.setup_logging keeps it at WARNING unless --verbose; this holds before it is called).
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass
class Caught:
    number: int
    path: Path
    message: EmailMessage

    def summary(self) -> dict[str, object]:
        m = self.message
        return {
            "number": self.number,
            "to": str(m["To"] or ""),
            "subject": str(m["Subject"] or ""),
            "date": str(m["Date"] or ""),
            "message_id": str(m["Message-ID"] or ""),
            "file": self.path.name,
        }


def _parse(content: bytes) -> EmailMessage:
    parsed = message_from_bytes(content, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@dataclass
class Catcher:
    folder: Path
    caught: list[Caught] = field(default_factory=list)

    def load(self) -> None:
        """Take up the mail a previous run left in the folder, so a restart keeps the list."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for path in sorted(self.folder.glob("*.eml")):
            self.caught.append(Caught(len(self.caught) + 1, path, _parse(path.read_bytes())))

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        number = len(self.caught) + 1
        recipient = SAFE.sub("_", ",".join(envelope.rcpt_tos))[:100]
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = self.folder / f"{stamp}-{number:05d}-{recipient}.eml"
        path.write_bytes(envelope.content)
        self.caught.append(Caught(number, path, _parse(envelope.content)))
        return "250 OK: caught"

    async def serve(self, host: str, port: int) -> asyncio.base_events.Server:
        self.load()
        loop = asyncio.get_running_loop()
        return await loop.create_server(lambda: SMTP(self, hostname="reminders-demo"), host, port)

    def routes(self, api: FastAPI) -> None:
        @api.get("/mail", response_class=HTMLResponse, include_in_schema=False)
        async def inbox() -> str:
            rows = "".join(
                f"<tr><td>{c.number}</td><td>{html.escape(str(c.message['To']))}</td>"
                f'<td><a href="/mail/{c.number}">{html.escape(str(c.message["Subject"]))}</a></td>'
                f"<td>{html.escape(str(c.message['Date']))}</td></tr>"
                for c in reversed(self.caught)
            )
            return (
                "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Demo mail</title>"
                "</head><body><h1>Mail caught by the demo</h1>"
                f"<p>{len(self.caught)} messages, also saved in {html.escape(str(self.folder))}.</p>"
                "<table><tr><th>#</th><th>To</th><th>Subject</th><th>Date</th></tr>"
                f"{rows}</table></body></html>"
            )

        @api.get("/mail.json", include_in_schema=False)
        async def listing() -> list[dict[str, object]]:
            return [c.summary() for c in self.caught]

        @api.get("/mail/{number}", response_class=HTMLResponse, include_in_schema=False)
        async def one(number: int) -> str:
            if not 1 <= number <= len(self.caught):
                raise HTTPException(status_code=404)
            body = self.caught[number - 1].message.get_body(("html",))
            if body is None:
                raise HTTPException(status_code=404)
            return str(body.get_content())

    def app(self) -> FastAPI:
        """The pages on a listener of their own (`reminders catcher`), with a health check."""
        api = FastAPI(title="reminders mail catcher", docs_url=None, redoc_url=None)
        self.routes(api)

        @api.get("/", include_in_schema=False)
        async def home() -> RedirectResponse:
            return RedirectResponse("/mail")

        @api.get("/healthz", include_in_schema=False)
        async def healthz() -> dict[str, object]:
            return {"status": "ok", "caught": len(self.caught)}

        return api
