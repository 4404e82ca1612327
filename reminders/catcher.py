"""The demo mail catcher: an SMTP server inside `reminders run --demo` that keeps every mail as
an .eml file under var/mail/, and pages on the daemon's HTTP listener to read them (/mail)."""

from __future__ import annotations

import asyncio
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP
from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse

SAFE = re.compile(r"[^A-Za-z0-9@._-]")


@dataclass
class Caught:
    number: int
    path: Path
    message: EmailMessage


@dataclass
class Catcher:
    folder: Path
    caught: list[Caught] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        number = len(self.caught) + 1
        recipient = SAFE.sub("_", ",".join(envelope.rcpt_tos))
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = self.folder / f"{stamp}-{number:05d}-{recipient}.eml"
        path.write_bytes(envelope.content)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.caught.append(Caught(number, path, parsed))
        return "250 OK: caught"

    async def serve(self, host: str, port: int) -> asyncio.base_events.Server:
        self.folder.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        return await loop.create_server(lambda: SMTP(self, hostname="reminders-demo"), host, port)

    def routes(self, api: FastAPI) -> None:
        @api.get("/mail", response_class=HTMLResponse)
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

        @api.get("/mail/{number}", response_class=HTMLResponse)
        async def one(number: int) -> str:
            if not 1 <= number <= len(self.caught):
                raise HTTPException(status_code=404)
            body = self.caught[number - 1].message.get_body(("html",))
            if body is None:
                raise HTTPException(status_code=404)
            return str(body.get_content())
