"""A mail server that fails at each stage of SMTP, on both databases: only a refusal of the
recipient's mailbox suppresses an address; everything else (a refused greeting, login, sender,
a policy refusal at RCPT TO, a refused DATA) keeps every message for later, charges no attempt
to it where the fault is the server's, and stops the pass after a run of failures.

The demo roster on 2026-11-24 has seven messages due (see test_delivery)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from reminders.app import App
from reminders.db.models import MessageRecord, Suppression
from reminders.mail.smtp import CONTENT, MAILBOX, SERVER, _refused_recipient
from reminders.notices.delivery import Deliverer
from reminders.notices.outcomes import Report
from reminders.notices.service import queue_due
from reminders.settings import load_settings
from tests.conftest import CommandLine, write_csv
from tests.conftest import rows as _rows
from tests.smtpserver import SmtpServer
from tests.test_delivery import DAY, START

Deliver = Callable[[], Report]


class _Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def deliver(
    cli: CommandLine, roster: str, mail_env: SmtpServer
) -> Iterator[tuple[Deliver, _Clock]]:
    """The seven messages queued; `deliver()` runs one pass at the clock's time."""
    cli.use(roster)
    clock = _Clock()
    app = App(load_settings())
    queue_due(app.engine, app.rulebook, app.ladder, DAY, clock())
    deliverer = Deliverer(
        app.engine, app.rulebook, app.ladder, app.renderer, app.smtp(), app.mail(), clock
    )
    yield (lambda: asyncio.run(deliverer.deliver_due(DAY))), clock
    app.close()


def _messages(url: str) -> list[tuple[str, int]]:
    return _rows(url, select(MessageRecord.state, MessageRecord.attempts))


REFUSALS = {
    "greeting": ("greeting", "554 5.3.2 No SMTP service here", SERVER),
    "sender": ("MAIL", "530 5.7.0 Authentication required", SERVER),
    "relay": ("RCPT", "554 5.7.1 Relay access denied", SERVER),
    "content": ("DATA", "554 5.7.1 Message rejected as spam", CONTENT),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_refusal_that_is_not_about_the_mailbox_suppresses_nobody_and_loses_nothing(
    case: str, roster: str, mail_env: SmtpServer, deliver: tuple[Deliver, _Clock]
) -> None:
    stage, reply, fault = REFUSALS[case]
    run, clock = deliver
    mail_env.inbox.refuse[stage] = reply
    report = run()
    assert report.sent == 0 and report.failed == 0 and report.retried == 7
    assert _rows(roster, select(Suppression.email)) == []
    states = _messages(roster)
    assert {state for state, _ in states} == {"retry"}
    # A server's fault is not the message's: it keeps all its attempts.
    assert {attempts for _, attempts in states} == ({0} if fault == SERVER else {1})
    assert (report.server_error is not None) == (fault == SERVER)
    # The server is fixed: everyone gets their mail.
    del mail_env.inbox.refuse[stage]
    clock.now += timedelta(hours=1)
    assert run().sent == 7
    assert len(mail_env.inbox.messages) == 7


def test_a_refused_login_is_the_servers_fault(
    cli: CommandLine, roster: str, mail_env: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A login the server refuses (535): every message waits, nobody is suppressed."""
    mail_env.inbox.refuse["AUTH"] = "535 5.7.8 Authentication credentials invalid"
    monkeypatch.setenv("REMINDERS_SMTP_USERNAME", "mailer")
    monkeypatch.setenv("REMINDERS_SMTP_PASSWORD", "wrong")
    cli.use(roster)
    result = cli("send", "--as-of", "2026-11-24")
    assert "sent 0, 7 to retry, 0 failed" in result.out, result.out + result.err
    assert "the mail server refused us: 535" in result.err
    assert _rows(roster, select(Suppression.email)) == []
    assert {attempts for _, attempts in _messages(roster)} == {0}


def test_a_run_of_refused_recipients_with_nothing_accepted_suppresses_none_of_them(
    roster: str,
    mail_env: SmtpServer,
    deliver: tuple[Deliver, _Clock],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A relay that answers 550 without an enhanced code to every RCPT TO looks like seven
    bad mailboxes; with nothing accepted in the pass, none is suppressed, and the pass stops
    after REMINDERS_MAIL_PAUSE_AFTER failures in a row."""
    mail_env.inbox.refuse["RCPT"] = "550 Relaying denied"
    run, clock = deliver
    report = run()
    assert report.sent == 0 and report.failed == 0
    assert _rows(roster, select(Suppression.email)) == []
    assert report.paused is None  # seven failures: under the default of ten
    del mail_env.inbox.refuse["RCPT"]
    clock.now += timedelta(hours=1)
    assert run().sent == 7


def test_the_breaker_stops_the_pass_and_leaves_the_rest_untried(
    cli: CommandLine, roster: str, mail_env: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REMINDERS_MAIL_PAUSE_AFTER", "3")
    monkeypatch.setenv("REMINDERS_SMTP_CONNECTIONS", "1")
    mail_env.inbox.refuse["RCPT"] = "550 Relaying denied"
    cli.use(roster)
    result = cli("send", "--as-of", "2026-11-24")
    assert "sent 0, 7 to retry, 0 failed" in result.out, result.out + result.err
    assert "3 failures in a row" in result.err
    states = _messages(roster)
    assert sorted(attempts for _, attempts in states) == [0, 0, 0, 0, 1, 1, 1]
    assert _rows(roster, select(Suppression.email)) == []


def test_a_mailbox_refused_before_any_mail_was_accepted_is_held_then_suppressed(
    cli: CommandLine,
    roster: str,
    mail_env: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """One connection, the first message to a refused mailbox: its refusal is held until the
    server accepts the next message, then it is real: failed, and the address suppressed."""
    monkeypatch.setenv("REMINDERS_SMTP_CONNECTIONS", "1")
    cli.use(roster)
    holders = write_csv(
        tmp_path / "holders.csv",
        "holder_id,full_name,email",
        "h-001,Maria Alvarez,maria@bounce.example.org",
    )
    assert cli("import", "holders", holders).code == 0
    result = cli("send", "--as-of", "2026-11-24")
    first = _rows(roster, select(MessageRecord.to_address).order_by(MessageRecord.id).limit(1))
    assert first == [("maria@bounce.example.org",)]
    assert "sent 6, 0 to retry, 1 failed" in result.out, result.out + result.err
    assert _rows(roster, select(Suppression.email)) == [("maria@bounce.example.org",)]


@pytest.mark.parametrize(
    ("code", "text", "fault"),
    [
        (550, "5.1.1 No such user", MAILBOX),
        (552, "5.2.2 Mailbox full", MAILBOX),
        (550, "Requested action not taken: mailbox unavailable", MAILBOX),
        (554, "5.7.1 Relay access denied", SERVER),
        (550, "5.4.1 Recipient address rejected: Access denied", SERVER),
        (450, "4.2.0 Mailbox busy", "message"),
    ],
)
def test_a_refused_recipient_is_the_mailboxs_fault_only_when_its_code_says_so(
    code: int, text: str, fault: str
) -> None:
    assert _refused_recipient(code, text).fault == fault


def test_an_internationalised_domain_is_stored_and_sent_in_ascii(
    cli: CommandLine, roster: str, mail_env: SmtpServer, tmp_path: Path
) -> None:
    """`user@bücher.example` was stored as written and sat in retry for ever
    (UnicodeEncodeError); it is the IDNA form that can be sent."""
    cli.use(roster)
    holders = write_csv(
        tmp_path / "holders.csv",
        "holder_id,full_name,email",
        "h-001,Maria Alvarez,maria@bücher.example",
    )
    assert cli("import", "holders", holders).code == 0
    result = cli("send", "--as-of", "2026-11-24")
    assert "sent 7, 0 to retry, 0 failed" in result.out, result.out + result.err
    sent = {m["To"].addresses[0].addr_spec for m in mail_env.inbox.messages}
    assert "maria@xn--bcher-kva.example" in sent
