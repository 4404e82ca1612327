"""Signed, expiring tokens for unsubscribe and preference links: bound to one address and one
list, and worthless without REMINDERS_SECRET_KEY."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime


class BadToken(ValueError):
    """Tampered with, expired, or not a token at all."""


@dataclass(frozen=True)
class Grant:
    address: str
    list: str
    expires: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: bytes, address: str, list_name: str, expires: datetime) -> str:
    payload = json.dumps(
        {"a": address, "l": list_name, "e": int(expires.timestamp())}, separators=(",", ":")
    ).encode()
    mac = hmac.new(secret, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def verify(secret: bytes, token: str, now: datetime) -> Grant:
    try:
        body, mac = token.split(".")
        payload = _unb64(body)
        expected = hmac.new(secret, payload, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            raise BadToken("the link's signature does not match")
        data = json.loads(payload)
        grant = Grant(data["a"], data["l"], datetime.fromtimestamp(data["e"], now.tzinfo))
    except (ValueError, KeyError, TypeError) as exc:
        raise BadToken(str(exc) or "not a token") from None
    if grant.expires <= now:
        raise BadToken("the link has expired")
    return grant
