"""Webhooks end to end on the demo roster: a real HTTPS receiver on 127.0.0.1 (allowed by
REMINDERS_WEBHOOK_ALLOW_PRIVATE, trusted through SSL_CERT_FILE), on both databases. The
signature is checked here with code of its own, not the service's.

The roster's days, as in test_alerts: May 1 is the baseline; by September 1 Priya Raman
(Riverside) is overdue and Linda Nguyen (Summit) lapsed; by November 30 James Okafor (Riverside)
is behind.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from reminders.alerts.service import detect
from reminders.app import App
from reminders.settings import load_settings
from reminders.webhooks.service import WebhookReport, WebhookSender, queue_webhooks
from tests.conftest import CommandLine
from tests.httpsreceiver import Receiver
from tests.smtpserver import SmtpServer

RIVERSIDE = "Riverside Health"


def _verified(secret: str, header: str, body: bytes, now: datetime) -> bool:
    """A receiver's check, written from the documentation: t and v1 from the header, an
    HMAC-SHA256 of "t.body" under the secret, within five minutes."""
    fields = {}
    for part in header.split(","):
        name, _, value = part.partition("=")
        fields[name.strip()] = value.strip()
    if abs(int(now.timestamp()) - int(fields["t"])) > 300:
        return False
    expected = hmac.new(secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), fields["v1"])


@dataclass
class Hooks:
    cli: CommandLine
    app: App
    receiver: Receiver
    now: datetime = datetime(2026, 5, 1, 15, 0, tzinfo=UTC)

    def clock(self) -> datetime:
        return self.now

    def add(self, form: str = "json", org: str = RIVERSIDE, url: str | None = None) -> str:
        result = self.cli("org", "webhook", "add", org, url or self.receiver.url, "--format", form)
        assert result.code == 0, result.err
        return result.out.splitlines()[-1]

    def detect(self, day: date) -> None:
        app = self.app
        detect(app.engine, app.rulebook, day, self.now, app.alert_rules())

    def post(self) -> WebhookReport:
        queue_webhooks(self.app.engine, self.now)
        sender = WebhookSender(self.app.engine, self.app.rulebook, self.app.webhook_rules(),
                               self.clock)  # fmt: skip
        try:
            return sender.deliver_due(self.now.date())
        finally:
            sender.close()


@pytest.fixture
def hooks(
    cli: CommandLine,
    roster: str,
    mail_env: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Hooks]:
    receiver = Receiver(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(receiver.ca))
    monkeypatch.setenv("REMINDERS_WEBHOOK_ALLOW_PRIVATE", "true")
    cli.use(roster)
    app = App(load_settings())
    made = Hooks(cli, app, receiver)
    yield made
    made.app.close()  # the app the test left in it
    receiver.stop()


def test_events_are_posted_signed_once_and_only_the_own_organisations(hooks: Hooks) -> None:
    secret = hooks.add("json")
    assert secret.startswith("whsec_")
    hooks.detect(date(2026, 5, 1))  # the baseline: Riverside is watched from now on
    hooks.now = datetime(2026, 9, 1, 15, 0, tzinfo=UTC)
    hooks.detect(date(2026, 9, 1))
    report = hooks.post()
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    [request] = hooks.receiver.received
    assert request.path == "/hooks/reminders"
    assert request.headers["Content-Type"] == "application/json"
    assert _verified(secret, request.headers["Reminders-Signature"], request.body, hooks.now)
    assert not _verified(secret, request.headers["Reminders-Signature"], request.body + b" ",
                         hooks.now), "a changed body fails"  # fmt: skip
    assert not _verified(secret, request.headers["Reminders-Signature"], request.body,
                         hooks.now + timedelta(minutes=6)), "a replay later fails"  # fmt: skip
    payload = json.loads(request.body)
    assert payload["version"] == 1 and payload["type"] == "compliance.events"
    assert payload["organisation"] == RIVERSIDE
    assert payload["id"] == request.headers["Reminders-Delivery"]
    [event] = payload["events"]
    assert event | {"id": 0} == {
        "id": 0, "kind": "overdue", "happened_on": "2026-08-30", "holder_id": "h-003",
        "name": "Priya Raman", "teams": ["HIM"], "body": "AHIMA", "credentials": ["CCS", "RHIT"],
        "cycle_end": "2026-08-29", "required": 30, "earned": 5, "remaining": 25,
        "revoked_after": "2027-02-25", "unmet_minimums": ["HIIM domains: 0 of 24"],
        "summary": event["summary"],
    }  # fmt: skip
    assert event["summary"].startswith("overdue since August 30, 2026; 25 of 30 CEUs")
    assert "Linda" not in request.body.decode(), "Summit's events are not Riverside's"
    # Seen again: nothing is posted twice.
    hooks.now += timedelta(days=1)
    hooks.detect(date(2026, 9, 2))
    assert hooks.post().sent == 0
    assert len(hooks.receiver.received) == 1


def test_slack_and_teams_get_their_own_message_shapes(hooks: Hooks) -> None:
    hooks.add("slack")
    hooks.add("teams")
    hooks.detect(date(2026, 5, 1))
    hooks.now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    hooks.detect(date(2026, 11, 30))
    assert hooks.post().sent == 2
    bodies = [json.loads(r.body) for r in hooks.receiver.received]
    slack = next(b for b in bodies if "blocks" in b)
    teams = next(b for b in bodies if b.get("type") == "message")
    assert slack["text"] == "Riverside Health: 2 new problems with CEU compliance"
    assert [b["type"] for b in slack["blocks"]] == ["header", "section", "section"]
    assert slack["blocks"][1]["text"]["text"].startswith("*Priya Raman (h-003), AHIMA CCS, RHIT*")
    [attachment] = teams["attachments"]
    card = attachment["content"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["type"] == "AdaptiveCard" and card["body"][0]["text"] == slack["text"]
    assert "James Okafor (h-002), AAPC CPC" in [block["text"] for block in card["body"]]


def test_a_failing_endpoint_is_retried_with_backoff_then_disabled_and_the_digest_says_so(
    hooks: Hooks, mail_env: SmtpServer
) -> None:
    hooks.add("json")
    hooks.detect(date(2026, 5, 1))
    hooks.receiver.answers = [500, 200]
    hooks.now = datetime(2026, 9, 1, 15, 0, tzinfo=UTC)
    hooks.detect(date(2026, 9, 1))
    assert hooks.post().retried == 1
    hooks.now += timedelta(seconds=59)
    assert hooks.post().sent == 0, "not before its next attempt"
    hooks.now += timedelta(seconds=1)
    assert hooks.post().sent == 1
    first, second = hooks.receiver.received
    # The same delivery, events and all, signed afresh (its own timestamp and sent_at).
    assert first.headers["Reminders-Delivery"] == second.headers["Reminders-Delivery"]
    assert json.loads(first.body)["events"] == json.loads(second.body)["events"]
    assert first.headers["Reminders-Signature"] != second.headers["Reminders-Signature"]
    # Now it keeps failing: retried for a day, then disabled.
    hooks.receiver.answers = [503]
    hooks.now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    hooks.detect(date(2026, 11, 30))
    tries = 0
    disabled: list[str] = []
    while not disabled:
        report = hooks.post()
        tries += report.retried + report.failed
        disabled = report.disabled
        hooks.now += timedelta(hours=1)
        assert tries < 40
    assert "HTTP 503" in disabled[0]
    log = hooks.cli("org", "webhook", "log", RIVERSIDE)
    assert log.code == 0 and "failed" in log.out and "HTTP 503" in log.out
    assert "disabled" in hooks.cli("org", "webhook", "list", RIVERSIDE).out
    digest = hooks.cli("digest", "--as-of", "2026-12-07")
    assert digest.code == 0, digest.err
    [mail] = [m for m in mail_env.inbox.messages if _to(m) == "coding.manager@riverside.example"]
    note = _text(mail).split("NOTE: ", 1)[1].split("\n", 1)[0]
    assert note.startswith("Webhook 1 (json, https://127.0.0.1:")
    assert "was stopped on" in note and "HTTP 503" in note and "enable` it" in note
    # Enabled again, it takes the events after now.
    assert hooks.cli("org", "webhook", "enable", RIVERSIDE, "1").code == 0
    hooks.receiver.answers = [200]
    assert hooks.post().sent == 0


def _to(mail: EmailMessage) -> str:
    return str(mail["To"].addresses[0].addr_spec)


def _text(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_private_and_plain_addresses_are_refused(
    hooks: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REMINDERS_WEBHOOK_ALLOW_PRIVATE", "false")
    for url, why in (
        ("http://hooks.example.org/x", "only https:// URLs"),
        (hooks.receiver.url, "resolves to 127.0.0.1, a loopback address"),
        ("https://localhost/x", "a loopback address"),
        ("https://10.1.2.3/x", "a private address"),
        ("https://169.254.169.254/latest/meta-data", "a link-local address"),
        ("https://[::ffff:127.0.0.1]/x", "a loopback address"),
        ("https://user:pw@hooks.example.org/x", "no user or password"),
    ):
        result = hooks.cli("org", "webhook", "add", RIVERSIDE, url)
        assert result.code == 2, url
        assert why in result.err, (url, result.err)


def test_the_check_is_made_again_when_the_request_goes(
    hooks: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An endpoint added while private addresses were allowed is not posted to once they are
    not: the address is checked at each connection, not only when it was added."""
    hooks.add("json")
    hooks.detect(date(2026, 5, 1))
    monkeypatch.setenv("REMINDERS_WEBHOOK_ALLOW_PRIVATE", "false")
    hooks.app.close()
    hooks.app = App(load_settings())
    hooks.now = datetime(2026, 9, 1, 15, 0, tzinfo=UTC)
    hooks.detect(date(2026, 9, 1))
    assert hooks.post().retried == 1
    assert hooks.receiver.received == []
    log = hooks.cli("org", "webhook", "log", RIVERSIDE).out
    assert "refused" in log and "loopback" in log


def test_the_command_queues_and_posts_once(hooks: Hooks) -> None:
    hooks.add("json")
    hooks.detect(date(2026, 5, 1))
    hooks.now = datetime(2026, 9, 1, 15, 0, tzinfo=UTC)
    hooks.detect(date(2026, 9, 1))
    result = hooks.cli("webhooks", "--as-of", "2026-09-01")
    assert result.code == 0, result.err
    assert result.out == "queued 1 event; posted 1, 0 to retry, 0 failed, 0 cancelled\n"
    assert len(hooks.receiver.received) == 1
    again = hooks.cli("webhooks", "--as-of", "2026-09-01")
    assert again.out == "queued 0 events; posted 0, 0 to retry, 0 failed, 0 cancelled\n"
