"""Delivery over SMTP with aiosmtplib: the only module that imports it.

A few connections, each reused for many messages, send in parallel; every failure becomes a
`SendError` that says whose fault it is. Only a permanent refusal of the recipient at RCPT TO
speaks of the address; a refusal at any other stage (connect, greeting, EHLO, AUTH, MAIL FROM)
or one whose enhanced status code is about policy or the system (5.7.1 "relay access denied")
is the server's, or our configuration of it, and a refused DATA is about the message.
"""

from __future__ import annotations

import asyncio
import functools
import re
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Self

import aiosmtplib

from reminders.mail.message import Envelope

MAILBOX = "mailbox"
"""The recipient's address is refused for good (5xx to RCPT TO, about the mailbox)."""
MESSAGE = "message"
"""This message could not go now (4xx to RCPT TO or DATA): try it again later."""
CONTENT = "content"
"""The server refused this message for what it holds (5xx to DATA): not the address's fault."""
SERVER = "server"
"""The server or our configuration of it: unreachable, or a refusal at connect, greeting, EHLO,
AUTH or MAIL FROM, or a policy refusal (5.7.x) at RCPT TO. Says nothing of the message or the
address, and every other message would meet it too."""

LOST = "lost"
"""Not tried: this sender's claim on the message ran out and another holds it now."""

_ENHANCED = re.compile(r"\s*[245]\.(\d{1,3})\.\d{1,3}\b")


def _subject(text: str) -> int | None:
    """The subject of an enhanced status code (RFC 3463) at the start of a reply's text: 1 for
    "5.1.1 no such user", 7 for "5.7.1 relay access denied"; None without one."""
    found = _ENHANCED.match(text)
    return int(found.group(1)) if found else None


class SendError(Exception):
    def __init__(self, message: str, fault: str) -> None:
        super().__init__(message)
        self.fault = fault

    @property
    def permanent(self) -> bool:
        """The address itself is refused: suppress it."""
        return self.fault == MAILBOX

    @property
    def server(self) -> bool:
        """The server or its configuration failed: nothing is known of the message or address."""
        return self.fault == SERVER


def _refused_recipient(code: int, text: str) -> SendError:
    if code < 500:
        return SendError(f"recipient refused for now: {code} {text}", MESSAGE)
    if _subject(text) in (None, 1, 2):  # addressing (5.1.x) or the mailbox (5.2.x)
        return SendError(f"recipient refused: {code} {text}", MAILBOX)
    return SendError(f"the server refused to relay or by policy: {code} {text}", SERVER)


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
        refused = exc.recipients[0]
        raise _refused_recipient(refused.code, refused.message) from exc
    except aiosmtplib.SMTPRecipientRefused as exc:
        raise _refused_recipient(exc.code, exc.message) from exc
    except aiosmtplib.SMTPDataError as exc:
        fault = CONTENT if exc.code >= 500 else MESSAGE
        raise SendError(f"message refused: {exc.code} {exc.message}", fault) from exc
    except aiosmtplib.SMTPSenderRefused as exc:
        client.close()  # the session may be in any state: the next message starts afresh
        raise SendError(f"the server refused the sender: {exc.code} {exc.message}", SERVER) from exc
    except aiosmtplib.SMTPResponseException as exc:
        # The greeting, EHLO, AUTH or STARTTLS: the server's answer to us, not to a message.
        # Say goodbye properly: the server may keep a dropped session open a while.
        await _quit(client)
        raise SendError(f"the mail server refused us: {exc.code} {exc.message}", SERVER) from exc
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        client.close()
        raise SendError(f"cannot reach the mail server: {exc}", SERVER) from exc


async def _attempt(
    client: aiosmtplib.SMTP,
    envelope: Envelope,
    halted: str | None,
    allow: Callable[[], Awaitable[float | None]] | None,
) -> SendError | None:
    """One message's outcome: not tried when the pass is `halted` or the claim is lost (the
    seconds `allow` gives are None), else sent within the seconds allowed."""
    try:
        if halted is not None:
            raise SendError(f"not tried: {halted}", SERVER)
        seconds = None if allow is None else await allow()
        if allow is not None and seconds is None:
            raise SendError("not tried: another sender holds it now", LOST)
        await _send_within(client, envelope, seconds)
    except SendError as error:
        return error
    return None


async def _send_within(client: aiosmtplib.SMTP, envelope: Envelope, seconds: float | None) -> None:
    """Send, given up after `seconds` (None: the client's own timeouts only): a send that
    outlived its claim could go out twice, once from here and once from the next claimant."""
    if seconds is None:
        await _send_one(client, envelope)
        return
    try:
        async with asyncio.timeout(max(seconds, 0.001)):
            await _send_one(client, envelope)
    except TimeoutError as exc:
        client.close()
        raise SendError(
            "the claim on it would have run out before the server answered", SERVER
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
        self,
        envelopes: Sequence[Envelope],
        outcome: Outcome | None = None,
        halt: Callable[[], str | None] | None = None,
        allow: Callable[[int], Awaitable[float | None]] | None = None,
    ) -> list[SendError | None]:
        """Send every envelope over the connections; the outcome of each, in order (None:
        accepted by the server). `outcome` hears of each as it happens, and the connection
        waits for it before its next message, so that it can be recorded first. Once `halt`
        gives a reason, the messages not yet sent are not tried: each gets a server fault
        that says why. `allow` says, just before a message is sent, how many seconds its
        sending may take (the claim on it must not run out meanwhile), or None: not ours
        any more, not tried."""
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
                outcomes[index] = await _attempt(
                    client, envelopes[index], None if halt is None else halt(),
                    None if allow is None else functools.partial(allow, index),
                )  # fmt: skip
                self._sent[slot] += 1
                if outcome is not None:
                    heard = outcome(index, outcomes[index])
                    if heard is not None:
                        await heard

        used = min(len(self._clients), len(envelopes))
        await asyncio.gather(*(worker(slot) for slot in range(used)))
        return outcomes
