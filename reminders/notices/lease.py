"""A delivery pass's claim on a batch of messages, kept alive while the batch is sent.

A claim lasts REMINDERS_LEASE_SECONDS; a batch can take longer to send (a slow server, many
messages on one connection). Before each message, the claim is renewed for the messages not
yet sent once a quarter of it has gone, and the message may take only the time the claim has
left (less a margin to record its outcome): a send never outlives the claim, so no other sender can
take a message while it is on the wire. A message whose claim another sender holds by then is
not tried. Outcomes are recorded under the claim's token (outbox.finish), so a sender that
stalled past its claim never records over the next claimant's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import Engine

from reminders.db import outbox

log = logging.getLogger("reminders.delivery")


class Lease:
    def __init__(
        self,
        engine: Engine,
        token: str,
        messages: Iterable[int],
        length: timedelta,
        clock: Callable[[], datetime],
        claimed_at: datetime,
    ) -> None:
        self.engine, self.token, self.length, self.clock = engine, token, length, clock
        self.unsent = set(messages)
        self.until = claimed_at + length
        self.margin = min(length / 10, timedelta(seconds=5))
        """Kept back from each send: the time to record its outcome under the claim."""
        self._lock = asyncio.Lock()

    async def allow(self, message: int) -> float | None:
        """Seconds `message` may take to send, or None if this claim no longer holds it."""
        async with self._lock:
            if message not in self.unsent:
                return None
            now = self.clock()
            # Renewed once a quarter of the claim has gone: each message then has at least
            # three quarters of a claim to be sent in (a send cut short by its claim is
            # retried, and may arrive twice if the server had in fact taken it).
            if self.until - now < self.length * 3 / 4:
                until = now + self.length
                held = await asyncio.to_thread(self._renew, until)
                lost = self.unsent - held
                if lost:
                    log.warning(
                        "delivery: %d claimed messages were taken by another sender", len(lost)
                    )
                self.unsent, self.until = held, until
            if message not in self.unsent:
                return None
            self.unsent.discard(message)
            return (self.until - self.clock() - self.margin).total_seconds()

    def _renew(self, until: datetime) -> set[int]:
        with self.engine.begin() as connection:
            return outbox.renew(connection, sorted(self.unsent), self.token, until)

    def release(self) -> bool:
        """Give back what is still unsent (the pass stopped half-way). False if the database
        could not be reached (it may be why the pass stopped): try again later."""
        return release(self.engine, self.token, self.clock())


def release(engine: Engine, token: str, now: datetime) -> bool:
    try:
        with engine.begin() as connection:
            released = outbox.release(connection, token, now)
    except Exception:  # noqa: BLE001 - the pass is failing already; its own error is raised
        log.info("delivery: could not release claimed messages yet; the next pass will")
        return False
    if released:
        log.info("delivery: %d claimed messages released for the next pass", released)
    return True
