"""How a webhook request is signed, as Stripe and GitHub sign theirs: an HMAC-SHA256, under the
endpoint's own secret, of the timestamp and the body, in one header.

    Reminders-Signature: t=1764892800,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd

To check a request: take `t` and `v1` from the header, compute HMAC-SHA256(secret, f"{t}.{body}")
over the raw body bytes, compare it with `v1` in constant time, and refuse a `t` more than
TOLERANCE_SECONDS from your clock (a replayed request carries an old one). A retry is signed
afresh, with its own `t`. Pure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HEADER = "Reminders-Signature"
TOLERANCE_SECONDS = 300
PREFIX = "whsec_"


def new_secret() -> str:
    """An endpoint's secret: shown once when the endpoint is added."""
    return PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return mac.hexdigest()


def header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(
    secret: str, value: str, body: bytes, now: int, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """Does the header sign this body, within the tolerance of `now`? (What a receiver does.)"""
    parts = dict(part.split("=", 1) for part in value.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), signature(secret, timestamp, body))


def _cipher(key: bytes) -> AESGCM:
    return AESGCM(hashlib.sha256(b"reminders webhook secrets v1\x00" + key).digest())


def seal(key: bytes, secret: str) -> str:
    """An endpoint's secret as the database keeps it: encrypted under REMINDERS_SECRET_KEY, so
    that a copy of the database cannot sign requests."""
    nonce = os.urandom(12)
    return base64.urlsafe_b64encode(
        nonce + _cipher(key).encrypt(nonce, secret.encode(), None)
    ).decode()


def unseal(key: bytes, sealed: str) -> str:
    data = base64.urlsafe_b64decode(sealed)
    return _cipher(key).decrypt(data[:12], data[12:], None).decode()
