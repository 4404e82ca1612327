"""Bounces and complaints after acceptance (issue 15, part 4): read from a Maildir, from a real
IMAP server (dovecot) or piped in, each once; a hard bounce or a complaint suppresses the
address the message went to at once, soft bounces when they repeat; a report nobody signed
suppresses nobody."""

from __future__ import annotations

import csv
import io
import mailbox
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from reminders.bounces.record import BounceRules, take
from reminders.db.engine import make_engine
from reminders.db.models import BounceReport, Holder, MessageRecord, Suppression
from reminders.mail.bounces import bounce_address
from reminders.mail.reports import read_report
from tests.conftest import SECRET, CommandLine, rows, write_csv
from tests.imapserver import ImapServer
from tests.processes import stop
from tests.smtpserver import SmtpServer
from tests.test_bounce_reports import sample
from tests.test_daemon import AS_OF, DIGESTS, NOTICES, _get, _port
from tests.webserver import until as _until

DOMAIN = "bounces.example.org"
KEY = SECRET.encode()


@pytest.fixture
def sent(
    cli: CommandLine, roster: str, mail_env: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> dict[str, tuple[int, str]]:
    """The demo roster's notices sent with bounce addresses: each recipient's message id and
    bounce address."""
    monkeypatch.setenv("REMINDERS_BOUNCE_DOMAIN", DOMAIN)
    cli.use(roster)
    assert cli("send", "--as-of", "2026-11-24").code == 0
    messages = rows(roster, select(MessageRecord.id, MessageRecord.to_address))
    return {address: (ident, bounce_address(KEY, ident, DOMAIN)) for ident, address in messages}


def _maildir(path: Path, *mails: bytes) -> Path:
    box = mailbox.Maildir(path, create=True)
    for data in mails:
        box.add(data)
    return path


def _suppressions(url: str) -> dict[str, tuple[str, str]]:
    found = rows(url, select(Suppression.email, Suppression.kind, Suppression.reason))
    return {email: (kind, reason) for email, kind, reason in found}


def _reports(url: str) -> list[tuple[str, str | None]]:
    return rows(url, select(BounceReport.kind, BounceReport.address).order_by(BounceReport.id))


def test_a_hard_bounce_in_the_maildir_suppresses_the_address_its_message_went_to(
    cli: CommandLine, roster: str, sent: dict[str, tuple[int, str]], tmp_path: Path
) -> None:
    address, (_, bounce) = min(sent.items())
    bounced = sample("postfix-user-unknown.eml", bounce)
    maildir = _maildir(tmp_path / "Maildir", bounced, sample("delayed.eml", bounce))
    result = cli("bounces", "read", "--maildir", maildir)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "maildir: 1 hard, 1 ignored; 1 address(es) suppressed",
        f"  suppressed {address}",
    ]
    # The address our outbox sent to, not the one the report names (it could say anything).
    kind, reason = _suppressions(roster)[address]
    assert kind == "bounce" and reason.startswith("bounced after delivery: 5.1.1: smtp; 550")
    assert "dana.ortiz@clinic.example" not in _suppressions(roster)
    box = mailbox.Maildir(maildir, create=False)
    assert sorted(m.get_flags() for m in box) == ["S", "S"]  # kept, and marked as read
    assert bounced in [file.read_bytes() for file in (maildir / "cur").iterdir()]  # as it came
    assert cli("bounces", "read", "--maildir", maildir).out.startswith("maildir: nothing;")
    # The same report again (a second copy, or a crash before it was flagged) is not counted.
    box.add(bounced)
    assert cli("bounces", "read", "--maildir", maildir).out.startswith("maildir: 1 seen;")
    assert sorted(_reports(roster), key=str) == [("hard", address), ("ignored", None)]


def test_a_report_whose_bounce_address_nobody_signed_suppresses_nobody(
    cli: CommandLine, roster: str, sent: dict[str, tuple[int, str]], tmp_path: Path
) -> None:
    ident, bounce = min(sent.values())
    forged = bounce.replace(f"bounces+{ident}-", f"bounces+{ident + 1}-")
    maildir = _maildir(tmp_path / "Maildir", sample("postfix-user-unknown.eml", forged))
    result = cli("bounces", "read", "--maildir", maildir)
    assert result.out.startswith("maildir: 1 unmatched; 0 address(es) suppressed"), result.out
    assert _suppressions(roster) == {}
    assert _reports(roster) == [("unmatched", None)]


def test_soft_bounces_suppress_only_when_they_repeat_within_the_window(
    roster: str, sent: dict[str, tuple[int, str]]
) -> None:
    address, (_, bounce) = min(sent.items())
    rules = BounceRules(KEY, soft_limit=3, soft_days=14)
    now = datetime(2026, 12, 4, 12, tzinfo=UTC)
    engine = make_engine(roster)

    def soft(number: int, at: datetime) -> bool:
        data = sample("mailbox-full.eml", bounce).replace(
            b"0001.GMR@mx.google.com", f"{number:04}.GMR@mx.google.com".encode()
        )
        with engine.begin() as connection:
            return take(connection, rules, read_report(data), "maildir", at).suppressed

    try:
        assert not soft(1, now - timedelta(days=15))  # outside the window by then
        assert not soft(2, now - timedelta(days=3))
        assert not soft(3, now)
        assert address not in _suppressions(roster)
        assert soft(4, now + timedelta(hours=1))
        kind, reason = _suppressions(roster)[address]
        assert kind == "bounce"
        assert reason.startswith("3 soft bounces in 14 days, the last: 5.2.2: smtp; 552-5.2.2")
    finally:
        engine.dispose()


def test_a_complaint_outlasts_a_changed_holder_row_and_a_bounce_does_not(
    cli: CommandLine, roster: str, sent: dict[str, tuple[int, str]], tmp_path: Path
) -> None:
    (bounced, (_, first)), (complained, (_, second)) = sorted(sent.items())[:2]
    maildir = _maildir(
        tmp_path / "Maildir",
        sample("postfix-user-unknown.eml", first),
        sample("complaint-arf.eml", second),
    )
    assert cli("bounces", "read", "--maildir", maildir).out.startswith(
        "maildir: 1 complaint, 1 hard; 2 address(es) suppressed"
    )
    assert _suppressions(roster)[complained] == (
        "complaint",
        "the recipient reported our mail as spam (abuse)",
    )
    # Both holders' rows change (a new name): a bounce may have been fixed, a complaint stands.
    holders = rows(
        roster, select(Holder.holder_id, Holder.full_name, Holder.email, Holder.timezone)
    )
    changed = [
        f"{holder_id},{name} Jr,{email},{zone}"
        for holder_id, name, email, zone in holders
        if email in (bounced, complained)
    ]
    csv = write_csv(tmp_path / "holders.csv", "holder_id,full_name,email,timezone", *changed)
    assert cli("import", "holders", csv).code == 0
    assert set(_suppressions(roster)) == {complained}


def test_a_report_piped_in_by_the_mail_server_is_taken(
    cli: CommandLine, roster: str, sent: dict[str, tuple[int, str]], tmp_path: Path
) -> None:
    address, (_, bounce) = min(sent.items())
    report = tmp_path / "report.eml"
    report.write_bytes(sample("complaint-arf.eml", bounce))
    result = cli("bounces", "take", report)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "report: 1 complaint; 1 address(es) suppressed",
        f"  suppressed {address}",
        "the recipient reported our mail as spam (abuse)",
    ]
    assert cli("bounces", "take", report).out.startswith("report: 1 seen;")


@pytest.fixture
def imap() -> Iterator[ImapServer]:
    server = ImapServer().start()
    yield server
    server.stop()


def test_reports_are_read_from_an_imap_folder_once(
    cli: CommandLine,
    roster: str,
    sent: dict[str, tuple[int, str]],
    imap: ImapServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (first, (_, one)), (second, (_, two)) = sorted(sent.items())[:2]
    imap.deliver(sample("postfix-user-unknown.eml", one))
    imap.deliver(sample("auto-reply.eml", two))
    monkeypatch.setenv("REMINDERS_BOUNCE_IMAP_URL", imap.url)
    result = cli("bounces", "read")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "imap 127.0.0.1/INBOX: 1 hard, 1 ignored; 1 address(es) suppressed",
        f"  suppressed {first}",
    ]
    assert imap.unseen() == 0
    imap.deliver(sample("complaint-arf.eml", two))
    assert cli("bounces", "read").out.startswith("imap 127.0.0.1/INBOX: 1 complaint;")
    assert set(_suppressions(roster)) == {first, second}
    assert cli("bounces", "read").out.startswith("imap 127.0.0.1/INBOX: nothing;")


def test_a_wrong_imap_password_or_no_mailbox_is_a_clear_error(
    cli: CommandLine, roster: str, imap: ImapServer, mail_env: SmtpServer
) -> None:
    cli.use(roster)
    result = cli("bounces", "read")
    assert result.code == 2
    assert "set REMINDERS_BOUNCE_MAILDIR or REMINDERS_BOUNCE_IMAP_URL" in result.err
    wrong = imap.url.replace("imap-password", "wrong-password")
    result = cli("bounces", "read", "--imap", wrong)
    assert (
        result.code == 2 and "cannot read the bounce mailbox: IMAP server 127.0.0.1" in result.err
    )
    assert "Authentication failed" in result.err
    assert "wrong-password" not in result.err + result.out


def test_the_daemon_reads_the_bounce_mailbox_on_its_own(
    cli: CommandLine,
    roster: str,
    mail_env: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli.use(roster)
    maildir = _maildir(tmp_path / "Maildir")
    port = _port()
    env = {
        **os.environ,
        "REMINDERS_HTTP_PORT": str(port),
        "REMINDERS_SCAN_INTERVAL_SECONDS": "3600",
        "REMINDERS_DELIVER_INTERVAL_SECONDS": "1",
        "REMINDERS_BOUNCE_DOMAIN": DOMAIN,
        "REMINDERS_BOUNCE_MAILDIR": str(maildir),
        "REMINDERS_BOUNCE_INTERVAL_SECONDS": "0.5",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "reminders", "run", "--as-of", AS_OF], env=env,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        inbox = mail_env.inbox
        _until(lambda: len(inbox.messages) == NOTICES + DIGESTS)
        first = next(i for i, m in enumerate(inbox.messages) if "compliance" not in m["Subject"])
        recipient = inbox.messages[first]["To"].addresses[0].addr_spec
        mailbox.Maildir(maildir).add(sample("postfix-user-unknown.eml", inbox.senders[first]))
        _until(lambda: recipient in _suppressions(roster))
        metrics = f"http://127.0.0.1:{port}/metrics"
        _until(lambda: "reminders_bounce_suppressions_total 1.0" in _get(metrics)[1])
        assert 'reminders_bounce_reports_total{kind="hard"} 1.0' in _get(metrics)[1]
    finally:
        stop(process, timeout=20)
    assert process.stderr is not None
    with process.stderr:
        log = process.stderr.read().decode()
    # The log names addresses by their fingerprints only: a coder's, and a digest's subscriber's.
    assert recipient not in log
    assert "@" not in log.replace(f"@{DOMAIN}", "")
    assert "bounces: maildir: 1 hard; 1 address(es) suppressed" in log
    assert f"bounces: suppressed {cli('fingerprint', recipient).out.strip()}" in log


def _riverside_digest(inbox: list[EmailMessage]) -> tuple[str, list[dict[str, str]]]:
    """The text of the Riverside coding manager's digest, and its CSV table."""
    [digest] = [m for m in inbox if str(m["To"]) == "coding.manager@riverside.example"]
    body = digest.get_body(("plain",))
    [attachment] = list(digest.iter_attachments())
    data = attachment.get_payload(decode=True)
    assert isinstance(body, EmailMessage) and isinstance(data, bytes)
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    return " ".join(str(body.get_content()).split()), table


def test_the_employer_digest_lists_a_bouncing_address_until_the_roster_fixes_it(
    cli: CommandLine,
    roster: str,
    sent: dict[str, tuple[int, str]],
    mail_env: SmtpServer,
    tmp_path: Path,
) -> None:
    address = min(a for a in sent if a.endswith("@riverside.example"))
    [(holder_id, name)] = rows(
        roster, select(Holder.holder_id, Holder.full_name).where(Holder.email == address)
    )
    report = tmp_path / "report.eml"
    report.write_bytes(sample("postfix-user-unknown.eml", sent[address][1]))
    assert cli("bounces", "take", report).code == 0
    today = datetime.now(UTC).date()  # the suppression's day: when the report was taken
    mail_env.inbox.messages.clear()
    assert cli("digest", "--as-of", "2026-11-30").code == 0
    text, table = _riverside_digest(mail_env.inbox.messages)
    said = f"since {today:%B} {today.day}, {today.year}: reminders do not reach them"
    assert f"{name} " in text and f"address bouncing {said}" in text
    assert {row["holder_id"]: row["bouncing_since"] for row in table}[holder_id] == str(today)
    assert sum(bool(row["bouncing_since"]) for row in table) == 1
    # The roster gets a working address: the next digest no longer lists it.
    fixed = write_csv(
        tmp_path / "holders.csv",
        "holder_id,full_name,email",
        f"{holder_id},{name},{holder_id}.new@riverside.example",
    )
    assert cli("import", "holders", fixed).code == 0
    mail_env.inbox.messages.clear()
    assert cli("digest", "--as-of", "2026-12-07").code == 0
    text, table = _riverside_digest(mail_env.inbox.messages)
    assert "address bouncing" not in text
    assert not any(row["bouncing_since"] for row in table)
