"""What an operator asks of the service from the command line: who got what (`mail log`), what a
message said (`mail show`), how the outbox stands (`outbox`), and which addresses get nothing
(`suppression list|remove`, recorded in the audit log); on both databases, with real mail."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from reminders.db.engine import make_engine
from reminders.db.models import AuditEntry, Suppression
from tests.conftest import CommandLine, rows
from tests.smtpserver import SmtpServer

AS_OF = "2026-11-24"


def _log(cli: CommandLine, *options: str) -> list[dict[str, object]]:
    result = cli("mail", "log", "--format", "json", *options)
    assert result.code == 0, result.err
    found = json.loads(result.out)
    assert isinstance(found, list)
    return found


def test_the_mail_log_says_who_got_what_newest_first(
    cli: CommandLine, roster: str, mail_env: SmtpServer
) -> None:
    cli.use(roster)
    assert cli("send", "--as-of", AS_OF).code == 0
    assert cli("digest", "--as-of", AS_OF).code == 0
    every = _log(cli)
    assert len(every) == len(mail_env.inbox.messages) == 10
    assert [m["kind"] for m in every].count("digest") == 3
    assert all(m["state"] == "sent" and m["attempts"] == 1 and m["sent_at"] for m in every)
    ids = [int(str(m["id"])) for m in every]
    assert ids == sorted(ids, reverse=True)
    # "Did Priya get her overdue notice?"
    [priya] = _log(cli, "--holder", "h-003")
    assert priya["to"] == "priya.raman@riverside.example" and priya["name"] == "Priya Raman"
    assert priya["notices"] == [{"body": "AHIMA", "kind": "overdue", "rung": "1",
                                 "cycle_end": "2026-08-29", "state": "sent"}]  # fmt: skip
    [digest] = _log(cli, "--to", "HIM.Director@riverside.example")
    assert digest["kind"] == "digest" and digest["about"] == (
        "monthly digest of Riverside Health, HIM, 2026-11"
    )
    assert _log(cli, "--status", "retrying") == [] and len(_log(cli, "--status", "sent")) == 10
    assert _log(cli, "--since", "2999-01-01") == [] and len(_log(cli, "--limit", "3")) == 3
    table = cli("mail", "log", "--holder", "h-003")
    assert "Priya Raman (h-003)" in table.out and "AHIMA overdue 1" in table.out
    spread = cli("mail", "log", "--format", "csv").out
    lines = list(csv.DictReader(io.StringIO(spread)))
    assert len(lines) == 10 and lines[0]["created_at"].endswith("Z")
    assert cli("mail", "log", "--status", "lost").code == 2  # not a state: a usage error


def test_mail_show_prints_the_headers_and_text_as_sent_without_the_links_tokens(
    cli: CommandLine, roster: str, mail_env: SmtpServer
) -> None:
    cli.use(roster)
    assert cli("send", "--as-of", AS_OF).code == 0
    [priya] = _log(cli, "--holder", "h-003")
    shown = cli("mail", "show", str(priya["id"]))
    assert shown.code == 0, shown.err
    [sent] = [m for m in mail_env.inbox.messages if "priya" in str(m["To"])]
    assert f"Subject: {sent['Subject']}" in shown.out
    assert f"Message-ID: {sent['Message-ID']}" in shown.out
    assert "Dear Priya Raman," in shown.out and "Still to earn:       25" in shown.out
    assert "/u/[token]" in shown.out and "v2." not in shown.out
    assert cli("mail", "show", "99999").code == 2


def test_the_outbox_counts_by_state_and_says_how_long_the_oldest_has_waited(
    cli: CommandLine, roster: str, mail_env: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli.use(roster)
    assert "nothing is waiting" in cli("outbox").out
    # No mail server: everything waits for the next try.
    monkeypatch.setenv("REMINDERS_SMTP_PORT", "9")
    cli("send", "--as-of", AS_OF)
    out = cli("outbox").out
    assert "0 queued" in out and "7 retrying" in out and "0 sent" in out
    assert "oldest waiting: queued " in out and "hours ago" in out and "next retry: " in out
    [waiting] = _log(cli, "--holder", "h-003")
    assert waiting["state"] == "retrying" and waiting["next_attempt_at"]


def test_a_suppression_is_listed_and_lifted_with_who_and_why_in_the_audit_log(
    cli: CommandLine, roster: str, mail_env: SmtpServer
) -> None:
    cli.use(roster)
    assert "no address is suppressed" in cli("suppression", "list").out
    engine = make_engine(roster)
    with engine.begin() as connection:
        connection.execute(insert(Suppression).values(
            email="priya.raman@riverside.example", reason="550 5.1.1 no such user",
            created_at=datetime(2026, 11, 20, tzinfo=UTC), kind="refused",
        ))  # fmt: skip
    engine.dispose()
    listed = json.loads(cli("suppression", "list", "--format", "json").out)
    assert listed == [{"email": "priya.raman@riverside.example", "kind": "refused",
                       "reason": "550 5.1.1 no such user", "since": "2026-11-20T00:00:00Z"}]  # fmt: skip
    assert "550 5.1.1 no such user" in cli("suppression", "list").out
    assert cli("suppression", "remove", "priya.raman@riverside.example").code == 2  # why?
    lifted = cli("suppression", "remove", "Priya.Raman@riverside.example", "--why",
                 "mailbox restored, ticket 4711", "--by", "dana")  # fmt: skip
    assert lifted.code == 0 and "lifted the suppression" in lifted.out
    assert rows(roster, select(Suppression.email)) == []
    [(actor, action, target, detail)] = rows(
        roster, select(AuditEntry.actor, AuditEntry.action, AuditEntry.target, AuditEntry.detail)
    )
    assert (actor, action, target) == ("dana", "suppression.lift", "priya.raman@riverside.example")
    assert detail == "mailbox restored, ticket 4711 (was refused: 550 5.1.1 no such user)"
    again = cli("suppression", "remove", "priya.raman@riverside.example", "--why", "twice")
    assert again.code == 2 and "is not suppressed" in again.err
    # Mail goes to the address again.
    assert cli("send", "--as-of", AS_OF).code == 0
    assert [m for m in mail_env.inbox.messages if "priya" in str(m["To"])]
