"""Notices end to end against a real SMTP server (aiosmtpd on 127.0.0.1), on both databases.

The demo roster on 2026-11-24 has notices due for seven people (see test_planning for the
ladder): a shortfall for h-001, h-005 and h-007, deadline rungs for h-002 (90) and h-004 (45,
the 90 skipped), the first overdue rung for h-003 and the complete notice for h-006.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import trustme
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select, update

from reminders.app import App
from reminders.db import outbox
from reminders.db.engine import make_engine
from reminders.db.models import Holder, MessageRecord, NoticeRecord, Suppression
from reminders.mail.message import Envelope, HeaderInjection, build
from reminders.mail.render import Rendered, Renderer
from reminders.mail.smtp import (
    MESSAGES_PER_CONNECTION,
    Connections,
    SendError,
    SmtpConfig,
)
from reminders.notices.delivery import Deliverer
from reminders.notices.outcomes import Report
from reminders.notices.service import prune, queue_due
from reminders.resources import templates_dir
from reminders.settings import load_settings
from reminders.tokens import verify
from tests.conftest import SECRET, CommandLine, write_csv
from tests.conftest import rows as _rows
from tests.smtpserver import SmtpServer

AS_OF = "2026-11-24"
DAY = date(2026, 11, 24)
START = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


Service = Callable[[Clock], tuple[App, Deliverer]]


@pytest.fixture
def service() -> Iterator[Service]:
    """Builds the service from the current settings, as `reminders send` does; closes it after."""
    apps: list[App] = []

    def build(clock: Clock) -> tuple[App, Deliverer]:
        app = App(load_settings())
        apps.append(app)
        deliverer = Deliverer(
            app.engine, app.rulebook, app.ladder, app.renderer, app.smtp(), app.mail(), clock
        )
        return app, deliverer

    yield build
    for app in apps:
        app.close()


def _deliver(deliverer: Deliverer, day: date = DAY) -> Report:
    return asyncio.run(deliverer.deliver_due(day))


def test_send_delivers_one_well_formed_mail_per_person_and_never_twice(
    cli: CommandLine, roster: str, mail_env: SmtpServer
) -> None:
    cli.use(roster)
    result = cli("send", "--as-of", AS_OF)
    assert result.code == 0, result.err
    assert result.out.startswith("queued 7 messages; sent 7, 0 to retry, 0 failed")
    inbox = mail_env.inbox.messages
    recipients = sorted(str(m["To"]) for m in inbox)
    assert len(recipients) == len(set(recipients)) == 7
    assert len({m["Message-ID"] for m in inbox}) == 7
    for message in inbox:
        assert message["From"] == "Recertification Reminders <reminders@localhost>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = str(message["List-Unsubscribe"])
        assert url.startswith("<https://reminders.example.org/u/") and url.endswith(">")
        token = url[1:-1].rsplit("/", 1)[1]
        grant = verify(SECRET.encode(), token, datetime.now(UTC))
        assert grant.address == message["To"].addresses[0].addr_spec
        assert message["Message-ID"].endswith("@localhost>")
        assert message.get_body(("plain",)) is not None
        assert message.get_body(("html",)) is not None
    again = cli("send", "--as-of", AS_OF)
    assert again.out.startswith("queued 0 messages; sent 0,")
    assert len(mail_env.inbox.messages) == 7
    left = json.loads(cli("plan", "--as-of", AS_OF, "--format", "json").out)
    assert {notice["kind"] for notice in left} == {"digest"}  # `reminders digest` sends those


def test_a_deadline_notice_carries_the_numbers_and_a_calendar(
    cli: CommandLine, roster: str, mail_env: SmtpServer
) -> None:
    cli.use(roster)
    assert cli("send", "--as-of", AS_OF).code == 0
    [mail] = [m for m in mail_env.inbox.messages if "thomas.becker" in str(m["To"])]
    assert mail["Subject"] == "AAPC CEUs due in 37 days: 7 still to earn"
    assert mail.get_content_type() == "multipart/mixed"
    parts = [part.get_content_type() for part in mail.walk()]
    assert parts == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/calendar",
    ]  # fmt: skip
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "AAPC (CEMC, CPC, CRC): your CEUs are due on December 31, 2026, in 37 days." in text
    assert "Required this cycle: 44 CEUs" in text
    # A met minimum says so; a category has its name, not its code.
    assert "of which CEMC specialty: 12 of 8 (met)" in text
    # The 45-day rung, 37 days before the due date: the mail says so, not "45 days before".
    assert (
        "Why this mail: 37 days are left before the due date (the reminder for 45 days before it"
        " could not reach you in time)." in " ".join(text.split())
    )
    assert "the reminder 45 days before the due date" not in text
    calendar = next(p for p in mail.walk() if p.get_content_type() == "text/calendar")
    ics = calendar.get_content()
    assert "DTSTART;VALUE=DATE:20261231" in ics and ics.count("BEGIN:VALARM") == 2
    # The 90-day rung was passed over, recorded as skipped; the 45-day one went out.
    deadline = select(NoticeRecord.key, NoticeRecord.state).where(NoticeRecord.kind == "deadline")
    assert sorted(_rows(roster, deadline)) == [
        ("h-002|AAPC|2027-01-31|deadline|90", "sent"),
        ("h-004|AAPC|2026-12-31|deadline|45", "sent"),
        ("h-004|AAPC|2026-12-31|deadline|90", "skipped"),
    ]


def test_one_message_per_person_across_two_bodies(
    cli: CommandLine, roster: str, mail_env: SmtpServer, tmp_path: Path
) -> None:
    cli.use(roster)
    write_csv(
        tmp_path / "holders.csv", "holder_id,full_name,email", "h-900,Ana Lima,ana@example.org"
    )
    write_csv(
        tmp_path / "credentials.csv", "holder_id,credential,earned_on",
        "h-900,CPC,2020-01-10", "h-900,CCS,2025-02-01",
    )  # fmt: skip
    write_csv(tmp_path / "memberships.csv", "holder_id,body,renews_on", "h-900,AAPC,2027-01-31")
    assert cli("import", "all", tmp_path).code == 0
    assert cli("send", "--as-of", "2026-11-05").code == 0
    [mail] = [m for m in mail_env.inbox.messages if "ana@example.org" in str(m["To"])]
    assert mail["Subject"] == (
        "AAPC CEUs due in 87 days: 36 still to earn (also: AHIMA CEUs due January 31, 2027)"
    )
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "AAPC (CPC): your CEUs are due on January 31, 2027" in text
    assert "AHIMA (CCS): your CEUs are due on January 31, 2027" in text


def test_data_is_printed_never_run_as_template_or_markup(
    cli: CommandLine, roster: str, mail_env: SmtpServer, tmp_path: Path
) -> None:
    cli.use(roster)
    hostile = "<script>alert(1)</script> {{ 7*7 }}"
    write_csv(
        tmp_path / "holders.csv", "holder_id,full_name,email", f"h-001,{hostile},m@example.org"
    )
    # Such a name is refused now; one stored before that rule must still print as text.
    assert cli("import", "holders", tmp_path / "holders.csv").code == 2
    engine = make_engine(roster)
    with engine.begin() as connection:
        connection.execute(
            update(Holder).where(Holder.holder_id == "h-001")
            .values(full_name=hostile, email="m@example.org")
        )  # fmt: skip
    engine.dispose()
    assert cli("send", "--as-of", AS_OF).code == 0
    [mail] = [m for m in mail_env.inbox.messages if "m@example.org" in str(m["To"])]
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    # Not "49" anywhere: the signed tokens in the links may hold those digits by chance.
    assert f"Dear {hostile}," in text and "</script> 49" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }}" in html
    assert "<script>" not in html
    assert mail["To"].addresses[0].display_name == hostile


def test_list_unsubscribe_offers_a_mailto_when_configured(
    cli: CommandLine, roster: str, mail_env: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REMINDERS_UNSUBSCRIBE_MAILTO", "unsubscribe@example.org")
    cli.use(roster)
    assert cli("send", "--as-of", AS_OF).code == 0
    header = str(mail_env.inbox.messages[0]["List-Unsubscribe"])
    link, mailto = header.split(", ")
    assert link.startswith("<https://reminders.example.org/u/")
    assert mailto == "<mailto:unsubscribe@example.org?subject=unsubscribe>"


def test_no_header_is_built_from_a_value_with_a_line_break() -> None:
    rendered = Rendered("Subject", "text", "<p>html</p>")
    arguments = {
        "mail_from": "R <r@example.org>", "to_name": "Ann", "to_address": "ann@example.org",
        "keys": ["k"], "unsubscribe_url": "https://x.example/u/t", "now": START,
    }  # fmt: skip
    for field, value in (
        ("to_name", "Ann\r\nBcc: victim@example.org"),
        ("to_address", "ann@example.org\nBcc: victim@example.org"),
        ("unsubscribe_url", "https://x.example/u/t\r\nX-Evil: 1"),
    ):
        with pytest.raises(HeaderInjection):
            build(rendered, **{**arguments, field: value})  # type: ignore[arg-type]
    with pytest.raises(HeaderInjection):
        build(Rendered("Hi\r\nBcc: v@example.org", "t", "h"), **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name", ["=?utf-8?q?=0D=0ABcc:victim@example.org?=", "Jörg Müller", 'Ann "Lee", CPC']
)
def test_a_display_name_reads_as_given_and_never_as_an_encoded_word(name: str) -> None:
    """A name shaped like an encoded word reached the To header verbatim, for a client to
    decode into a line break and a Bcc."""
    envelope = build(
        Rendered("Subject", "text", "<p>html</p>"), mail_from="R <r@example.org>", to_name=name,
        to_address="ann@example.org", keys=["k"], unsubscribe_url="https://x.example/u/t",
        now=START,
    )  # fmt: skip
    raw = envelope.data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert "=?utf-8?q?" not in raw
    parsed = message_from_bytes(envelope.data, policy=policy.default)
    assert parsed["To"].addresses[0].display_name == name
    assert parsed["Bcc"] is None


def test_a_temporary_failure_is_retried_later_and_nothing_is_lost(
    cli: CommandLine, roster: str, mail_env: SmtpServer, service: Service
) -> None:
    cli.use(roster)
    clock = Clock()
    app, deliverer = service(clock)
    assert queue_due(app.engine, app.rulebook, app.ladder, DAY, clock()) == 7
    mail_env.inbox.temporary_failures = 1
    first = _deliver(deliverer)
    assert (first.sent, first.retried) == (6, 1)
    assert _deliver(deliverer).sent == 0  # the retry is not due yet
    clock.advance(hours=1)
    assert _deliver(deliverer).sent == 1
    assert len(mail_env.inbox.messages) == 7
    states = _rows(roster, select(MessageRecord.state, MessageRecord.attempts))
    assert sorted(states) == [("sent", 1)] * 6 + [("sent", 2)]


def test_an_unreachable_server_delays_every_notice_and_loses_none(
    cli: CommandLine,
    roster: str,
    mail_env: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    service: Service,
) -> None:
    cli.use(roster)
    clock = Clock()
    monkeypatch.setenv("REMINDERS_SMTP_PORT", str(_closed_port()))
    app, down = service(clock)
    queue_due(app.engine, app.rulebook, app.ladder, DAY, clock())
    report = _deliver(down)
    assert (report.sent, report.retried) == (0, 7)
    assert all("cannot reach the mail server" in error for error in report.errors)
    monkeypatch.setenv("REMINDERS_SMTP_PORT", str(mail_env.port))
    _, up = service(clock)
    clock.advance(hours=1)
    assert _deliver(up).sent == 7
    assert len(mail_env.inbox.messages) == 7


def test_a_refused_address_fails_and_is_suppressed_until_the_holder_changes(
    cli: CommandLine, roster: str, mail_env: SmtpServer, tmp_path: Path
) -> None:
    cli.use(roster)
    holders = tmp_path / "holders.csv"
    write_csv(holders, "holder_id,full_name,email", "h-001,Maria Alvarez,maria@bounce.example.org")
    assert cli("import", "holders", holders).code == 0
    result = cli("send", "--as-of", AS_OF)
    assert "sent 6, 0 to retry, 1 failed" in result.out
    assert "maria@bounce.example.org: recipient refused" in result.err
    assert _rows(roster, select(Suppression.email)) == [("maria@bounce.example.org",)]
    # The next notice to that address fails at once, without a word to the server.
    later = cli("send", "--as-of", "2026-12-31")
    assert "maria@bounce.example.org" not in "".join(str(m["To"]) for m in mail_env.inbox.messages)
    assert "suppressed" in "".join(
        error for (error,) in _rows(roster, select(MessageRecord.last_error)) if error
    ), later.out
    logged = json.loads(
        cli("mail", "log", "--to", "Maria@Bounce.example.org", "--format", "json").out
    )
    assert [m["state"] for m in logged] == ["failed", "failed"]
    assert logged[0]["reason"].startswith("the address is suppressed: ")
    assert logged[1]["reason"] is None and "refused" in logged[1]["last_error"]
    # A corrected row lifts the suppression.
    write_csv(holders, "holder_id,full_name,email", "h-001,Maria Alvarez,maria@example.org")
    assert cli("import", "holders", holders).code == 0
    assert _rows(roster, select(Suppression.email)) == []


def test_a_notice_solved_between_planning_and_sending_is_cancelled(
    cli: CommandLine, roster: str, mail_env: SmtpServer, tmp_path: Path, service: Service
) -> None:
    cli.use(roster)
    clock = Clock()
    app, deliverer = service(clock)
    queue_due(app.engine, app.rulebook, app.ladder, DAY, clock())
    # h-001 (CPC + CPMA, 21.5 of 40, auditing 10 of 16) records the rest meanwhile.
    write_csv(
        tmp_path / "ceus.csv", "holder_id,completed_on,hours,title,bodies,categories",
        "h-001,2026-11-20,18.5,Audit Week,AAPC,auditing",
    )  # fmt: skip
    assert cli("import", "ceus", tmp_path / "ceus.csv").code == 0
    report = _deliver(deliverer)
    assert (report.sent, report.cancelled) == (6, 1)
    assert not [m for m in mail_env.inbox.messages if "maria" in str(m["To"])]
    states = _rows(roster, select(NoticeRecord.state).where(NoticeRecord.key.startswith("h-001|")))
    assert states == [("cancelled",)]
    # The mail log says why.
    [logged] = json.loads(cli("mail", "log", "--holder", "h-001", "--format", "json").out)
    assert logged["state"] == "cancelled" and logged["finished_at"] is not None
    assert logged["reason"] == "it no longer applied: the records changed before it went"


def test_a_notice_that_could_not_go_out_in_time_expires(
    cli: CommandLine, roster: str, mail_env: SmtpServer, service: Service
) -> None:
    cli.use(roster)
    clock = Clock()
    app, deliverer = service(clock)
    queue_due(app.engine, app.rulebook, app.ladder, DAY, clock())
    # Three weeks of outage: h-004's 45-day rung expired on 2026-12-16, when the 15-day one came.
    report = _deliver(deliverer, date(2026, 12, 17))
    assert report.expired >= 1
    h004 = _rows(
        roster,
        select(NoticeRecord.state).where(NoticeRecord.key == "h-004|AAPC|2026-12-31|deadline|45"),
    )
    assert h004 == [("expired",)]
    assert not [m for m in mail_env.inbox.messages if "thomas.becker" in str(m["To"])]
    [logged] = json.loads(cli("mail", "log", "--holder", "h-004", "--format", "json").out)
    assert logged["state"] == "expired"
    assert logged["reason"] == "too late: it could go out until 2026-12-15"


def test_a_claim_whose_worker_died_is_taken_again_when_its_lease_runs_out(
    cli: CommandLine, roster: str, mail_env: SmtpServer, service: Service
) -> None:
    cli.use(roster)
    clock = Clock()
    app, deliverer = service(clock)
    queue_due(app.engine, app.rulebook, app.ladder, DAY, clock())
    with app.engine.begin() as connection:  # a worker claims everything, then dies
        assert len(outbox.claim(connection, clock(), timedelta(minutes=5), 100, "dead")) == 7
    assert _deliver(deliverer).sent == 0
    clock.advance(minutes=6)
    assert _deliver(deliverer).sent == 7
    assert len(mail_env.inbox.messages) == 7


def test_the_daily_cap_holds_the_rest_for_tomorrow(
    cli: CommandLine,
    roster: str,
    mail_env: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    service: Service,
) -> None:
    cli.use(roster)
    monkeypatch.setenv("REMINDERS_DAILY_CAP", "1")
    # h-002 and h-006 share a mailbox; each has a notice due.
    write_csv(
        tmp_path / "holders.csv", "holder_id,full_name,email",
        "h-002,James Okafor,samuel.ortiz@summit.example",
    )  # fmt: skip
    assert cli("import", "holders", tmp_path / "holders.csv").code == 0
    clock = Clock()
    app, deliverer = service(clock)
    queue_due(app.engine, app.rulebook, app.ladder, DAY, clock())
    first = _deliver(deliverer)
    assert (first.sent, first.deferred) == (6, 1)
    clock.advance(hours=1)
    assert _deliver(deliverer).sent == 0  # still today
    clock.advance(days=1)
    assert _deliver(deliverer).sent == 1
    shared = [m for m in mail_env.inbox.messages if "samuel.ortiz" in str(m["To"])]
    assert len(shared) == 2


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_send_window_follows_each_holders_time_zone(
    cli: CommandLine,
    roster: str,
    mail_env: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    service: Service,
) -> None:
    cli.use(roster)
    monkeypatch.setenv("REMINDERS_SEND_WINDOW", "08:00-20:00")
    clock = Clock()  # 14:00 UTC: 08:00 in Chicago, 09:00 in New York, 07:00 Denver, 06:00 LA
    app, deliverer = service(clock)
    queue_due(app.engine, app.rulebook, app.ladder, DAY, clock())
    first = _deliver(deliverer)
    assert (first.sent, first.deferred) == (5, 2)  # h-004 (Denver) and h-005 (Los Angeles)
    waiting = _rows(
        roster,
        select(MessageRecord.to_address, MessageRecord.next_attempt_at)
        .where(MessageRecord.state == "retry")
        .order_by(MessageRecord.to_address),
    )
    assert [(address, when.replace(tzinfo=UTC)) for address, when in waiting] == [
        ("linda.nguyen@summit.example", datetime(2026, 11, 24, 16, 0, tzinfo=UTC)),
        ("thomas.becker@summit.example", datetime(2026, 11, 24, 15, 0, tzinfo=UTC)),
    ]
    clock.advance(hours=1)
    assert _deliver(deliverer).sent == 1
    clock.advance(hours=1)
    assert _deliver(deliverer).sent == 1
    assert len(mail_env.inbox.messages) == 7


def test_a_message_that_cannot_be_prepared_holds_up_no_other(
    cli: CommandLine, roster: str, mail_env: SmtpServer, tmp_path: Path, service: Service
) -> None:
    """A template broken for one kind: its message waits with the error, the rest go out."""
    cli.use(roster)
    templates = tmp_path / "templates"
    shutil.copytree(templates_dir(), templates)
    (templates / "complete.txt").write_text("{{ n.no_such_field }}\n")
    clock = Clock()
    app, deliverer = service(clock)
    deliverer.renderer = Renderer(templates)
    queue_due(app.engine, app.rulebook, app.ladder, DAY, clock())
    report = _deliver(deliverer)
    assert report.sent == 6
    assert report.errors == [
        (
            "samuel.ortiz@summit.example: cannot prepare the message: "
            "UndefinedError(\"'reminders.notices.content.NoticeView object' has no attribute 'no_such_field'\")"
        )
    ]
    [(state, error)] = _rows(
        roster,
        select(MessageRecord.state, MessageRecord.last_error).where(
            MessageRecord.to_address == "samuel.ortiz@summit.example"
        ),
    )
    assert state == "retry" and "no_such_field" in error


@pytest.mark.parametrize("connections", [1, 3])
def test_a_sender_killed_mid_delivery_loses_nothing_and_repeats_at_most_one_a_connection(
    cli: CommandLine, roster: str, mail_env: SmtpServer, service: Service, connections: int
) -> None:
    """SIGKILL during `reminders send`, then a later pass: every notice arrives; only the
    messages in flight at the kill (one a connection) may arrive twice, with the same
    Message-ID. With several connections their outcomes are recorded in groups."""
    cli.use(roster)
    mail_env.inbox.delay = 0.3
    env = {**os.environ, "REMINDERS_SMTP_CONNECTIONS": str(connections)}
    sender = subprocess.Popen(
        [sys.executable, "-m", "reminders", "send", "--as-of", AS_OF],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while len(mail_env.inbox.messages) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    sender.send_signal(signal.SIGKILL)
    sender.wait()
    assert 2 <= len(mail_env.inbox.messages) < 7, "the kill must land mid-delivery"
    mail_env.inbox.delay = 0
    clock = Clock()
    clock.now = datetime.now(UTC) + timedelta(minutes=6)  # the dead sender's lease has run out
    _, deliverer = service(clock)
    _deliver(deliverer)
    recipients = [str(m["To"]) for m in mail_env.inbox.messages]
    assert len(set(recipients)) == 7
    assert len(recipients) - 7 <= connections
    by_recipient: dict[str, set[str]] = {}
    for message in mail_env.inbox.messages:
        by_recipient.setdefault(str(message["To"]), set()).add(str(message["Message-ID"]))
    assert all(len(ids) == 1 for ids in by_recipient.values())
    states = _rows(roster, select(MessageRecord.state))
    assert states == [("sent",)] * 7


def _envelopes(count: int) -> list[Envelope]:
    return [
        Envelope("reminders@example.org", f"coder-{n}@example.org", b"Subject: hi\r\n\r\nhello\r\n")
        for n in range(count)
    ]


def test_connections_are_reused_across_batches(smtp_server: SmtpServer) -> None:
    """A delivery pass sends its batches over the same few connections."""
    config = SmtpConfig("127.0.0.1", smtp_server.port, connections=2)

    async def three_batches() -> list[list[SendError | None]]:
        async with Connections(config) as connections:
            return [await connections.send_all(_envelopes(30)) for _ in range(3)]

    outcomes = asyncio.run(three_batches())
    assert outcomes == [[None] * 30] * 3
    assert len(smtp_server.inbox.messages) == 90
    assert smtp_server.inbox.sessions <= 2 + 1  # a connection per batch would have made six


def test_a_connection_is_opened_again_after_its_share_of_messages(
    smtp_server: SmtpServer,
) -> None:
    config = SmtpConfig("127.0.0.1", smtp_server.port, connections=1)
    count = 2 * MESSAGES_PER_CONNECTION + 1

    async def one_pass() -> list[SendError | None]:
        async with Connections(config) as connections:
            return await connections.send_all(_envelopes(count))

    outcomes = asyncio.run(one_pass())
    assert outcomes == [None] * count
    assert len(smtp_server.inbox.messages) == count
    assert smtp_server.inbox.sessions == 3


def test_starttls_and_authentication(
    cli: CommandLine, roster: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A server that insists on STARTTLS and a login (it refuses MAIL before both), with a
    certificate from a test CA."""
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(server_context)
    logins: list[tuple[str, str]] = []

    def authenticator(
        server: object, session: object, envelope: object, mechanism: str, auth_data: LoginPassword
    ) -> AuthResult:
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"s3cret-password")

    server = SmtpServer(
        tls_context=server_context, require_starttls=True, authenticator=authenticator,
        auth_required=True,
    ).start()  # fmt: skip
    try:
        ca_file = tmp_path / "ca.pem"
        authority.cert_pem.write_to_path(str(ca_file))
        monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
        for name, value in {
            "REMINDERS_SMTP_HOST": "127.0.0.1", "REMINDERS_SMTP_PORT": str(server.port),
            "REMINDERS_SMTP_TLS": "starttls", "REMINDERS_SMTP_USERNAME": "mailer",
            "REMINDERS_SMTP_PASSWORD": "s3cret-password", "REMINDERS_SECRET_KEY": SECRET,
        }.items():  # fmt: skip
            monkeypatch.setenv(name, value)
        cli.use(roster)
        result = cli("send", "--as-of", AS_OF)
        assert result.out.startswith("queued 7 messages; sent 7,"), result.out + result.err
        assert len(server.inbox.messages) == 7
        assert set(logins) == {("mailer", "s3cret-password")}
    finally:
        server.stop()


def test_implicit_tls(
    cli: CommandLine,
    roster: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    service: Service,
) -> None:
    """REMINDERS_SMTP_TLS=tls speaks TLS from the first byte, and checks the certificate."""
    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_context)
    server = SmtpServer(tls=server_context).start()
    try:
        for name, value in {
            "REMINDERS_SMTP_HOST": "127.0.0.1", "REMINDERS_SMTP_PORT": str(server.port),
            "REMINDERS_SMTP_TLS": "tls", "REMINDERS_SECRET_KEY": SECRET,
        }.items():  # fmt: skip
            monkeypatch.setenv(name, value)
        cli.use(roster)
        # Without the CA the certificate is refused: nothing goes out, everything waits.
        refused = cli("send", "--as-of", AS_OF)
        assert "sent 0, 7 to retry" in refused.out
        assert "CERTIFICATE_VERIFY_FAILED" in refused.err
        ca_file = tmp_path / "ca.pem"
        authority.cert_pem.write_to_path(str(ca_file))
        monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
        clock = Clock()
        clock.now = datetime.now(UTC) + timedelta(hours=2)  # past the retry
        _, deliverer = service(clock)
        assert _deliver(deliverer).sent == 7
        assert len(server.inbox.messages) == 7
    finally:
        server.stop()


def test_pruning_old_messages_never_lets_a_notice_go_out_again(
    cli: CommandLine, roster: str, mail_env: SmtpServer, service: Service
) -> None:
    cli.use(roster)
    clock = Clock()
    app, deliverer = service(clock)
    queue_due(app.engine, app.rulebook, app.ladder, DAY, clock())
    assert _deliver(deliverer).sent == 7
    assert prune(app.engine, clock() - timedelta(days=1)) == 0  # too recent
    assert prune(app.engine, clock() + timedelta(seconds=1)) == 7
    assert _rows(roster, select(MessageRecord.id)) == []
    keys = _rows(roster, select(NoticeRecord.key, NoticeRecord.state, NoticeRecord.message_pk))
    assert len(keys) == 8 and all(pk is None for _, _, pk in keys)
    assert queue_due(app.engine, app.rulebook, app.ladder, DAY, clock()) == 0


def test_a_lapsed_credential_is_mentioned_in_every_mail_while_it_lasts(
    cli: CommandLine, roster: str, mail_env: SmtpServer, tmp_path: Path
) -> None:
    """Ana's AHIMA RHIA lapsed (its 2023-2025 cycle unmet, the 180 inactive days over on
    2025-12-11); mails about her AAPC CEUs said nothing of it."""
    cli.use(roster)
    write_csv(
        tmp_path / "holders.csv", "holder_id,full_name,email", "h-900,Ana Lima,ana@example.org"
    )
    write_csv(
        tmp_path / "credentials.csv", "holder_id,credential,earned_on",
        "h-900,CPC,2020-01-10", "h-900,RHIA,2019-06-15",
    )  # fmt: skip
    write_csv(tmp_path / "memberships.csv", "holder_id,body,renews_on", "h-900,AAPC,2027-01-31")
    write_csv(
        tmp_path / "ceus.csv", "holder_id,completed_on,hours,title,bodies,categories",
        "h-900,2024-03-01,5,HIM update,AHIMA,hiim",
    )  # fmt: skip
    assert cli("import", "all", tmp_path).code == 0
    status = json.loads(cli("status", "--holder", "h-900", "--as-of", "2026-11-03",
                            "--format", "json").out)  # fmt: skip
    assert {o["body"]: o["status"] for o in status} == {"AAPC": "behind", "AHIMA": "lapsed"}
    assert cli("send", "--as-of", "2026-11-03").code == 0
    [first] = [m for m in mail_env.inbox.messages if "ana@example.org" in str(m["To"])]
    # The lapse was eleven months old when she was added: no lapsed notice is due any more,
    # and her AAPC mail used to be silent about it.
    assert "AHIMA" not in str(first["Subject"])
    text = " ".join(first.get_body(("plain",)).get_content().split())  # type: ignore[union-attr]
    assert (
        "Also, while it lasts: - Your AHIMA credentials (RHIA) lapsed: the CEUs due on June 14,"
        " 2025 were not met by December 11, 2025. Ask AHIMA how to reinstate them." in text
    )
    mail_env.inbox.messages.clear()
    assert cli("send", "--as-of", "2026-12-17").code == 0  # AAPC's 45-day reminder
    [later] = [m for m in mail_env.inbox.messages if "ana@example.org" in str(m["To"])]
    assert str(later["Subject"]).startswith("AAPC CEUs due in 45 days")
    text = " ".join(later.get_body(("plain",)).get_content().split())  # type: ignore[union-attr]
    assert "Also, while it lasts: - Your AHIMA credentials (RHIA) lapsed" in text
    html = later.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Your AHIMA credentials (RHIA) lapsed" in html
