"""A deadline for request headers, which uvicorn does not have.

uvicorn closes a kept-alive connection that stays silent, but any byte cancels that timer, and
a new connection gets none at all: a client that opens connections and sends a header line now
and then (slowloris) keeps them open for ever, until the server has no file descriptors left.
Here each request's headers must be complete within `seconds` of the connection opening, or of
the previous response; otherwise the connection is closed.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol


class HeaderDeadline(H11Protocol):
    seconds: float = 10.0

    _timer: asyncio.TimerHandle | None = None

    @classmethod
    def of(cls, seconds: float) -> type[HeaderDeadline]:
        """The protocol class with this deadline (uvicorn makes the instances)."""
        return type("HeaderDeadline", (cls,), {"seconds": seconds})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.cycle is not before:  # a request's headers are in: it has what it needs
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request's headers

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._timer = self.loop.call_later(self.seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _too_slow(self) -> None:
        self._timer = None
        if not self.transport.is_closing():
            self.transport.close()
