"""Reading what comes back to a bounce address: RFC 3464 delivery-status notifications and
RFC 5965 complaint (feedback) reports, as a pure function of one mail's bytes.

A report says what happened (`hard`, `soft` or `complaint`) and which bounce addresses it names:
the one it was delivered to (Delivered-To, X-Original-To, Envelope-To, To) and the envelope
sender of the returned original (its Return-Path). Those are only candidates: anybody can send
a mail that looks like a bounce, so the caller trusts an address only when its signature checks
(mail/bounces.py), and suppresses the recipient its own outbox holds, never one a report names.

Classifying a failure follows the SMTP-time rule of mail/smtp.py: only a permanent failure about
the address (5.1.x, 5.2.x but 5.2.2 "mailbox full", and 5.4.4 "no such domain") is `hard`. A
mailbox that is full, a delivery that timed out, or a refusal by policy or for the content
(5.7.x, 5.6.x) is `soft`: it says more about the moment or the message than about the address,
and suppresses only when it repeats. A report that the mail is merely delayed, or was delivered,
relayed or expanded, or a mail that is no report at all (an auto-reply), is `Ignored`.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import quopri
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses
from typing import Literal

Kind = Literal["hard", "soft", "complaint"]

_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_HARD = {("1",), ("2",), ("4", "4")}
"""Subjects (and subject-detail pairs) of a 5.x.x status that speak of the address."""
_NOT_HARD = {("2", "2")}  # 5.2.2 mailbox full: RFC 3463 allows it to be transient
_ADDRESSED_TO = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")
_COMPLAINTS = {"abuse", "fraud", "virus", "other"}  # RFC 5965 §7.3; "not-spam" is no complaint
_MAX_ID = 250
_ENCODED: dict[str, Callable[[bytes], bytes]] = {
    "base64": base64.b64decode,
    "quoted-printable": quopri.decodestring,
}


@dataclass(frozen=True)
class Report:
    report_id: str
    """The report's own Message-ID, or a digest of its bytes: the same report is read once."""
    kind: Kind
    addresses: tuple[str, ...]
    """Bounce addresses it names, to be checked against their signatures; most likely first."""
    recipients: tuple[str, ...]
    """The recipients it says failed or complained (Final-Recipient, Original-Rcpt-To)."""
    status: str
    """The enhanced status code (5.1.1) of a bounce, the feedback type (abuse) of a complaint."""
    detail: str
    """What the remote server said (Diagnostic-Code), for the log and the suppression list."""


@dataclass(frozen=True)
class Ignored:
    report_id: str
    reason: str


def report_id(message: Message, data: bytes) -> str:
    ident = str(message.get("Message-ID", "") or "").strip()
    if ident and len(ident) <= _MAX_ID and ident.isprintable():
        return ident
    return "sha256:" + hashlib.sha256(data).hexdigest()


def read_report(data: bytes) -> Report | Ignored:
    """What one mail that came back says; never raises on malformed input."""
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    ident = report_id(message, data)
    try:
        return _read(message, ident)
    except (ValueError, TypeError, LookupError, AttributeError) as exc:
        return Ignored(ident, f"unreadable report: {type(exc).__name__}")


def _read(message: Message, ident: str) -> Report | Ignored:
    if message.get_content_type() != "multipart/report":
        return Ignored(ident, "not a delivery-status notification or complaint report")
    report_type = str(message.get_param("report-type", "") or "").lower()
    if report_type == "delivery-status":
        return _delivery_status(message, ident)
    if report_type == "feedback-report":
        return _feedback(message, ident)
    return Ignored(ident, f"a report of another type ({report_type or 'none given'})")


def _parts(message: Message, content_type: str) -> Iterator[Message]:
    for part in message.walk():
        if part.get_content_type() == content_type:
            yield part


def _fields(part: Message) -> list[Message]:
    """The header blocks of a message/delivery-status or message/feedback-report part."""
    payload = part.get_payload()
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if isinstance(payload, list) and encoding not in _ENCODED:
        return [block for block in payload if isinstance(block, Message)]
    # Some servers encode the blocks (base64): the parser took them for a body; decode them.
    if isinstance(payload, list):
        payload = "\n".join(
            str(block.get_payload()) for block in payload if isinstance(block, Message)
        )
    raw = str(payload).encode("ascii", "replace")
    decode = _ENCODED.get(encoding)
    text = (decode(raw) if decode else raw).decode("utf-8", "replace")
    blocks = re.split(r"\r?\n\s*\r?\n", text.strip())
    return [email.message_from_string(block, policy=email.policy.compat32) for block in blocks]


def _original(message: Message) -> Message | None:
    """The headers of the returned original (message/rfc822 or text/rfc822-headers)."""
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
        if kind in ("text/rfc822-headers", "message/global-headers"):
            raw = part.get_payload(decode=True)
            if isinstance(raw, bytes):
                return email.message_from_bytes(raw, policy=email.policy.compat32)
    return None


def _address(value: str) -> str:
    """The address of an RFC 3464 address field ("rfc822; someone@example.org")."""
    kind, _, address = value.partition(";")
    found = address if address else kind
    return found.strip().strip("<>").lower()


def _candidates(message: Message, original: Message | None) -> tuple[str, ...]:
    found: list[str] = []
    sources = [(message, name) for name in _ADDRESSED_TO]
    if original is not None:
        sources.append((original, "Return-Path"))
    for headers, name in sources:
        values = [str(v) for v in headers.get_all(name, [])]
        for _, address in getaddresses(values):
            address = address.strip().lower()
            if address and address not in found:
                found.append(address)
    return tuple(found)


def _classify(action: str, status: str) -> Kind | None:
    if action != "failed":
        return None  # delayed, delivered, relayed, expanded: nothing failed (yet)
    code = _STATUS.search(status)
    if code is None or code.group(1) != "5":
        return "soft"  # failed after retrying a transient (4.x.x) failure, or no code at all
    subject, detail = code.group(2), code.group(3)
    if (subject, detail) in _NOT_HARD:
        return "soft"
    return "hard" if (subject,) in _HARD or (subject, detail) in _HARD else "soft"


def _delivery_status(message: Message, ident: str) -> Report | Ignored:
    failures: list[tuple[Kind, str, str, str]] = []
    for part in _parts(message, "message/delivery-status"):
        for block in _fields(part)[1:]:  # the first block is about the message, not a recipient
            action = str(block.get("Action", "")).strip().lower()
            status = str(block.get("Status", "")).strip()
            kind = _classify(action, status)
            if kind is None:
                continue
            recipient = _address(str(block.get("Final-Recipient", "")))
            if not recipient:
                recipient = _address(str(block.get("Original-Recipient", "")))
            code = _STATUS.search(status)
            diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
            failures.append((kind, recipient, code.group(0) if code else status, diagnostic))
    if not failures:
        return Ignored(ident, "no recipient failed (delayed, delivered or relayed)")
    failures.sort(key=lambda failure: failure[0] != "hard")  # a hard failure decides
    kind, _, status, detail = failures[0]
    recipients = tuple(dict.fromkeys(f[1] for f in failures if f[1]))
    original = _original(message)
    return Report(ident, kind, _candidates(message, original), recipients, status, detail[:500])


def _feedback(message: Message, ident: str) -> Report | Ignored:
    blocks = [
        block for part in _parts(message, "message/feedback-report") for block in _fields(part)
    ]
    if not blocks:
        return Ignored(ident, "a feedback report without its message/feedback-report part")
    fields = blocks[0]
    feedback = str(fields.get("Feedback-Type", "")).strip().lower()
    if feedback not in _COMPLAINTS:
        return Ignored(ident, f"feedback of type {feedback or 'none given'}: not a complaint")
    recipients = [_address(str(v)) for v in fields.get_all("Original-Rcpt-To", [])]
    original = _original(message)
    detail = " ".join(str(fields.get("User-Agent", "")).split())
    return Report(
        ident,
        "complaint",
        _candidates(message, original),
        tuple(r for r in recipients if r),
        feedback,
        f"complaint ({feedback}) reported by {detail}" if detail else f"complaint ({feedback})",
    )
