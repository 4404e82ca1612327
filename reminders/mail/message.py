"""Builds the bytes of a notice mail: multipart/alternative (text and HTML), inside
multipart/mixed when it carries attachments (a calendar, a CSV); headers that no data can break.

The bytes are assembled directly, once, and are what aiosmtplib sends as they are.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.headerregistry import Address
from email.utils import format_datetime, formataddr, parseaddr

from reminders.mail.ical import Deadline, calendar
from reminders.mail.render import Rendered

__all__ = [
    "Attachment", "Deadline", "Envelope", "HeaderInjection", "build", "calendar", "read_copy",
]  # fmt: skip

CRLF = b"\r\n"


class HeaderInjection(ValueError):
    """A value meant for a mail header holds a line break."""


def _header(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise HeaderInjection(f"line break in a header value: {value!r}")
    return value


@functools.lru_cache(maxsize=16)
def _sender(mail_from: str) -> tuple[str, str]:
    return parseaddr(mail_from)


@functools.lru_cache(maxsize=65_536)
def _check_address(address: str) -> None:
    """Raises on what a mail address cannot be (cached: the same people get mail every day)."""
    Address(addr_spec=address)


def _mailbox(name: str, address: str) -> str:
    """`Name <address>`. A name that is not plain ASCII, or that holds something shaped like
    an encoded word (`=?utf-8?q?=0D=0ABcc:…?=`, which some clients decode even in quotes), is
    always encoded (RFC 2047), so what a client shows is the name as given."""
    if name.isascii() and "=?" not in name:
        return formataddr((name, address))
    return f"{Header(name, 'utf-8').encode()} <{address}>"


def message_id(keys: Sequence[str], domain: str) -> str:
    """The same notices always make the same Message-ID, across retries and restarts."""
    digest = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:40]
    return f"<{digest}@{domain}>"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


_TOKENS = re.compile(rb"(/(?:u|p|s|ics|dashboard/sign-in)/)v2\.[A-Za-z0-9_-]+")
"""The tokens of the links in a mail: the copy the log keeps leaves them out, so that whoever
reads the database cannot act (unsubscribe, say) as the person the mail went to."""


@dataclass(frozen=True)
class Envelope:
    sender: str
    recipient: str
    data: bytes
    text: str = ""
    """The plain-text part as rendered, for the copy the mail log keeps of a sent message."""

    def copy(self) -> bytes:
        """The headers and the text part, compressed: what `reminders mail show` prints of a
        sent message (the HTML and the attachments say the same, and weigh ten times more).
        The fastest level of zlib: it runs on delivery's path."""
        head = self.data[: self.data.find(CRLF + CRLF)]
        kept = _TOKENS.sub(rb"\1[token]", head + CRLF + CRLF + self.text.encode("utf-8"))
        return zlib.compress(kept, 1)


def read_copy(compressed: bytes) -> str:
    return zlib.decompress(compressed).decode("utf-8", "replace").replace("\r\n", "\n")


def _qp(text: str) -> bytes:
    """Quoted-printable with CRLF line ends: readable parts, friendlier to spam filters."""
    return binascii.b2a_qp(text.replace("\r\n", "\n").encode("utf-8")).replace(b"\n", CRLF)


def _part(
    content_type: str, payload: bytes, extra: str = "", encoding: str = "quoted-printable"
) -> bytes:
    head = f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: {encoding}\r\n{extra}"
    return head.encode("ascii") + CRLF + payload


def _base64(data: bytes) -> bytes:
    encoded = base64.b64encode(data)
    return CRLF.join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


def _attachment(attachment: Attachment) -> bytes:
    name = attachment.filename
    if not name.isascii() or any(c in name for c in '"\\\r\n'):
        raise HeaderInjection(f"unsafe attachment name: {name!r}")
    return _part(
        attachment.content_type,
        _base64(attachment.data),
        f'Content-Disposition: attachment; filename="{name}"\r\n',
        encoding="base64",
    )


def _multipart(subtype: str, boundary: str, parts: Sequence[bytes]) -> tuple[str, bytes]:
    marker = f"--{boundary}".encode("ascii")
    body = b"".join(marker + CRLF + part + CRLF for part in parts) + marker + b"--" + CRLF
    return f'multipart/{subtype}; boundary="{boundary}"', body


def build(
    rendered: Rendered,
    *,
    mail_from: str,
    to_name: str,
    to_address: str,
    keys: Sequence[str],
    unsubscribe_url: str | None,
    now: datetime,
    deadlines: Sequence[Deadline] = (),
    unsubscribe_mailto: str | None = None,
    attachments: Sequence[Attachment] = (),
) -> Envelope:
    """The message's bytes, assembled once; about four times cheaper than the email package's
    classes (shared/docs/performance-notes.md) and exactly the same on the wire."""
    sender_name, sender = _sender(mail_from)
    domain = sender.rsplit("@", 1)[-1]
    _check_address(_header(to_address))
    ident = message_id(keys, domain)
    seed = ident.strip("<>").split("@")[0]
    content_type, body = _multipart(
        "alternative",
        f"alt-{seed}",
        [
            _part('text/plain; charset="utf-8"', _qp(rendered.text)),
            _part('text/html; charset="utf-8"', _qp(rendered.html)),
        ],
    )
    extras = [_attachment(attachment) for attachment in attachments]
    if deadlines:
        ics = _part(
            'text/calendar; charset="utf-8"; method=PUBLISH',
            _qp(calendar(deadlines, now).decode("utf-8")),
            'Content-Disposition: attachment; filename="deadlines.ics"\r\n',
        )
        extras.insert(0, ics)
    if extras:
        alternative = f"Content-Type: {content_type}\r\n".encode("ascii") + CRLF + body
        content_type, body = _multipart("mixed", f"mix-{seed}", [alternative, *extras])
    subject = _header(rendered.subject)
    headers = {
        "From": _mailbox(_header(sender_name), _header(sender)),
        "To": _mailbox(_header(to_name), to_address),
        "Subject": subject if subject.isascii() else Header(subject, "utf-8").encode(),
        "Date": format_datetime(now),
        "Message-ID": ident,
    }
    if unsubscribe_url is not None:
        # None only for mail a person asked for just now (a sign-in link): nothing to leave.
        mailto = unsubscribe_mailto
        headers["List-Unsubscribe"] = f"<{_header(unsubscribe_url)}>" + (
            f", <mailto:{_header(mailto)}?subject=unsubscribe>" if mailto else ""
        )
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    headers |= {
        "Auto-Submitted": "auto-generated",
        "MIME-Version": "1.0",
        "Content-Type": content_type,
    }
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return Envelope(sender, to_address, head.encode("ascii") + CRLF + body, rendered.text)
