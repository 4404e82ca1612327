"""Delivery over SMTP with aiosmtplib: the only module that imports it.

A few connections, each reused for many messages, send in parallel; every failure becomes a
`SendError` that says whether trying again can help (4xx replies, connection trouble) or not
(5xx replies).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Self

import aiosmtplib

from reminders.mail.message import Envelope


class SendError(Exception):
    def __init__(self, message: str, permanent: bool, server: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.server = server
        """The mail server could not be reached: nothing is known of the message or address."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    security: str = "none"  # none, starttls or tls
    timeout: float = 30.0
    connections: int = 4


def _client(config: SmtpConfig) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(
        hostname=config.host,
        port=config.port,
        username=config.username,
        password=config.password,
        use_tls=config.security == "tls",
        start_tls=config.security == "starttls",
        tls_context=ssl.create_default_context() if config.security != "none" else None,
        timeout=config.timeout,
    )


async def _send_one(client: aiosmtplib.SMTP, envelope: Envelope) -> None:
    try:
        if not client.is_connected:
            await client.connect()
        await client.sendmail(envelope.sender, [envelope.recipient], envelope.data)
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [refused.code for refused in exc.recipients]
        raise SendError(f"recipient refused: {exc.recipients[0]}", min(codes) >= 500) from exc
    except aiosmtplib.SMTPResponseException as exc:
        raise SendError(f"{exc.code} {exc.message}", exc.code >= 500) from exc
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        client.close()
        raise SendError(
            f"cannot reach the mail server: {exc}", permanent=False, server=True
        ) from exc


async def _quit(client: aiosmtplib.SMTP) -> None:
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


Outcome = Callable[[int, SendError | None], Awaitable[None] | None]


MESSAGES_PER_CONNECTION = 100
"""A connection is closed and opened again after this many messages: some servers end longer
sessions, and a message sent on a connection the server has just dropped would only fail."""


class Connections:
    """Up to `config.connections` SMTP connections, each opened when first needed and reused for
    the messages after it, across as many `send_all` calls as the holder makes: a delivery pass
    of thousands of messages opens a few connections, not a few per batch."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._clients = [_client(config) for _ in range(config.connections)]
        self._sent = [0] * config.connections

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def close(self) -> None:
        for client in self._clients:
            if client.is_connected:
                await _quit(client)

    async def send_all(
        self, envelopes: Sequence[Envelope], outcome: Outcome | None = None
    ) -> list[SendError | None]:
        """Send every envelope over the connections; the outcome of each, in order (None:
        accepted by the server). `outcome` hears of each as it happens, and the connection
        waits for it before its next message, so that it can be recorded first."""
        outcomes: list[SendError | None] = [None] * len(envelopes)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(len(envelopes)):
            queue.put_nowait(index)

        async def worker(slot: int) -> None:
            client = self._clients[slot]
            while not queue.empty():
                index = queue.get_nowait()
                if self._sent[slot] >= MESSAGES_PER_CONNECTION and client.is_connected:
                    await _quit(client)
                if not client.is_connected:
                    self._sent[slot] = 0
                try:
                    await _send_one(client, envelopes[index])
                except SendError as error:
                    outcomes[index] = error
                self._sent[slot] += 1
                if outcome is not None:
                    heard = outcome(index, outcomes[index])
                    if heard is not None:
                        await heard

        used = min(len(self._clients), len(envelopes))
        await asyncio.gather(*(worker(slot) for slot in range(used)))
        return outcomes
