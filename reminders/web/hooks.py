"""Providers' webhooks for bounces and complaints: `POST /hooks/ses` (Amazon SES through an SNS
subscription) and `POST /hooks/postmark` (Postmark's bounce and spam-complaint webhooks).

Each is off (404) until configured. SES: REMINDERS_SES_TOPIC_ARNS names the topics to accept;
every message's signature is checked (bounces/sns.py) and a subscription is confirmed on
arrival. Postmark signs nothing; its documented protection is Basic authentication in the
webhook URL (https://postmark:<secret>@host/hooks/postmark): the password must be
REMINDERS_POSTMARK_WEBHOOK_SECRET. An event is answered 200 once recorded (or found recorded
before), so the provider's retries change nothing.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from reminders.bounces.providers import postmark_report, ses_report
from reminders.bounces.record import BounceRules, Taken, record
from reminders.bounces.sns import Network, Refused, verified
from reminders.logs import fingerprint
from reminders.mail.reports import Ignored, Report

log = logging.getLogger("reminders.bounces")

MAX_EVENT_BYTES = 256 * 1024
"""An SES notification with headers is a few kilobytes; Postmark's carries a bounce dump."""


def _answer(status: int, **content: object) -> JSONResponse:
    return JSONResponse(content, status_code=status)


def _taken(taken: Taken) -> JSONResponse:
    if taken.suppressed and taken.address is not None:
        log.info("bounces: suppressed %s (%s)", fingerprint(taken.address), taken.kind)
    return _answer(200, kind=taken.kind, suppressed=taken.suppressed)


class Hooks:
    def __init__(
        self,
        engine: Engine,
        rules: Callable[[], BounceRules],
        clock: Callable[[], datetime],
        topics: frozenset[str],
        postmark_secret: str | None,
        network: Network,
    ) -> None:
        self.engine = engine
        self.rules = rules
        self.clock = clock
        self.topics = topics
        self.postmark_secret = postmark_secret
        self.network = network

    def _record(self, found: Report | Ignored, source: str) -> Taken:
        return record(self.engine, self.rules(), found, source, self.clock(), trusted=True)

    def router(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)

        @router.post("/hooks/ses")
        async def ses(request: Request) -> JSONResponse:
            if not self.topics:
                return _answer(404, detail="Not Found")
            body = await request.body()
            if len(body) > MAX_EVENT_BYTES:
                return _answer(413, detail="too large for an SNS message")
            return await run_in_threadpool(self._ses, body)

        @router.post("/hooks/postmark")
        async def postmark(request: Request) -> JSONResponse:
            if self.postmark_secret is None:
                return _answer(404, detail="Not Found")
            if not self._authentic(request.headers.get("authorization", "")):
                return JSONResponse(
                    {"detail": "Basic authentication with REMINDERS_POSTMARK_WEBHOOK_SECRET"},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Basic realm="reminders"'},
                )
            body = await request.body()
            try:
                payload = json.loads(body) if len(body) <= MAX_EVENT_BYTES else None
            except (ValueError, UnicodeDecodeError):
                payload = None
            if not isinstance(payload, dict):
                return _answer(400, detail="expected a Postmark webhook's JSON object")
            return await run_in_threadpool(
                lambda: _taken(self._record(postmark_report(payload), "postmark"))
            )

        return router

    def _ses(self, body: bytes) -> JSONResponse:
        try:
            message = verified(body, self.topics, self.network)
        except Refused as exc:
            log.warning("hooks/ses: refused: %s", exc)
            return _answer(403, detail=str(exc))
        if message.kind == "SubscriptionConfirmation" and message.subscribe_url:
            try:
                self.network.confirm(message.subscribe_url)
            except (OSError, Refused) as exc:
                log.warning("hooks/ses: could not confirm the subscription: %s", exc)
                return _answer(502, detail="the subscription could not be confirmed")
            log.info("hooks/ses: subscribed to %s", message.topic)
            return _answer(200, confirmed=True)
        if message.kind != "Notification":
            return _answer(200, kind="ignored", suppressed=False)
        return _taken(self._record(ses_report(message.message, message.message_id), "ses"))

    def _authentic(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or self.postmark_secret is None:
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        password = decoded.partition(":")[2]
        return hmac.compare_digest(password.encode(), self.postmark_secret.encode())
