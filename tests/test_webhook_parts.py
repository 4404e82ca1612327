"""The webhooks' pure parts: signing, the address check, the message shapes; and the API."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from cryptography.exceptions import InvalidTag

from reminders.alerts.content import told
from reminders.alerts.events import OVERDUE
from reminders.digests.content import line_of
from reminders.webhooks import signing
from reminders.webhooks.address import Refused, check_url, forbidden
from reminders.webhooks.payloads import CHAT_LIMIT, render
from tests.test_alert_events import ev
from tests.test_api import Web, web  # noqa: F401 (the fixture)

NOW = 1_764_892_800


def test_a_signature_holds_for_its_body_and_time_only() -> None:
    secret = signing.new_secret()
    body = b'{"version":1}'
    header = signing.header(secret, NOW, body)
    assert header.startswith(f"t={NOW},v1=") and len(header.split("v1=")[1]) == 64
    assert signing.verify(secret, header, body, NOW + 299)
    assert not signing.verify(secret, header, body, NOW + 301), "a replay after the window"
    assert not signing.verify(secret, header, body + b" ", NOW)
    assert not signing.verify(signing.new_secret(), header, body, NOW), "another secret"
    assert not signing.verify(secret, "v1=abc", body, NOW)
    forged = header.replace(f"t={NOW}", f"t={NOW + 100}")
    assert not signing.verify(secret, forged, body, NOW + 100), "the time is signed too"


def test_a_secret_is_kept_sealed_under_the_service_key() -> None:
    secret = signing.new_secret()
    sealed = signing.seal(b"k" * 32, secret)
    assert secret not in sealed and signing.unseal(b"k" * 32, sealed) == secret
    with pytest.raises(InvalidTag):
        signing.unseal(b"x" * 32, sealed)


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.0.0.1", "private"),
        ("192.168.1.1", "private"), ("172.16.0.1", "private"), ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"), ("0.0.0.0", "private"), ("224.0.0.1", "multicast"),
        ("::ffff:10.0.0.1", "private"), ("100.64.0.1", "not a public address"),
        ("fd00::1", "private"), ("93.184.216.34", None), ("2606:4700::1111", None),
    ],
)  # fmt: skip
def test_what_counts_as_a_private_address(address: str, why: str | None) -> None:
    assert forbidden(address) == why


def test_a_name_is_judged_by_every_address_it_resolves_to() -> None:
    def resolve(host: str, port: int) -> list[str]:
        return {"mixed.example": ["93.184.216.34", "10.0.0.7"],
                "public.example": ["93.184.216.34"]}[host]  # fmt: skip

    assert check_url("https://public.example/h", False, resolve) == "https://public.example/h"
    with pytest.raises(Refused, match="10.0.0.7, a private address"):
        check_url("https://mixed.example/h", False, resolve)
    assert check_url("https://mixed.example/h", True, resolve)
    with pytest.raises(Refused, match="only https"):
        check_url("ftp://public.example/h", True, resolve)


def _items(count: int) -> list[tuple[int, object]]:
    line = line_of("Ann <b>Lee</b> & co", ev("overdue", "2026-12-31"))
    return [(n, told(line, OVERDUE, date(2027, 1, 1))) for n in range(count)]


def test_slack_text_is_escaped_and_a_long_list_is_counted() -> None:
    body = json.loads(render("slack", "Acme", "whd_1", datetime.now(UTC), _items(45)))  # type: ignore[arg-type]
    assert body["blocks"][1]["text"]["text"].startswith("*Ann &lt;b&gt;Lee&lt;/b&gt; &amp; co")
    assert len(body["blocks"]) == 1 + CHAT_LIMIT + 1 <= 50
    assert body["blocks"][-1]["elements"][0]["text"].startswith("… and 5 more")


def test_json_carries_every_event_with_the_delivery_id() -> None:
    sent = datetime(2027, 1, 2, 9, 30, tzinfo=UTC)
    body = json.loads(render("json", "Acme", "whd_7", sent, _items(45)))  # type: ignore[arg-type]
    assert (body["version"], body["id"], body["sent_at"]) == (1, "whd_7", "2027-01-02T09:30:00Z")
    assert len(body["events"]) == 45 and body["events"][0]["remaining"] == 26


def test_webhooks_through_the_api(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811 (the fixture)
    org = "Summit Billing Partners"
    refused = web.call(org, "POST", "/webhooks", json={"url": "https://127.0.0.1/x"})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "url"]
    assert "loopback" in refused.json()["detail"][0]["msg"]
    assert web.call(org, "GET", "/webhooks").json() == []
    bad_format = web.call(org, "POST", "/webhooks", json={"url": "https://x.org", "format": "irc"})
    assert bad_format.status_code == 422


@pytest.fixture
def private_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMINDERS_WEBHOOK_ALLOW_PRIVATE", "true")


def test_an_endpoint_added_through_the_api_shows_its_secret_once(
    private_allowed: None,
    web: Web,  # noqa: F811 (the fixture)
) -> None:
    org = "Summit Billing Partners"
    made = web.call(org, "POST", "/webhooks",
                    json={"url": "https://127.0.0.1:9/hook", "format": "teams"})  # fmt: skip
    assert made.status_code == 201, made.text
    created = made.json()
    assert created["secret"].startswith("whsec_") and created["state"] == "active"
    listed = web.call(org, "GET", "/webhooks").json()
    assert [hook["id"] for hook in listed] == [created["id"]]
    assert "secret" not in listed[0] and created["secret"] not in json.dumps(listed)
    path = f"/webhooks/{created['id']}"
    assert web.call(org, "GET", f"{path}/deliveries").json() == []
    assert web.call("Riverside Health", "DELETE", path).status_code == 404
    assert web.call(org, "DELETE", path).status_code == 204
    assert web.call(org, "GET", "/webhooks").json() == []
