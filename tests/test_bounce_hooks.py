"""Providers' webhooks (issue 15, part 4): Amazon SES through SNS, its signatures checked with
real RSA keys, and Postmark behind Basic authentication; over real HTTP, on both databases.

AWS itself is out of reach here: a certificate made by the test stands in for the one SNS
signs with, served by a stand-in of the network that keeps the URL checks of the real one."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from reminders.app import App
from reminders.bounces.sns import AwsNetwork, Refused, check_sns_url, string_to_sign
from reminders.db.models import BounceReport, MessageRecord, Suppression
from reminders.mail.bounces import bounce_address
from reminders.settings import SettingsError, load_settings
from reminders.web.server import build
from tests.conftest import SECRET, CommandLine, rows
from tests.smtpserver import SmtpServer
from tests.webserver import serving

TOPIC = "arn:aws:sns:us-east-1:123456789012:ses-bounces"
CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000.pem"
POSTMARK_SECRET = "postmark-webhook-password-123"
KEY = SECRET.encode()


@pytest.fixture(scope="module")
def signer() -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, certificate.public_bytes(serialization.Encoding.PEM)


class StandInNetwork:
    """AWS as far as SNS needs it: the signing certificate, and subscriptions confirmed."""

    def __init__(self, pem: bytes) -> None:
        self.pem = pem
        self.confirmed: list[str] = []

    def certificate(self, url: str) -> bytes:
        if check_sns_url(url) != CERT_URL:
            raise OSError("404 Not Found")
        return self.pem

    def confirm(self, url: str) -> None:
        self.confirmed.append(check_sns_url(url))


def _canonical(fields: dict[str, str]) -> bytes:
    """AWS's string to sign, written out from its documentation on its own (not the code's)."""
    if fields["Type"] == "Notification":
        names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    return "".join(f"{n}\n{fields[n]}\n" for n in names if n in fields).encode()


def _signed(key: rsa.RSAPrivateKey, fields: dict[str, str], version: str = "1") -> bytes:
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    signature = key.sign(_canonical(fields), padding.PKCS1v15(), algorithm)
    signed = {
        **fields,
        "SignatureVersion": version,
        "Signature": base64.b64encode(signature).decode(),
        "SigningCertURL": CERT_URL,
    }
    return json.dumps(signed).encode()


def _notification(event: Mapping[str, object], ident: str = "sns-1") -> dict[str, str]:
    return {
        "Type": "Notification",
        "MessageId": ident,
        "TopicArn": TOPIC,
        "Message": json.dumps(event),
        "Timestamp": "2026-12-04T14:12:05.000Z",
    }


def _bounce(
    source: str, recipient: str, kind: str = "Permanent", ident: str = "fb-1"
) -> dict[str, object]:
    return {
        "notificationType": "Bounce",
        "bounce": {
            "feedbackId": ident,
            "bounceType": kind,
            "bounceSubType": "General",
            "bouncedRecipients": [
                {"emailAddress": recipient, "action": "failed", "status": "5.1.1",
                 "diagnosticCode": "smtp; 550 5.1.1 user unknown"}
            ],
            "timestamp": "2026-12-04T14:12:04.000Z",
        },
        "mail": {"source": source, "destination": [recipient], "messageId": "ses-0001"},
    }  # fmt: skip


@pytest.fixture
def sent(cli: CommandLine, roster: str, mail_env: SmtpServer) -> list[tuple[str, str]]:
    """The demo's notices sent with bounce addresses: (recipient, bounce address) of each."""
    cli.use(roster)
    assert cli("send", "--as-of", "2026-11-24").code == 0
    found = rows(roster, select(MessageRecord.id, MessageRecord.to_address))
    return sorted(
        (address, bounce_address(KEY, ident, "b.example.org")) for ident, address in found
    )


@pytest.fixture
def hooks(
    roster: str,
    sent: list[tuple[str, str]],
    signer: tuple[rsa.RSAPrivateKey, bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[httpx.Client, StandInNetwork]]:
    monkeypatch.setenv("REMINDERS_SES_TOPIC_ARNS", f"{TOPIC}, arn:aws:sns:eu-west-1:123456789012:x")
    monkeypatch.setenv("REMINDERS_POSTMARK_WEBHOOK_SECRET", POSTMARK_SECRET)
    app = App(load_settings(), as_of=date(2026, 11, 24))
    network = StandInNetwork(signer[1])
    app.sns = network
    with serving(build(app)) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client, network
    app.close()


def _suppressions(url: str) -> dict[str, str]:
    return dict(rows(url, select(Suppression.email, Suppression.kind)))


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_signed_ses_bounce_suppresses_the_address_the_message_went_to(
    hooks: tuple[httpx.Client, StandInNetwork],
    roster: str,
    sent: list[tuple[str, str]],
    signer: tuple[rsa.RSAPrivateKey, bytes],
    version: str,
) -> None:
    client, _ = hooks
    address, bounce = sent[0]
    # SES names whom it tried; the envelope sender names the message, and that decides.
    body = _signed(signer[0], _notification(_bounce(bounce, "someone@else.example")), version)
    answer = client.post("/hooks/ses", content=body, headers={"Content-Type": "text/plain"})
    assert answer.status_code == 200 and answer.json() == {"kind": "hard", "suppressed": True}
    assert _suppressions(roster) == {address: "bounce"}
    again = client.post("/hooks/ses", content=body)  # SNS delivers at least once
    assert again.json() == {"kind": "seen", "suppressed": False}
    assert rows(roster, select(BounceReport.report_id, BounceReport.status)) == [
        ("ses:fb-1", "5.1.1")
    ]


def test_what_ses_did_not_sign_or_did_not_send_is_refused(
    hooks: tuple[httpx.Client, StandInNetwork],
    roster: str,
    sent: list[tuple[str, str]],
    signer: tuple[rsa.RSAPrivateKey, bytes],
) -> None:
    client, _ = hooks
    address, bounce = sent[0]
    fields = _notification(_bounce(bounce, address))
    tampered = json.loads(_signed(signer[0], fields))
    tampered["Message"] = tampered["Message"].replace("Permanent", "Transient")
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cases = {
        "the signature does not match": json.dumps(tampered).encode(),
        "signature does not match ": _signed(other_key, fields),
        "a topic not in REMINDERS_SES_TOPIC_ARNS": _signed(
            signer[0], {**fields, "TopicArn": "arn:aws:sns:us-east-1:999999999999:other"}
        ),
        "not an HTTPS URL of Amazon SNS": _signed(signer[0], fields).replace(
            b"sns.us-east-1.amazonaws.com", b"sns.us-east-1.amazonaws.com.evil.example"
        ),
        "not an SNS message": b"{not json",
        "an SNS message without Signature": json.dumps(fields).encode(),
    }
    for reason, body in cases.items():
        answer = client.post("/hooks/ses", content=body)
        assert answer.status_code == 403, reason
        assert reason.strip() in answer.json()["detail"]
    assert _suppressions(roster) == {}
    assert rows(roster, select(BounceReport.id)) == []


def test_a_subscription_is_confirmed_and_a_complaint_believed_from_its_recipient(
    hooks: tuple[httpx.Client, StandInNetwork],
    roster: str,
    sent: list[tuple[str, str]],
    signer: tuple[rsa.RSAPrivateKey, bytes],
) -> None:
    client, network = hooks
    subscribe = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=abc"
    confirmation = {
        "Type": "SubscriptionConfirmation", "MessageId": "sub-1", "Token": "abc",
        "TopicArn": TOPIC, "Message": "You have chosen to subscribe", "SubscribeURL": subscribe,
        "Timestamp": "2026-12-04T14:00:00.000Z",
    }  # fmt: skip
    answer = client.post("/hooks/ses", content=_signed(signer[0], confirmation))
    assert answer.json() == {"confirmed": True} and network.confirmed == [subscribe]
    # SES rewrote the envelope sender (no bounce address): the signed notification is believed.
    address = sent[1][0]
    complaint = {
        "notificationType": "Complaint",
        "complaint": {"feedbackId": "fb-9", "complaintFeedbackType": "abuse",
                      "complainedRecipients": [{"emailAddress": address.upper()}]},
        "mail": {"source": "reminders@example.org"},
    }  # fmt: skip
    answer = client.post("/hooks/ses", content=_signed(signer[0], _notification(complaint, "n2")))
    assert answer.json() == {"kind": "complaint", "suppressed": True}
    assert _suppressions(roster) == {address: "complaint"}
    delivery = {"notificationType": "Delivery", "mail": {"source": "x@y.example"}}
    answer = client.post("/hooks/ses", content=_signed(signer[0], _notification(delivery, "n3")))
    assert answer.json() == {"kind": "ignored", "suppressed": False}


def _postmark(client: httpx.Client, payload: dict[str, object], password: str) -> httpx.Response:
    return client.post("/hooks/postmark", json=payload, auth=("postmark", password))


def test_postmark_events_need_the_password_and_count_once(
    hooks: tuple[httpx.Client, StandInNetwork], roster: str, sent: list[tuple[str, str]]
) -> None:
    client, _ = hooks
    (hard, _), (soft, _), (complained, _) = sent[:3]

    def event(ident: int, kind: str, email: str) -> dict[str, object]:
        return {"RecordType": "Bounce", "ID": ident, "Type": kind, "Email": email,
                "Details": f"{kind} details", "BouncedAt": "2026-12-04T16:33:54Z"}  # fmt: skip

    refused = client.post("/hooks/postmark", json=event(1, "HardBounce", hard))
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Basic")
    assert _postmark(client, event(1, "HardBounce", hard), "wrong-password").status_code == 401
    assert _suppressions(roster) == {}
    answer = _postmark(client, event(1, "HardBounce", hard), POSTMARK_SECRET)
    assert answer.json() == {"kind": "hard", "suppressed": True}
    assert _postmark(client, event(1, "HardBounce", hard), POSTMARK_SECRET).json()["kind"] == "seen"
    for ident in (2, 3):
        answer = _postmark(client, event(ident, "SoftBounce", soft), POSTMARK_SECRET)
        assert answer.json() == {"kind": "soft", "suppressed": False}
    answer = _postmark(client, event(4, "SoftBounce", soft), POSTMARK_SECRET)
    assert answer.json() == {"kind": "soft", "suppressed": True}
    spam = {**event(5, "SpamComplaint", complained), "RecordType": "SpamComplaint"}
    assert _postmark(client, spam, POSTMARK_SECRET).json()["suppressed"] is True
    auto = _postmark(client, event(6, "AutoResponder", complained), POSTMARK_SECRET)
    assert auto.json() == {"kind": "ignored", "suppressed": False}
    assert _suppressions(roster) == {hard: "bounce", soft: "bounce", complained: "complaint"}
    broken = client.post("/hooks/postmark", content=b"[1,2", auth=("postmark", POSTMARK_SECRET))
    assert broken.status_code == 400


def test_the_hooks_are_off_until_configured(
    cli: CommandLine, roster: str, mail_env: SmtpServer
) -> None:
    cli.use(roster)
    app = App(load_settings())
    with serving(build(app)) as base, httpx.Client(base_url=base, timeout=30) as client:
        assert client.post("/hooks/ses", content=b"{}").status_code == 404
        assert client.post("/hooks/postmark", json={}).status_code == 404
    app.close()


def test_only_aws_is_asked_for_certificates(monkeypatch: pytest.MonkeyPatch) -> None:
    network = AwsNetwork(timeout=1)
    for url in (
        "http://sns.us-east-1.amazonaws.com/cert.pem",
        "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem",
        "https://evil.example/sns.us-east-1.amazonaws.com/cert.pem",
        "https://sns.us-east-1.amazonaws.com:8443/cert.pem",
        "https://sns.us-east-1.amazonaws.com/cert.txt",
    ):
        with pytest.raises(Refused):
            network.certificate(url)
    assert check_sns_url("https://sns.cn-north-1.amazonaws.com.cn/x.pem")
    monkeypatch.setenv("REMINDERS_SES_TOPIC_ARNS", "not-an-arn")
    with pytest.raises(SettingsError, match="REMINDERS_SES_TOPIC_ARNS"):
        load_settings()


def test_the_string_to_sign_is_the_documented_one() -> None:
    fields = {"Type": "Notification", "MessageId": "m", "TopicArn": "t", "Message": "hi\nthere",
              "Timestamp": "2026", "Signature": "s", "UnsubscribeURL": "u"}  # fmt: skip
    assert string_to_sign(fields) == (
        b"Message\nhi\nthere\nMessageId\nm\nTimestamp\n2026\nTopicArn\nt\nType\nNotification\n"
    )
    assert string_to_sign({**fields, "Subject": "S"}) == (
        b"Message\nhi\nthere\nMessageId\nm\nSubject\nS\nTimestamp\n2026\nTopicArn\nt\n"
        b"Type\nNotification\n"
    )
