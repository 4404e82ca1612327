"""Limits on what the HTTP application takes from a client, applied before a request reaches
it: a body bounded in size (413 before it is read whole), an API key checked before the body is
read at all (401), and token buckets that limit each key, and each client address that fails
to authenticate, in a table of bounded size."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.responses import JSONResponse, PlainTextResponse, Response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Asgi = Callable[[Scope, Receive, Send], Awaitable[None]]

BUCKETS = 10_000
"""Buckets kept at most; the least recently used go first (a full bucket again next time)."""


class RateLimiter:
    """A token bucket per key: `per_minute` requests a minute, in bursts of as many. Kept in
    each process (several instances each allow the rate), at most BUCKETS of them."""

    def __init__(
        self, per_minute: int, clock: Callable[[], float] = time.monotonic, size: int = BUCKETS
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(per_minute)
        self.clock = clock
        self.size = size
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        """0 if the request may go ahead now, else the seconds until it may."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            waited = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._buckets[key] = (tokens - 1 if tokens >= 1 else tokens, now)
            while len(self._buckets) > self.size:
                self._buckets.popitem(last=False)
            return waited

    def __len__(self) -> int:
        return len(self._buckets)


async def _reply(
    send: Send, status: int, detail: str, headers: dict[str, str] | None = None
) -> None:
    body = json.dumps({"detail": detail}).encode()
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    head += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    # The body was not read: the connection cannot carry another request.
    head.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


RETRY_AFTER_SECONDS = 5
UNAVAILABLE = "the database is not available just now; try again in a few seconds"


def unavailable_response(path: str) -> Response:
    """503 for a database that is down or locked: JSON for the API, a line of text elsewhere."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if path.startswith("/api/"):
        return JSONResponse({"detail": UNAVAILABLE}, 503, headers)
    return PlainTextResponse(f"The service is briefly unavailable: {UNAVAILABLE}.\n", 503, headers)


def bearer(headers: dict[bytes, bytes]) -> str | None:
    """The key of `Authorization: Bearer <key>`, or None."""
    scheme, _, key = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return key.strip() or None


class RequestGuard:
    """ASGI middleware in front of the whole application."""

    def __init__(
        self,
        app: Asgi,
        max_body: int,
        key_valid: Callable[[str], bool],
        limiter: RateLimiter,
        api_prefix: str = "/api/",
    ) -> None:
        self.app, self.max_body, self.key_valid = app, max_body, key_valid
        self.limiter, self.api_prefix = limiter, api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"0")
        if not length.isdigit() or int(length) > self.max_body:
            await _reply(send, 413, f"the request body is larger than {self.max_body} bytes")
            return
        if scope["path"].startswith(self.api_prefix) and not await self._authentic(scope, send):
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        body = await self._body(receive)
        if body is None:
            await _reply(send, 413, f"the request body is larger than {self.max_body} bytes")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # what comes after the body: a disconnect
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _authentic(self, scope: Scope, send: Send) -> bool:
        """An API request with a key that works goes on; any other is answered 401 (or 429 for
        an address that keeps failing) before a byte of its body is read."""
        key = bearer(dict(scope["headers"]))
        try:
            if key is not None and await asyncio.to_thread(self.key_valid, key):
                return True
        except (OperationalError, PoolTimeout):
            await _reply(send, 503, UNAVAILABLE, {"Retry-After": str(RETRY_AFTER_SECONDS)})
            return False
        client = scope.get("client") or ("unknown", 0)
        wait = self.limiter.wait(f"address:{client[0]}")
        if wait:
            retry = {"Retry-After": str(int(wait) + 1)}
            await _reply(send, 429, "too many requests without a valid key", retry)
            return False
        challenge = {"WWW-Authenticate": "Bearer"}
        detail = (
            "an API key is needed: Authorization: Bearer <key>"
            if key is None
            else "this API key is not valid (or was revoked)"
        )
        await _reply(send, 401, detail, challenge)
        return False

    async def _body(self, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it is larger than allowed."""
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)
