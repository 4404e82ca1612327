"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, in a thread with its own event loop,
so that code under test can run its own loop (`asyncio.run`) as the command line does.

The handler keeps what it accepts, refuses `*@bounce.example.org` for good (550), and can answer the
next N messages with a temporary failure (451).
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    temporary_failures: int = 0
    delay: float = 0.0
    """Seconds each message takes the server to accept, to catch a sender mid-delivery."""
    sessions: int = 0
    """Connections the server has accepted."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.endswith("@bounce.example.org"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.temporary_failures > 0:
            self.temporary_failures -= 1
            return "451 4.3.0 Try again later"
        if self.delay:
            await asyncio.sleep(self.delay)
        self.raw.append(envelope.content)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


class SmtpServer:
    def __init__(self, tls: ssl.SSLContext | None = None, **smtp_options: Any) -> None:
        """`tls`: implicit TLS from the first byte (SMTPS); `smtp_options` go to aiosmtpd."""
        self.inbox = Inbox()
        self._tls = tls
        self._options = smtp_options
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self.port = 0

    def start(self, port: int = 0) -> SmtpServer:
        """Listen on `port` of 127.0.0.1 (0: a free one)."""
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._serve(port), self.loop)
        self.port = future.result(timeout=10)
        return self

    async def _serve(self, port: int) -> int:
        self._server = await self.loop.create_server(
            self._session,
            "127.0.0.1",
            port,
            ssl=self._tls,
        )
        return int(self._server.sockets[0].getsockname()[1])

    def _session(self) -> SMTP:
        self.inbox.sessions += 1
        return SMTP(self.inbox, hostname="localhost", **self._options)

    def stop(self) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()
