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

import aiosmtplib

from reminders.mail.message import Envelope


class SendError(Exception):
    def __init__(self, message: str, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


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
        raise SendError(f"cannot reach the mail server: {exc}", permanent=False) from exc


Outcome = Callable[[int, SendError | None], Awaitable[None] | None]


async def send_all(
    config: SmtpConfig, envelopes: Sequence[Envelope], outcome: Outcome | None = None
) -> list[SendError | None]:
    """Send every envelope over at most `config.connections` reused connections; the outcome
    of each, in order (None: accepted by the server). `outcome` hears of each as it happens, so
    that it can be recorded before the next one goes out."""
    outcomes: list[SendError | None] = [None] * len(envelopes)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(len(envelopes)):
        queue.put_nowait(index)

    async def worker() -> None:
        client = _client(config)
        try:
            while not queue.empty():
                index = queue.get_nowait()
                try:
                    await _send_one(client, envelopes[index])
                except SendError as error:
                    outcomes[index] = error
                if outcome is not None:
                    heard = outcome(index, outcomes[index])
                    if heard is not None:
                        await heard
        finally:
            if client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()

    workers = min(config.connections, len(envelopes))
    await asyncio.gather(*(worker() for _ in range(workers)))
    return outcomes
