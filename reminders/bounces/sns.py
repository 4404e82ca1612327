"""Amazon SNS messages, as SES delivers its bounce and complaint notifications: their signature
checked as AWS documents it ("Verifying the signatures of Amazon SNS messages").

A message is believed only when its topic is one the operator named (REMINDERS_SES_TOPIC_ARNS),
its signing certificate comes over HTTPS from an SNS host of AWS, and its RSA signature (SHA1
for SignatureVersion 1, SHA256 for 2) over the documented fields checks against that
certificate. A subscription is confirmed by fetching its SubscribeURL, which must be an SNS
host too: nothing else is ever fetched.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

_SNS_HOST = re.compile(r"sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?")
_SIGNED = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
    ),
    "UnsubscribeConfirmation": (
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
    ),
}  # fmt: skip
_HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}
MAX_CERTIFICATE_BYTES = 64 * 1024


class Refused(Exception):
    """The message is not one to believe; the text says why (for the log and the 403)."""


class Network(Protocol):
    """What the check needs from AWS: a signing certificate, and a subscription confirmed."""

    def certificate(self, url: str) -> bytes: ...

    def confirm(self, url: str) -> None: ...


def check_sns_url(url: str) -> str:
    """The URL, if it is an HTTPS URL of an SNS host of AWS; else Refused."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not _SNS_HOST.fullmatch(parts.hostname or "") or parts.port:
        raise Refused(f"not an HTTPS URL of Amazon SNS: {url[:200]!r}")
    return url


class AwsNetwork:
    """The real thing, over HTTPS; certificates are kept once fetched (they change rarely)."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self._certificates: dict[str, bytes] = {}

    def certificate(self, url: str) -> bytes:
        url = check_sns_url(url)
        if not urlsplit(url).path.endswith(".pem"):
            raise Refused(f"not a certificate URL: {url[:200]!r}")
        if url not in self._certificates:
            if len(self._certificates) >= 32:  # AWS rotates them now and then: keep a few
                self._certificates.clear()
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                self._certificates[url] = response.read(MAX_CERTIFICATE_BYTES)
        return self._certificates[url]

    def confirm(self, url: str) -> None:
        with urllib.request.urlopen(check_sns_url(url), timeout=self.timeout) as response:
            response.read(MAX_CERTIFICATE_BYTES)


@dataclass(frozen=True)
class SnsMessage:
    kind: str
    """Notification, SubscriptionConfirmation or UnsubscribeConfirmation."""
    message_id: str
    topic: str
    message: str
    subscribe_url: str | None


def string_to_sign(fields: Mapping[str, Any]) -> bytes:
    """The documented canonical form: each signed field present, its name and value, each on
    a line of its own, in this order."""
    names = _SIGNED.get(str(fields.get("Type")), ())
    lines = []
    for name in names:
        if name in fields and fields[name] is not None:
            lines += [name, str(fields[name])]
    return "".join(line + "\n" for line in lines).encode("utf-8")


def verified(body: bytes, topics: frozenset[str], network: Network) -> SnsMessage:
    """The SNS message of an HTTP body, once its topic and signature check; else Refused."""
    try:
        fields = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused("not an SNS message (not JSON)") from exc
    if not isinstance(fields, dict) or fields.get("Type") not in _SIGNED:
        raise Refused("not an SNS message (no known Type)")
    missing = [n for n in ("MessageId", "TopicArn", "Message", "Signature", "SigningCertURL")
               if not isinstance(fields.get(n), str)]  # fmt: skip
    if missing:
        raise Refused(f"an SNS message without {', '.join(missing)}")
    if fields["TopicArn"] not in topics:
        raise Refused(f"a topic not in REMINDERS_SES_TOPIC_ARNS: {fields['TopicArn'][:200]}")
    algorithm = _HASHES.get(str(fields.get("SignatureVersion", "1")))
    if algorithm is None:
        raise Refused(f"an unknown SignatureVersion {fields.get('SignatureVersion')!r}")
    try:
        signature = base64.b64decode(fields["Signature"], validate=True)
        pem = network.certificate(fields["SigningCertURL"])
        key = x509.load_pem_x509_certificate(pem).public_key()
    except (binascii.Error, ValueError) as exc:
        raise Refused(f"an unreadable signature or certificate: {exc}") from exc
    except OSError as exc:
        raise Refused(f"the signing certificate could not be fetched: {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise Refused("a signing certificate without an RSA key")
    try:
        key.verify(signature, string_to_sign(fields), padding.PKCS1v15(), algorithm())
    except InvalidSignature as exc:
        raise Refused("the signature does not match") from exc
    url = fields.get("SubscribeURL")
    return SnsMessage(
        fields["Type"], fields["MessageId"], fields["TopicArn"], fields["Message"],
        url if isinstance(url, str) else None,
    )  # fmt: skip
