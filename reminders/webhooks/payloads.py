"""What a webhook posts: the events of one delivery as a Slack or Microsoft Teams incoming-webhook
message, or as JSON of a documented, versioned schema. Pure: the events, their words (the
alerts' Told) and the moment are handed in.

The JSON, version 1 (docs in README, "Webhooks"):

    {"version": 1, "type": "compliance.events", "id": "whd_17",
     "organisation": "Riverside Health", "sent_at": "2026-12-04T15:00:00Z",
     "events": [{"id": 42, "kind": "overdue", "happened_on": "2026-08-30",
                 "holder_id": "h-003", "name": "Priya Raman", "teams": ["HIM"],
                 "body": "AHIMA", "credentials": ["CCS", "RHIT"], "cycle_end": "2026-08-29",
                 "required": 30, "earned": 5, "remaining": 25, "revoked_after": "2027-02-25",
                 "unmet_minimums": ["HIIM domains: 0 of 24"],
                 "summary": "overdue since August 30, 2026; 25 of 30 CEUs still to earn; …"}]}

`id` is the delivery's, the same on every retry: a receiver that saw it already may drop it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from reminders.alerts.content import Told
from reminders.rules.explain import CENTS

FORMATS = ("slack", "teams", "json")
VERSION = 1
CHAT_LIMIT = 40
"""Events a chat message lists; the rest are counted (Slack takes 50 blocks at most)."""


def _number(cents: int) -> int | float:
    return cents // CENTS if cents % CENTS == 0 else cents / CENTS


def _line(item: Told) -> str:
    line = item.line
    return f"{line.name} ({line.holder_id}), {line.body} {', '.join(line.credentials)}"


def _headline(org: str, count: int) -> str:
    return f"{org}: {count} new {'problem' if count == 1 else 'problems'} with CEU compliance"


def json_body(
    org: str, delivery: str, sent_at: datetime, events: Sequence[tuple[int, Told]]
) -> dict[str, object]:
    return {
        "version": VERSION,
        "type": "compliance.events",
        "id": delivery,
        "organisation": org,
        "sent_at": sent_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "events": [
            {
                "id": event,
                "kind": item.kind,
                "happened_on": item.happened_on.isoformat(),
                "holder_id": item.line.holder_id,
                "name": item.line.name,
                "teams": list(item.line.teams),
                "body": item.line.body,
                "credentials": list(item.line.credentials),
                "cycle_end": item.line.cycle_end.isoformat(),
                "required": _number(item.line.required),
                "earned": _number(item.line.earned),
                "remaining": _number(item.line.remaining),
                "revoked_after": item.line.deadline.isoformat() if item.line.deadline else None,
                "unmet_minimums": list(item.line.unmet),
                "summary": "; ".join(item.reasons),
            }
            for event, item in events
        ],
    }


def _slack_text(text: str) -> str:
    """Slack's mrkdwn reads &, < and > as markup: a name must stay a name."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(org: str, events: Sequence[tuple[int, Told]]) -> dict[str, object]:
    headline = _headline(org, len(events))
    blocks: list[dict[str, object]] = [
        {"type": "header", "text": {"type": "plain_text", "text": headline[:150]}}
    ]
    for _, item in events[:CHAT_LIMIT]:
        text = f"*{_slack_text(_line(item))}*\n{_slack_text('; '.join(item.reasons))}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
    if len(events) > CHAT_LIMIT:
        more = f"… and {len(events) - CHAT_LIMIT} more: the digest lists everyone."
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    return {"text": _slack_text(headline), "blocks": blocks}


def teams_body(org: str, events: Sequence[tuple[int, Told]]) -> dict[str, object]:
    body: list[dict[str, object]] = [
        {"type": "TextBlock", "text": _headline(org, len(events)), "weight": "Bolder",
         "size": "Medium", "wrap": True},
    ]  # fmt: skip
    for _, item in events[:CHAT_LIMIT]:
        body.append({"type": "TextBlock", "text": _line(item), "weight": "Bolder", "wrap": True,
                     "spacing": "Medium"})  # fmt: skip
        body.append({"type": "TextBlock", "text": "; ".join(item.reasons), "wrap": True,
                     "spacing": "None"})  # fmt: skip
    if len(events) > CHAT_LIMIT:
        body.append({"type": "TextBlock", "wrap": True, "isSubtle": True,
                     "text": f"… and {len(events) - CHAT_LIMIT} more: the digest lists everyone."})  # fmt: skip
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
             "content": card},
        ],
    }  # fmt: skip


def render(
    form: str, org: str, delivery: str, sent_at: datetime, events: Sequence[tuple[int, Told]]
) -> bytes:
    """The request body, UTF-8 JSON."""
    if form == "slack":
        payload = slack_body(org, events)
    elif form == "teams":
        payload = teams_body(org, events)
    elif form == "json":
        payload = json_body(org, delivery, sent_at, events)
    else:
        raise ValueError(f"unknown webhook format {form!r}")
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
