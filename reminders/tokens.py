"""Expiring tokens for the links in every mail (unsubscribe, preferences, calendar): bound to
one address and one list, and worthless without REMINDERS_SECRET_KEY.

A token is opaque: its address, list and expiry are encrypted and authenticated (AES-GCM, a key
derived from the secret), so a link shows nothing of whom it is for. Tokens of the first kind,
signed but readable (base64 JSON and an HMAC), are still accepted until they expire: links
already mailed keep working. A link whose address or list is no longer in the data stops
working at once (web/subjects.py).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

OPAQUE = "v2."
"""The prefix of an encrypted token; a signed one of the first kind has none."""


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


@functools.lru_cache(maxsize=4)
def _cipher(secret: bytes) -> AESGCM:
    """The cipher under a key derived from the secret, never the signing key itself; made once
    (every mail makes two links)."""
    return AESGCM(hashlib.sha256(b"reminders link tokens v2\x00" + secret).digest())


def _payload(address: str, list_name: str, expires: datetime) -> bytes:
    grant = {"a": address, "l": list_name, "e": int(expires.timestamp())}
    return json.dumps(grant, separators=(",", ":")).encode()


def sign(secret: bytes, address: str, list_name: str, expires: datetime) -> str:
    """An opaque token for `address` and `list_name`, valid until `expires`."""
    nonce = os.urandom(12)
    sealed = _cipher(secret).encrypt(nonce, _payload(address, list_name, expires), OPAQUE.encode())
    return OPAQUE + _b64(nonce + sealed)


def sign_readable(secret: bytes, address: str, list_name: str, expires: datetime) -> str:
    """A token of the first kind (signed, not encrypted): no longer made, only accepted; the
    tests make one to show that links already mailed still work."""
    payload = _payload(address, list_name, expires)
    mac = hmac.new(secret, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def _opened(secret: bytes, token: str) -> bytes:
    """The payload of either kind of token, once it is shown to be genuine."""
    if token.startswith(OPAQUE):
        data = _unb64(token[len(OPAQUE) :])
        try:
            return _cipher(secret).decrypt(data[:12], data[12:], OPAQUE.encode())
        except InvalidTag:
            raise BadToken("the link's signature does not match") from None
    body, mac = token.split(".")
    payload = _unb64(body)
    expected = hmac.new(secret, payload, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, _unb64(mac)):
        raise BadToken("the link's signature does not match")
    return payload


def verify(secret: bytes, token: str, now: datetime) -> Grant:
    try:
        data = json.loads(_opened(secret, token))
        grant = Grant(data["a"], data["l"], datetime.fromtimestamp(data["e"], now.tzinfo))
    except (ValueError, KeyError, TypeError) as exc:
        raise BadToken(str(exc) or "not a token") from None
    if grant.expires <= now:
        raise BadToken("the link has expired")
    return grant
