"""Bounce addresses (VERP): with a bounce domain set, every message goes out with an envelope
sender that names it, `bounces+<message id>-<signature>@<domain>`, so that a delivery-status
notification or a complaint coming back to that address says which message, and so which
recipient, it is about (issue 15, part 4: the reading of what comes back is the next step).

The signature is an HMAC-SHA256 of the message id under the service's secret, its first 16
base32 characters in lower case (80 bits; some servers lower-case local parts): nobody can
make up an address that would pass for another message's, and so have an address suppressed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

PREFIX = "bounces+"


def _signature(secret: bytes, message: int) -> str:
    digest = hmac.new(secret, f"bounce:{message}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:16]


def bounce_address(secret: bytes, message: int, domain: str) -> str:
    """The envelope sender of message `message` (its row in the messages table)."""
    return f"{PREFIX}{message}-{_signature(secret, message)}@{domain}"


def message_of(secret: bytes, address: str) -> int | None:
    """The message a bounce address names; None if it is not one, or not signed by us."""
    local = address.strip().strip("<>").rpartition("@")[0].lower()
    if not local.startswith(PREFIX):
        return None
    ident, _, signature = local.removeprefix(PREFIX).partition("-")
    if not (ident.isascii() and ident.isdigit()) or len(ident) > 18:
        return None
    message = int(ident)
    return message if hmac.compare_digest(signature, _signature(secret, message)) else None
