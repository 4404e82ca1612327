"""Reading what comes back (issue 15, part 4): delivery-status notifications (RFC 3464) and
complaint reports (RFC 5965) as real servers write them, down to what each one says of the
address, and never an exception on what is not one."""

from __future__ import annotations

from pathlib import Path

import pytest

from reminders.mail.bounces import bounce_address, message_of
from reminders.mail.reports import Ignored, Report, read_report
from tests.conftest import SECRET

SAMPLES = Path(__file__).parent / "data" / "reports"
KEY = SECRET.encode()
BOUNCE = bounce_address(KEY, 7, "bounces.example.org")


def sample(name: str, bounce: str = BOUNCE) -> bytes:
    return (SAMPLES / name).read_bytes().replace(b"@@BOUNCE@@", bounce.encode())


def report(name: str) -> Report:
    found = read_report(sample(name))
    assert isinstance(found, Report), found
    return found


def test_a_user_unknown_is_a_hard_bounce_of_the_message_it_names() -> None:
    found = report("postfix-user-unknown.eml")
    assert found.kind == "hard"
    assert found.status == "5.1.1"
    assert found.recipients == ("dana.ortiz@clinic.example",)
    assert "User unknown in virtual mailbox table" in found.detail
    assert found.report_id == "<20261204141204.3F1A81C0DA@mail.example.org>"
    assert found.addresses[0] == BOUNCE
    assert [message_of(KEY, a) for a in found.addresses] == [7]  # Delivered-To, To, Return-Path


@pytest.mark.parametrize(
    ("name", "status", "recipient"),
    [
        ("exim-retry-timeout.eml", "4.4.7", "lee.park@hospital.example"),  # gave up retrying
        ("mailbox-full.eml", "5.2.2", "ana.ruiz@gmail.example"),  # full: may empty again
        ("policy-refusal.eml", "5.7.1", "kim.wu@outlook.example"),  # about us, not the address
    ],
)
def test_what_may_pass_or_is_about_the_sender_is_a_soft_bounce(
    name: str, status: str, recipient: str
) -> None:
    found = report(name)
    assert (found.kind, found.status, found.recipients) == ("soft", status, (recipient,))
    assert BOUNCE in found.addresses


def test_the_returned_original_names_the_bounce_address_when_nothing_else_does() -> None:
    data = sample("exim-retry-timeout.eml")
    data = data.replace(f"Envelope-to: {BOUNCE}".encode(), b"Envelope-to: fbl@example.org")
    data = data.replace(f"To: {BOUNCE}".encode(), b"To: fbl@example.org")
    found = read_report(data)
    assert isinstance(found, Report) and found.addresses == ("fbl@example.org", BOUNCE)


def test_a_complaint_report_names_the_complainer_and_the_message() -> None:
    found = report("complaint-arf.eml")
    assert found.kind == "complaint"
    assert found.status == "abuse"
    assert found.recipients == ("robin.ames@isp.example",)
    assert found.detail == "complaint (abuse) reported by SomeGenerator/1.0"
    assert BOUNCE in found.addresses and "fbl@example.org" in found.addresses
    assert found.report_id == "<arf-7f1e2d@isp.example>"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("delayed.eml", "no recipient failed"),
        ("not-spam-arf.eml", "not a complaint"),
        ("auto-reply.eml", "not a delivery-status notification or complaint report"),
    ],
)
def test_what_says_nothing_of_a_failure_is_ignored(name: str, reason: str) -> None:
    found = read_report(sample(name))
    assert isinstance(found, Ignored) and reason in found.reason


def test_a_report_without_a_message_id_is_known_by_its_bytes() -> None:
    data = sample("delayed.eml").replace(
        b"Message-Id: <20261204160000.AAAA@mail.example.org>\n", b""
    )
    first, again = read_report(data), read_report(data)
    assert first.report_id.startswith("sha256:") and first.report_id == again.report_id
    assert read_report(data + b"\n").report_id != first.report_id


def test_a_hard_failure_decides_among_several_recipients() -> None:
    data = sample("mailbox-full.eml").replace(
        b"Last-Attempt-Date: Fri, 04 Dec 2026 06:12:01 -0800 (PST)\n",
        b"Last-Attempt-Date: Fri, 04 Dec 2026 06:12:01 -0800 (PST)\n\n"
        b"Final-Recipient: rfc822; gone@gmail.example\nAction: failed\nStatus: 5.1.1\n",
    )
    found = read_report(data)
    assert isinstance(found, Report) and (found.kind, found.status) == ("hard", "5.1.1")
    assert found.recipients == ("gone@gmail.example", "ana.ruiz@gmail.example")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\xff\xfe garbage",
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\n\n--x\n",
        (
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\n\n--x\n"
            b"Content-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n%%%\n--x--\n"
        ),
        b"Content-Type: multipart/report; report-type=feedback-report; boundary=x\n\n--x--\n",
        b"Content-Type: multipart/report; report-type=disposition-notification\n\nread\n",
    ],
)
def test_what_is_not_a_readable_report_is_ignored_without_an_error(data: bytes) -> None:
    assert isinstance(read_report(data), Ignored)


def test_a_base64_delivery_status_part_is_read() -> None:
    import base64

    block = (
        b"Reporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; x@y.example\n"
        b"Action: failed\nStatus: 5.1.2\n"
    )
    data = (
        b"Message-ID: <b64@mx.example>\nTo: " + BOUNCE.encode() + b"\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\n\n--x\n"
        b"Content-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(block)
        + b"--x--\n"
    )
    found = read_report(data)
    assert isinstance(found, Report)
    assert (found.kind, found.status, found.recipients) == ("hard", "5.1.2", ("x@y.example",))
