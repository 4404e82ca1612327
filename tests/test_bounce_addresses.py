"""Every message names itself in its envelope sender when a bounce domain is set (VERP, issue
15 part 4), so that what comes back can be traced to the message and its recipient; an address
nobody signed names nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reminders.db.engine import make_engine
from reminders.db.models import MessageRecord
from reminders.mail.bounces import bounce_address, message_of
from reminders.settings import SettingsError, load_settings
from tests.conftest import SECRET, CommandLine
from tests.smtpserver import SmtpServer

KEY = SECRET.encode()


def test_a_bounce_address_names_its_message_and_nothing_else() -> None:
    address = bounce_address(KEY, 42, "bounces.example.org")
    assert address.startswith("bounces+42-") and address.endswith("@bounces.example.org")
    assert message_of(KEY, address) == 42
    assert message_of(KEY, f"<{address.upper()}>") == 42  # servers may change the case
    signature = address.split("-", 1)[1].split("@")[0]
    assert message_of(KEY, f"bounces+43-{signature}@bounces.example.org") is None  # forged
    assert message_of(b"another secret", address) is None
    assert message_of(KEY, "reminders@example.org") is None
    assert message_of(KEY, f"bounces+4x2-{signature}@bounces.example.org") is None
    assert message_of(KEY, f"bounces+{'9' * 30}-{signature}@b.example.org") is None


def test_the_bounce_domain_must_be_a_domain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMINDERS_BOUNCE_DOMAIN", "Bounces.Example.ORG")
    assert load_settings().bounce_domain == "bounces.example.org"
    monkeypatch.setenv("REMINDERS_BOUNCE_DOMAIN", "bounces@example.org")
    with pytest.raises(SettingsError, match="REMINDERS_BOUNCE_DOMAIN"):
        load_settings()


def test_each_message_goes_out_from_its_own_bounce_address(
    cli: CommandLine, roster: str, mail_env: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REMINDERS_BOUNCE_DOMAIN", "bounces.example.org")
    cli.use(roster)
    assert cli("send", "--as-of", "2026-11-24").code == 0
    inbox = mail_env.inbox
    assert len(inbox.messages) >= 7
    engine = make_engine(roster)
    with engine.connect() as connection:
        rows = dict(connection.execute(select(MessageRecord.id, MessageRecord.to_address)).all())
    engine.dispose()
    named = [message_of(KEY, sender) for sender in inbox.senders]
    assert None not in named and len(set(named)) == len(named)
    recipients = [m["To"].addresses[0].addr_spec for m in inbox.messages]
    assert [rows[ident] for ident in named if ident is not None] == recipients
    # The header From is unchanged: people reply to the service, not to a bounce address.
    assert {str(m["From"]) for m in inbox.messages} == {
        "Recertification Reminders <reminders@localhost>"
    }


def test_without_a_bounce_domain_the_sender_is_the_from_address(
    cli: CommandLine, roster: str, mail_env: SmtpServer
) -> None:
    cli.use(roster)
    assert cli("send", "--as-of", "2026-11-24").code == 0
    assert set(mail_env.inbox.senders) == {"reminders@localhost"}
