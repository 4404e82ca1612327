"""Escalation to team leads end to end on the demo roster, against a real SMTP server, on both
databases.

Riverside Health's HIM team is Priya Raman (h-003, AHIMA overdue since August 30, 2026) and
Grace Whitfield (h-007, AHIMA due March 2, 2027); Dana Whitaker leads it. Summit's Risk
Adjustment team is Thomas Becker (h-004, AAPC due December 31, 2026), led by Lou Park.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from reminders.app import App
from reminders.db.models import MessageRecord, TeamLead
from reminders.notices.delivery import Deliverer
from reminders.notices.service import queue_due
from reminders.settings import load_settings
from tests.conftest import CommandLine, rows, write_csv
from tests.smtpserver import SmtpServer
from tests.test_api import Web, web  # noqa: F401 (the fixture)

DANA = "dana.whitaker@riverside.example"
LOU = "lou.park@summit.example"
PRIYA = "priya.raman@riverside.example"
THOMAS = "thomas.becker@summit.example"


def _text(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def _to(mail: EmailMessage) -> str:
    return str(mail["To"].addresses[0].addr_spec)


@pytest.fixture
def leads(cli: CommandLine, roster: str, mail_env: SmtpServer) -> SmtpServer:
    cli.use(roster)
    for argv in (
        ("org", "lead", "add", "Riverside Health", "HIM", DANA, "--name", "Dana Whitaker"),
        ("org", "lead", "add", "Summit Billing Partners", "Risk Adjustment", LOU),
    ):
        result = cli(*argv)
        assert result.code == 0, result.err
    return mail_env


def _escalate(cli: CommandLine, org: str, policy: str) -> None:
    result = cli("org", "set", org, "--escalate", policy)
    assert result.code == 0, result.err


def _send(cli: CommandLine, day: str, smtp: SmtpServer) -> list[EmailMessage]:
    before = len(smtp.inbox.messages)
    result = cli("send", "--as-of", day)
    assert result.code == 0, result.err
    return smtp.inbox.messages[before:]


def test_a_lead_gets_a_copy_of_an_overdue_notice_in_a_mail_of_their_own(
    cli: CommandLine, leads: SmtpServer
) -> None:
    _escalate(cli, "Riverside Health", "overdue")
    mails = _send(cli, "2026-11-28", leads)
    [copy] = [m for m in mails if _to(m) == DANA]
    [own] = [m for m in mails if _to(m) == PRIYA]
    # One recipient each: nobody's address is shown to anyone else.
    for mail in (copy, own):
        assert mail["Cc"] is None and len(mail["To"].addresses) == 1
    assert copy["Subject"] == "Riverside Health: Priya Raman is overdue for AHIMA CCS, RHIT"
    text = _text(copy)
    assert "You get a copy because you lead HIM at Riverside Health" in text
    assert "every notice after a missed due date" in text
    assert "overdue since August 30, 2026" in text
    assert "revoked after February 25, 2027 unless completed" in text
    assert PRIYA not in text and PRIYA not in str(copy)
    assert copy["List-Unsubscribe"].startswith("<https://reminders.example.org/u/")
    # The coder is told that her lead is informed, by name.
    assert "Your team lead (Dana Whitaker) gets a copy of this reminder" in _text(own)
    # Nobody else's notice was copied, and sending again copies nothing twice.
    assert [m for m in mails if _to(m) in (DANA, LOU)] == [copy]
    assert _send(cli, "2026-11-28", leads) == []


def test_final_copies_the_last_reminder_before_a_due_date_and_overdue_does_not(
    cli: CommandLine, leads: SmtpServer
) -> None:
    _escalate(cli, "Summit Billing Partners", "overdue")
    mails = _send(cli, "2026-12-16", leads)  # Thomas's 15-day rung
    assert [_to(m) for m in mails if _to(m) in (THOMAS, LOU)] == [THOMAS]
    _escalate(cli, "Summit Billing Partners", "final")
    mails = _send(cli, "2026-12-17", leads)
    # The rung was sent to Thomas already: the copy goes with the next notice that escalates.
    assert [m for m in mails if _to(m) == LOU] == []
    mails = _send(cli, "2027-01-01", leads)  # overdue, the day after his due date
    [copy] = [m for m in mails if _to(m) == LOU]
    assert copy["Subject"].startswith("Summit Billing Partners: Thomas Becker is overdue for AAPC")
    assert "the final reminder before a due date and every notice after it" in _text(copy)


def test_final_copies_the_final_rung(cli: CommandLine, leads: SmtpServer) -> None:
    _escalate(cli, "Summit Billing Partners", "final")
    mails = _send(cli, "2026-12-16", leads)
    [copy] = [m for m in mails if _to(m) == LOU]
    assert copy["Subject"] == (
        "Summit Billing Partners: Thomas Becker's AAPC CEUs are due in 15 days"
    )
    assert "CEUs due December 31, 2026 (in 15 days)" in _text(copy)


def test_a_copy_whose_notice_was_solved_before_it_went_is_cancelled(
    cli: CommandLine, roster: str, leads: SmtpServer, tmp_path: Path
) -> None:
    _escalate(cli, "Riverside Health", "overdue")
    app = App(load_settings())
    try:
        now = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
        queue_due(app.engine, app.rulebook, app.ladder, date(2026, 11, 28), now)
        queued = select(MessageRecord.state).where(MessageRecord.to_address == DANA)
        assert rows(roster, queued) == [("queued",)]
        ceus = write_csv(
            tmp_path / "ceus.csv",
            "holder_id,completed_on,hours,title,bodies,categories",
            "h-003,2026-08-01,25,Coding clinic review,AHIMA,hiim",
        )
        assert cli("import", "ceus", ceus).code == 0
        deliverer = Deliverer(
            app.engine, app.rulebook, app.ladder, app.renderer, app.smtp(), app.mail(),
            lambda: now,
        )  # fmt: skip
        asyncio.run(deliverer.deliver_due(date(2026, 11, 28)))
    finally:
        app.close()
    assert [m for m in leads.inbox.messages if _to(m) in (DANA, PRIYA)] == []
    assert rows(roster, queued) == [("cancelled",)]
    [copy] = json.loads(cli("mail", "log", "--to", DANA, "--format", "json").out)
    assert copy["kind"] == "lead copy" and copy["name"] == "Priya Raman"
    assert copy["reason"] == (
        "what it copied no longer applied, or is no longer escalated, when it was due"
    )


def test_the_copys_link_stops_the_copies_and_the_coder_is_no_longer_told_of_a_lead(
    cli: CommandLine, roster: str, leads: SmtpServer, site: httpx.Client
) -> None:
    _escalate(cli, "Riverside Health", "overdue")
    [copy] = [m for m in _send(cli, "2026-11-28", leads) if _to(m) == DANA]
    path = urlsplit(copy["List-Unsubscribe"].split(",")[0].strip("<> ")).path
    page = site.get(path)
    assert page.status_code == 200 and "Stop the copies of HIM" in page.text
    assert site.get(path.replace("/u/", "/p/")).text == page.text, "never a coder's preferences"
    done = site.post(path)
    assert "will not get copies of the reminders of HIM any more" in done.text
    assert rows(roster, select(TeamLead.muted).where(TeamLead.email == DANA)) == [(True,)]
    mails = _send(cli, "2027-02-26", leads)  # Priya's next overdue notices
    assert [m for m in mails if _to(m) == DANA] == []
    own = [m for m in mails if _to(m) == PRIYA]
    assert own and all("team lead" not in _text(m) for m in own)


def test_escalation_and_leads_through_the_command_line_and_the_api(
    cli: CommandLine,
    roster: str,
    web: Web,  # noqa: F811 (the fixture)
) -> None:
    org = "Summit Billing Partners"
    assert web.call(org, "GET", "/organisation").json() == {"name": org, "escalate": "off"}
    bad = web.call(org, "PATCH", "/organisation", json={"escalate": "always"})
    assert bad.status_code == 422
    changed = web.call(org, "PATCH", "/organisation", json={"escalate": "final"})
    assert changed.json() == {"name": org, "escalate": "final"}
    made = web.call(org, "POST", "/teams/Outpatient/leads",
                    json={"email": "Kim.Lead@Summit.example", "name": "Kim Lead"})  # fmt: skip
    assert made.status_code == 201
    assert made.json() == {"email": "Kim.Lead@summit.example", "name": "Kim Lead",
                           "unsubscribed": False}  # fmt: skip
    again = web.call(
        org, "POST", "/teams/Outpatient/leads", json={"email": "kim.lead@summit.example"}
    )
    assert again.status_code == 200
    assert (
        web.call(org, "POST", "/teams/Outpatient/leads", json={"email": "nope"}).status_code == 422
    )
    # Another organisation's key sees none of it.
    assert web.call("Riverside Health", "GET", "/teams/Outpatient/leads").status_code == 404
    listed = cli("org", "lead", "list", org)
    assert listed.code == 0
    assert "escalates to team leads: the final reminder before a due date" in listed.out
    assert "Kim.Lead@summit.example" in listed.out
    gone = web.call(org, "DELETE", "/teams/Outpatient/leads/KIM.LEAD@summit.example")
    assert gone.status_code == 204
    assert web.call(org, "GET", "/teams/Outpatient/leads").json() == []
    assert web.call(org, "DELETE", "/teams/Outpatient/leads/kim@x.org").status_code == 404
    unknown = cli("org", "lead", "add", org, "Nowhere", "a@b.org")
    assert unknown.code == 2 and "has no team 'Nowhere'" in unknown.err
