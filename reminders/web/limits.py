"""Limits on what the HTTP application takes from a client, applied before a request reaches
it: a body bounded in size (413 before it is read whole), an API key checked before the body is
read at all (401), and token buckets that limit each key, and each client address that fails
to authenticate, kept in the database (shared by every instance, pruned when idle)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.responses import JSONResponse, PlainTextResponse, Response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Asgi = Callable[[Scope, Receive, Send], Awaitable[None]]


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


class SharedRateLimiter:
    """The same token buckets, kept in the database (`rate_limits`): several web instances,
    and the daemon's own listener, enforce one limit between them. One statement per request,
    an upsert that refills and takes a token atomically on SQLite and PostgreSQL alike. Buckets
    idle for an hour are deleted now and then, so the table stays as small as the clients."""

    PRUNE_EVERY = 1000
    IDLE_SECONDS = 3600.0

    def __init__(
        self,
        engine: Engine,
        per_minute: float,
        clock: Callable[[], float] = time.time,
        burst: int | None = None,
    ) -> None:
        """`per_minute` tokens a minute, in bursts of `burst` (as many as a minute's by
        default): 5 an hour in bursts of 5 is `per_minute=5 / 60, burst=5`."""
        self.engine, self.clock = engine, clock
        self.rate = per_minute / 60.0
        self.burst = float(per_minute if burst is None else burst)
        self._calls = 0

    def wait(self, key: str) -> float:
        """0 if the request may go ahead now, else the seconds until it may."""
        now = self.clock()
        values = {"key": key[:80], "now": now, "rate": self.rate, "burst": self.burst}
        connection = self.engine.connect().execution_options(sqlite_begin="IMMEDIATE")
        with connection, connection.begin():
            tokens, allowed = connection.execute(_TAKE, values).one()
            self._calls += 1
            if self._calls % self.PRUNE_EVERY == 0:
                connection.execute(_PRUNE, {"before": now - self.IDLE_SECONDS})
        return 0.0 if allowed else (1 - tokens) / self.rate


# Refill by the time since the bucket's stamp (up to the burst), then take a token if there is
# one. Plain SQL both databases run: INSERT … ON CONFLICT … RETURNING.
_REFILLED = "(rate_limits.tokens + (:now - rate_limits.stamp) * :rate)"
_TAKE = text(
    f"""
    INSERT INTO rate_limits (key, tokens, stamp, allowed)
    VALUES (:key, :burst - 1, :now, true)
    ON CONFLICT (key) DO UPDATE SET
        tokens = CASE
            WHEN {_REFILLED} >= :burst THEN :burst - 1
            WHEN {_REFILLED} >= 1 THEN {_REFILLED} - 1
            ELSE {_REFILLED}
        END,
        allowed = {_REFILLED} >= 1,
        stamp = :now
    RETURNING tokens, allowed
    """
)
_PRUNE = text("DELETE FROM rate_limits WHERE stamp < :before")


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
        organisation_of: Callable[[str], int | None],
        limiter: SharedRateLimiter,
        api_prefix: str = "/api/",
    ) -> None:
        self.app, self.max_body, self.organisation_of = app, max_body, organisation_of
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
        if scope["path"].startswith(self.api_prefix) and not await self._authentic(
            scope, headers, send
        ):
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

    async def _authentic(self, scope: Scope, headers: dict[bytes, bytes], send: Send) -> bool:
        """An API request with a key that works goes on, its organisation in the request's
        state (the route reads it there rather than look the key up again); any other is
        answered 401 (or 429 for an address that keeps failing) before its body is read."""
        key = bearer(headers)
        try:
            org_pk = None if key is None else await asyncio.to_thread(self.organisation_of, key)
            if org_pk is not None:
                scope.setdefault("state", {})["org_pk"] = org_pk
                return True
        except (OperationalError, PoolTimeout):
            await _reply(send, 503, UNAVAILABLE, {"Retry-After": str(RETRY_AFTER_SECONDS)})
            return False
        client = scope.get("client") or ("unknown", 0)
        try:
            wait = await asyncio.to_thread(self.limiter.wait, f"address:{client[0]}")
        except (OperationalError, PoolTimeout):
            wait = 0.0  # the database is down: the request is answered 401 anyway
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
