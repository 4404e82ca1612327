"""Bounce and complaint events of mail providers, as reports (mail/reports.py): Amazon SES
(its notification, carried by SNS) and Postmark (its bounce and spam-complaint webhooks). Pure
functions of the payload; the caller has authenticated it (bounces/sns.py, a Basic password).

Each event's id makes its report id, so an event delivered twice (both providers retry) is
taken once. The envelope sender of the original (our bounce address, when the provider kept it)
names the message; failing that, the recipient the provider names is believed, since the
provider is authenticated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reminders.mail.reports import Ignored, Kind, Report

_SES_BOUNCES: dict[str, Kind] = {"Permanent": "hard", "Transient": "soft", "Undetermined": "soft"}
_POSTMARK: dict[str, Kind] = {
    "HardBounce": "hard",
    "BadEmailAddress": "hard",
    "SoftBounce": "soft",
    "Transient": "soft",
    "DnsError": "soft",
    "Blocked": "soft",
    "SpamNotification": "soft",
    "SpamComplaint": "complaint",
}
"""Postmark's bounce types that say something of the address; the others (AutoResponder,
Unsubscribe, ChallengeVerification, ...) are ignored."""


def _text(value: object, limit: int = 500) -> str:
    return " ".join(str(value).split())[:limit] if value is not None else ""


def _addresses(values: object, key: str) -> tuple[str, ...]:
    if not isinstance(values, list):
        return ()
    found = [str(v.get(key, "")).strip().lower() for v in values if isinstance(v, Mapping)]
    return tuple(dict.fromkeys(a for a in found if "@" in a))


def _sent_from(mail: Mapping[str, Any]) -> tuple[str, ...]:
    """The envelope sender SES saw (`source`), and a Return-Path header it kept."""
    found = [str(mail.get("source", ""))]
    for header in mail.get("headers") or []:
        if isinstance(header, Mapping) and str(header.get("name", "")).lower() == "return-path":
            found.append(str(header.get("value", "")))
    return tuple(dict.fromkeys(a.strip().strip("<>").lower() for a in found if "@" in a))


def ses_report(message: str, sns_id: str) -> Report | Ignored:
    """An SES notification (the Message of an SNS Notification)."""
    try:
        event = json.loads(message)
    except ValueError:
        return Ignored(f"ses:{sns_id}", "an SES notification that is not JSON")
    if not isinstance(event, Mapping):
        return Ignored(f"ses:{sns_id}", "an SES notification that is not an object")
    kind = str(event.get("notificationType") or event.get("eventType") or "")
    found = event.get("mail")
    mail: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    if kind == "Bounce" and isinstance(event.get("bounce"), Mapping):
        bounce = event["bounce"]
        ident = f"ses:{bounce.get('feedbackId') or sns_id}"
        recipients = bounce.get("bouncedRecipients")
        first = recipients[0] if isinstance(recipients, list) and recipients else {}
        first = first if isinstance(first, Mapping) else {}
        bounce_type = str(bounce.get("bounceType", ""))
        return Report(
            ident,
            _SES_BOUNCES.get(bounce_type, "soft"),
            _sent_from(mail),
            _addresses(recipients, "emailAddress"),
            _text(first.get("status") or bounce_type, 32),
            _text(first.get("diagnosticCode") or bounce.get("bounceSubType")),
        )
    if kind == "Complaint" and isinstance(event.get("complaint"), Mapping):
        complaint = event["complaint"]
        ident = f"ses:{complaint.get('feedbackId') or sns_id}"
        feedback = _text(complaint.get("complaintFeedbackType") or "abuse", 32)
        recipients = _addresses(complaint.get("complainedRecipients"), "emailAddress")
        return Report(ident, "complaint", _sent_from(mail), recipients, feedback,
                      f"complaint ({feedback}) reported through Amazon SES")  # fmt: skip
    return Ignored(f"ses:{sns_id}", f"an SES notification of type {kind or 'none given'}")


def postmark_report(payload: Mapping[str, Any]) -> Report | Ignored:
    """A Postmark bounce or spam-complaint webhook's body."""
    ident = f"postmark:{_text(payload.get('ID'), 200)}"
    kind = _POSTMARK.get(str(payload.get("Type", "")))
    if payload.get("ID") is None:
        return Ignored(f"postmark:{_text(payload.get('MessageID'), 200)}", "an event without ID")
    if kind is None:
        return Ignored(ident, f"a Postmark event of type {_text(payload.get('Type'), 40)}")
    email = str(payload.get("Email", "")).strip().lower()
    status = _text(payload.get("Type"), 32)
    detail = _text(payload.get("Details") or payload.get("Description"))
    return Report(ident, kind, (), (email,) if "@" in email else (), status, detail)
