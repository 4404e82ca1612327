"""'I already submitted' (issue 15, part 3) end to end: the link in a mail, the status page's
button, the outbox and the digest, on both databases. Planning's part is tested pure in
tests/test_planning_pause.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import select

from reminders import links
from reminders.app import App
from reminders.db.models import ChangeEvent, NoticeRecord, SelfReport
from reminders.notices.service import queue_due
from reminders.settings import load_settings
from tests.conftest import SECRET, CommandLine, database_rows, rows
from tests.rules_helpers import d
from tests.smtpserver import SmtpServer
from tests.test_status_page import visible

KEY = SECRET.encode()
MARIA = "maria.alvarez@riverside.example"


def _status_path(mail_env: SmtpServer, address: str) -> tuple[str, str]:
    """The status page's path and the 'already submitted' link of the coder's mail."""
    [mail] = [m for m in mail_env.inbox.messages if m["To"].addresses[0].addr_spec == address]
    text = str(mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    [status] = re.findall(r"every CEU counted or not: (\S+)", text)
    [submitted] = re.findall(r"Tell us, and these reminders pause: (\S+)", text)
    host = "reminders.example.org"
    return status.split(host, 1)[1], submitted.split(host, 1)[1]


def test_a_coder_says_it_from_a_mail_and_the_reminders_wait(
    cli: CommandLine, roster: str, mail_env: SmtpServer, site: httpx.Client, tmp_path: Path
) -> None:
    assert cli("send", "--as-of", "2026-11-24").code == 0
    status, submitted = _status_path(mail_env, "priya.raman@riverside.example")
    assert submitted.endswith("/submitted/AHIMA/2026-08-29")
    before = database_rows(roster)
    asked = site.get(submitted)  # a link scanner, or a look before deciding
    assert "Have you already submitted your AHIMA CEUs?" in visible(asked.text)
    assert database_rows(roster) == before
    done = visible(site.post(submitted).text)
    assert "Noted on" in done and "pause until" in done
    again = visible(site.post(submitted).text)  # twice is once
    assert "You told us on" in again
    assert len(rows(roster, select(SelfReport.id))) == 1
    assert rows(roster, select(ChangeEvent.reason)) == [("self-report",)]
    page = visible(site.get(status).text)
    assert "You told us on" in page and "that this cycle is submitted" in page
    # The next days' sends hold the AHIMA overdue notice back (its 90-day rung is 2026-11-27).
    mail_env.inbox.messages.clear()
    assert cli("send", "--as-of", "2026-11-28").code == 0
    assert "priya.raman@riverside.example" not in [
        m["To"].addresses[0].addr_spec for m in mail_env.inbox.messages
    ]
    # The digest lists her as self-reported, not yet confirmed.
    assert cli("digest", "--as-of", "2026-11-30").code == 0
    digests = [m for m in mail_env.inbox.messages if "compliance" in str(m["Subject"]).lower()]
    riverside = next(m for m in digests if str(m["To"]) == "coding.manager@riverside.example")
    text = " ".join(str(riverside.get_body(("plain",)).get_content()).split())  # type: ignore[union-attr]
    assert "self-reported as submitted on" in text and "not yet confirmed" in text


def test_only_an_open_cycle_can_be_said_submitted(
    cli: CommandLine, roster: str, site: httpx.Client
) -> None:
    now = datetime.now(UTC)
    status = links.status_url("", KEY, MARIA, now)
    wrong_cycle = visible(site.post(f"{status}/submitted/AAPC/2025-03-31").text)
    assert "Nothing to report" in wrong_cycle
    other_body = visible(site.post(f"{status}/submitted/AHIMA/2027-03-31").text)
    assert "Nothing to report" in other_body
    assert site.get(f"{status}/submitted/AAPC/not-a-date").status_code == 404
    unsubscribe = links.unsubscribe_url("", KEY, MARIA, links.NOTICES, now)
    forged = unsubscribe.replace("/u/", "/s/") + "/submitted/AAPC/2027-03-31"
    assert site.post(forged).status_code == 400
    assert rows(roster, select(SelfReport.id)) == []
    # From the status page's own button, for the cycle it shows.
    page = site.get(status).text
    [action] = re.findall(r'<form method="post" action="([^"]+)"', page)
    assert action.endswith("/submitted/AAPC/2027-03-31")
    assert "Noted on" in visible(site.post(action).text)
    assert rows(roster, select(SelfReport.body, SelfReport.cycle_end)) == [
        ("AAPC", d("2027-03-31"))
    ]


def test_a_reminder_already_queued_is_cancelled_once_the_coder_says_it(
    cli: CommandLine, roster: str, mail_env: SmtpServer, site: httpx.Client
) -> None:
    app = App(load_settings())
    try:
        queued = queue_due(app.engine, app.rulebook, app.ladder, d("2026-11-24"), app.now())
    finally:
        app.close()
    assert queued == 7 and mail_env.inbox.messages == []
    status = links.status_url("", KEY, "priya.raman@riverside.example", datetime.now(UTC))
    assert "Noted on" in visible(site.post(f"{status}/submitted/AHIMA/2026-08-29").text)
    assert cli("send", "--as-of", "2026-11-24").code == 0
    sent = [m["To"].addresses[0].addr_spec for m in mail_env.inbox.messages]
    assert len(sent) == 6 and "priya.raman@riverside.example" not in sent
    states = rows(roster, select(NoticeRecord.key, NoticeRecord.state))
    assert [state for key, state in states if key.startswith("h-003|AHIMA|")] == ["cancelled"]
