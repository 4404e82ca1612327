"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, in a thread with its own event loop,
so that code under test can run its own loop (`asyncio.run`) as the command line does.

The handler keeps what it accepts, refuses `*@bounce.example.org` for good (550), can answer the
next N messages with a temporary failure (451), and can refuse at a stage: `refuse` maps
"greeting", "AUTH", "MAIL", "RCPT" or "DATA" to the reply the server gives there.
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
    refuse: dict[str, str] = field(default_factory=dict)
    senders: list[str] = field(default_factory=list)
    """The envelope sender (MAIL FROM) of each message, beside `messages`."""

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if "MAIL" in self.refuse:
            return self.refuse["MAIL"]
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if "RCPT" in self.refuse:
            return self.refuse["RCPT"]
        if address.endswith("@bounce.example.org"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if "DATA" in self.refuse:
            return self.refuse["DATA"]
        if self.temporary_failures > 0:
            self.temporary_failures -= 1
            return "451 4.3.0 Try again later"
        if self.delay:
            await asyncio.sleep(self.delay)
        self.raw.append(envelope.content)
        self.senders.append(envelope.mail_from)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


class _Refusing(asyncio.Protocol):
    """A server that refuses us before any message: at its greeting (RFC 5321 3.1: 554
    instead of 220), or at AUTH after an EHLO that offers it. Waits for QUIT after that."""

    def __init__(self, stage: str, reply: str) -> None:
        self.stage, self.reply = stage, reply

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        greeting = self.reply if self.stage == "greeting" else "220 localhost ESMTP"
        transport.write(f"{greeting}\r\n".encode())

    def data_received(self, data: bytes) -> None:
        command = data.upper()
        if command.startswith(b"QUIT"):
            self.transport.write(b"221 Bye\r\n")
            self.transport.close()
        elif command.startswith(b"EHLO") and self.stage == "AUTH":
            self.transport.write(b"250-localhost\r\n250 AUTH PLAIN LOGIN\r\n")
        elif command.startswith(b"AUTH") and self.stage == "AUTH":
            self.transport.write(f"{self.reply}\r\n".encode())
        else:
            self.transport.write(b"503 5.5.1 No service\r\n")


class SmtpServer:
    def __init__(self, tls: ssl.SSLContext | None = None, **smtp_options: Any) -> None:
        """`tls`: implicit TLS from the first byte (SMTPS); `smtp_options` go to aiosmtpd."""
        self.inbox = Inbox()
        self._tls = tls
        self._options = smtp_options
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self._protocols: list[asyncio.Protocol] = []
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

    def _session(self) -> asyncio.Protocol:
        self.inbox.sessions += 1
        protocol: asyncio.Protocol
        early = [stage for stage in ("greeting", "AUTH") if stage in self.inbox.refuse]
        if early:
            protocol = _Refusing(early[0], self.inbox.refuse[early[0]])
        else:
            protocol = SMTP(self.inbox, hostname="localhost", **self._options)
        self._protocols.append(protocol)
        return protocol

    def stop(self) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
            await self._server.wait_closed()
            # Sessions a client dropped without QUIT may still be open: close them too.
            for protocol in self._protocols:
                transport = getattr(protocol, "transport", None)
                if transport is not None and not transport.is_closing():
                    transport.close()
            await asyncio.sleep(0)

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()
