"""Employer digests end to end on the demo roster (two organisations; h-001 works for both,
h-008 for neither), against a real SMTP server, on both databases.

Subscriptions (config/demo/subscriptions.csv): Riverside Health, weekly, Chicago; Riverside
Health's HIM team, monthly, New York; Summit Billing Partners, weekly, Denver. (Their ids are
not in file order on PostgreSQL: `_ids` looks them up.)
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from reminders.app import App
from reminders.db.models import DigestRecord, Subscription
from reminders.digests.service import queue_digests
from reminders.notices.delivery import Deliverer
from reminders.settings import load_settings
from tests.conftest import CommandLine, database_state, rows, write_csv
from tests.smtpserver import SmtpServer

PEOPLE = {
    "h-001": "Maria Alvarez", "h-002": "James Okafor", "h-003": "Priya Raman",
    "h-004": "Thomas Becker", "h-005": "Linda Nguyen", "h-006": "Samuel Ortiz",
    "h-007": "Grace Whitfield", "h-008": "Daniel Kim",
}  # fmt: skip
SCOPES = {
    "coding.manager@riverside.example": {"h-001", "h-002", "h-003", "h-007"},
    "him.director@riverside.example": {"h-003", "h-007"},
    "compliance@summit.example": {"h-001", "h-004", "h-005", "h-006"},
}


RIVERSIDE, HIM, SUMMIT = SCOPES


def _ids(url: str) -> dict[str, int]:
    """Each demo subscriber's subscription id."""
    return {email: pk for pk, email in rows(url, select(Subscription.id, Subscription.email))}


def _parts(mail: EmailMessage) -> tuple[str, str, list[dict[str, str]]]:
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content_type() == "text/csv"
    data = attachment.get_payload(decode=True)
    assert isinstance(data, bytes)
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    plain = str(text.get_content()).replace("\r\n", "\n")
    return plain, str(html.get_content()), table


def _by_recipient(inbox: list[EmailMessage]) -> dict[str, EmailMessage]:
    found = {mail["To"].addresses[0].addr_spec: mail for mail in inbox}
    assert len(found) == len(inbox), "one digest per subscriber"
    return found


def test_each_subscriber_gets_a_digest_of_their_own_people_and_nobody_else(
    cli: CommandLine, roster: str, mail_env: SmtpServer
) -> None:
    cli.use(roster)
    result = cli("digest", "--as-of", "2026-11-30")
    assert result.code == 0, result.err
    assert result.out.endswith(
        "queued 3 digests; sent 3 messages, 0 to retry, 0 failed; 0 waiting\n"
    )
    mails = _by_recipient(mail_env.inbox.messages)
    assert set(mails) == set(SCOPES)
    for address, members in SCOPES.items():
        mail = mails[address]
        text, html, table = _parts(mail)
        assert {row["holder_id"] for row in table} == members
        csv_text = json.dumps(table, ensure_ascii=False)
        for holder, name in PEOPLE.items():
            for part in (text, html, csv_text):
                assert (name in part) == (holder in members), (address, name)
                if holder not in members:
                    assert holder not in part, (address, holder)
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert mail["List-Unsubscribe"].startswith("<https://reminders.example.org/u/")
    riverside, _, table = _parts(mails["coding.manager@riverside.example"])
    assert mails["coding.manager@riverside.example"]["Subject"] == (
        "Riverside Health: CEU compliance, week of November 30, 2026: 4 to act on"
    )
    # Exceptions first, then the full table sorted by urgency.
    assert riverside.index("NEEDS ATTENTION (4)") < riverside.index("EVERYONE, MOST URGENT")
    assert [row["holder_id"] for row in table] == ["h-003", "h-002", "h-007", "h-001"]
    # What a lead filters on: team, e-mail, unmet minimums, days overdue (not negative days
    # left), the revocation date and the last CEU.
    assert table[0] | {"name": ""} == {
        "holder_id": "h-003", "name": "", "email": "priya.raman@riverside.example",
        "teams": "HIM", "body": "AHIMA", "credentials": "CCS RHIT", "status": "overdue",
        "required": "30", "earned": "5", "remaining": "25",
        "unmet_minimums": "HIIM domains: 0 of 24", "cycle_end": "2026-08-29", "days_left": "",
        "days_overdue": "93", "revoked_after": "2027-02-25", "last_ceu_on": "2024-10-21",
        "unrenewed_since": "", "bouncing_since": "", "self_reported_on": "",
    }  # fmt: skip
    # Maria works for both organisations: each sees only its own team of hers.
    [summit_maria] = [
        r for r in _parts(mails["compliance@summit.example"])[2] if r["holder_id"] == "h-001"
    ]
    assert (table[-1]["teams"], summit_maria["teams"]) == ("Professional Coding", "Outpatient")
    him = mails["him.director@riverside.example"]
    assert him["Subject"].startswith("Riverside Health, HIM: CEU compliance, November 2026")


def test_one_digest_per_period_and_the_next_one_tells_what_changed(
    cli: CommandLine, roster: str, mail_env: SmtpServer, tmp_path: Path
) -> None:
    cli.use(roster)
    assert cli("digest", "--as-of", "2026-11-30").code == 0
    again = cli("digest", "--as-of", "2026-11-30")
    assert again.out.startswith("queued 0 digests; sent 0 messages")
    assert len(mail_env.inbox.messages) == 3
    # During the week: James completes his CEUs, and Daniel joins Riverside's coders.
    ceus = write_csv(
        tmp_path / "ceus.csv",
        "holder_id,completed_on,hours,title,bodies",
        "h-002,2026-12-02,24,Coding update 2026,AAPC",
    )
    assert cli("import", "ceus", ceus).code == 0
    teams = write_csv(
        tmp_path / "teams.csv", "org,team,holder_id", "Riverside Health,Professional Coding,h-008"
    )
    assert cli("import", "teams", teams).code == 0
    mail_env.inbox.messages.clear()
    assert cli("digest", "--as-of", "2026-12-07").code == 0
    mails = _by_recipient(mail_env.inbox.messages)
    assert set(mails) == set(SCOPES)  # both weeklies, and the HIM team's December digest
    text, _, table = _parts(mails["coding.manager@riverside.example"])
    assert "first digest" not in text
    assert "NEWLY COMPLETE (1)\n\n- James Okafor (h-002), AAPC: 27 of 27 CEUs." in text
    assert "- James Okafor (h-002), AAPC: +24 CEUs, behind → complete" in text
    assert "- Daniel Kim (h-008), AAPC: newly listed" in text
    assert "h-008" in {row["holder_id"] for row in table}
    summit, _, _ = _parts(mails["compliance@summit.example"])
    assert "Daniel Kim" not in summit and "James Okafor" not in summit
    assert "CHANGED SINCE THE LAST DIGEST" not in summit  # days passed; nothing changed there
    him, _, _ = _parts(mails["him.director@riverside.example"])
    assert "Daniel Kim" not in him


def test_someone_still_overdue_is_listed_in_every_digest_until_solved(
    cli: CommandLine, roster: str, mail_env: SmtpServer
) -> None:
    """Priya (h-003) is overdue for AHIMA since 2026-08-29, revoked after 2027-02-25. The HIM
    team's December digest left her out because she was overdue in November too ("nothing
    new"), and its subject counted nobody to act on."""
    cli.use(roster)
    assert cli("digest", "--as-of", "2026-11-30").code == 0
    mail_env.inbox.messages.clear()
    assert cli("digest", "--as-of", "2026-12-07").code == 0
    him = _by_recipient(mail_env.inbox.messages)["him.director@riverside.example"]
    text, html, _ = _parts(him)
    attention = text.split("NEEDS ATTENTION")[1].split("\n\n")[1]
    assert attention.startswith(
        "- Priya Raman (h-003), AHIMA CCS, RHIT: overdue; revoked after February 25, 2027 unless"
        " completed."
    ), text
    assert "newly overdue" not in text
    assert "revoked after February 25, 2027 unless completed" in html
    assert "to act on" in him["Subject"] and "nothing new" not in him["Subject"]


def test_a_preview_compares_with_the_digest_before_its_period_and_says_which(
    cli: CommandLine, roster: str, mail_env: SmtpServer, tmp_path: Path
) -> None:
    """A preview of a past week, after later digests went out, compared itself with the newest
    one (and so with the future)."""
    cli.use(roster)
    for day in ("2026-11-30", "2026-12-07", "2026-12-14"):
        assert cli("digest", "--as-of", day).code == 0
    riverside = _ids(roster)[RIVERSIDE]
    sent = {m["Subject"]: m for m in mail_env.inbox.messages if "Riverside Health:" in m["Subject"]}
    week50 = next(m for subject, m in sent.items() if "week of December 7, 2026" in subject)
    text, _, _ = _parts(week50)
    assert "What changed is counted since the digest of week of November 30, 2026." in text
    out = tmp_path / "out"
    result = cli(
        "digest", "--as-of", "2026-12-07", "--subscription", str(riverside), "--preview", out
    )  # fmt: skip
    assert result.code == 0, result.err
    preview = (out / f"digest-{riverside}-2026-W50.html").read_text()
    assert "What changed is counted since the digest of week of November 30, 2026." in preview
    first = cli(
        "digest", "--as-of", "2026-11-30", "--subscription", str(riverside), "--preview", out
    )  # fmt: skip
    assert first.code == 0
    assert "first digest" in (out / f"digest-{riverside}-2026-W49.html").read_text()


def test_after_downtime_only_the_newest_period_goes_out(
    cli: CommandLine, roster: str, mail_env: SmtpServer
) -> None:
    cli.use(roster)
    assert cli("digest", "--as-of", "2026-11-30").code == 0
    planned = json.loads(cli("plan", "--as-of", "2026-12-28", "--format", "json").out)
    digests = [row for row in planned if row["kind"] == "digest"]
    ids = _ids(roster)
    assert {(row["to"], row["key"], row["due_on"]) for row in digests} == {
        (RIVERSIDE, f"digest:{ids[RIVERSIDE]}:2026-W53", "2026-12-28"),
        (HIM, f"digest:{ids[HIM]}:2026-12", "2026-12-01"),
        (SUMMIT, f"digest:{ids[SUMMIT]}:2026-W53", "2026-12-28"),
    }
    assert all(row["holder_id"] is None and row["body"] is None for row in digests)
    assert cli("digest", "--as-of", "2026-12-28").code == 0
    keys = {key for (key,) in rows(roster, select(DigestRecord.key))}
    assert keys == {
        f"digest:{ids[RIVERSIDE]}:2026-W49", f"digest:{ids[RIVERSIDE]}:2026-W53",
        f"digest:{ids[HIM]}:2026-11", f"digest:{ids[HIM]}:2026-12",
        f"digest:{ids[SUMMIT]}:2026-W49", f"digest:{ids[SUMMIT]}:2026-W53",
    }  # fmt: skip
    assert len(mail_env.inbox.messages) == 6


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_digests_go_out_at_eight_in_the_morning_in_each_subscribers_zone(
    cli: CommandLine, roster: str, mail_env: SmtpServer
) -> None:
    """The daemon's digest job, run every half hour through a Monday and a Tuesday: Chicago
    (UTC-6) gets its weekly digest at 14:00 UTC, Denver (UTC-7) at 15:00, and New York's
    monthly one comes on the 1st at 13:00 (UTC-5)."""
    cli.use(roster)
    app = App(load_settings())
    clock = Clock(datetime(2026, 11, 29, 18, 0, tzinfo=UTC))
    deliverer = Deliverer(
        app.engine, app.rulebook, app.ladder, app.renderer, app.smtp(), app.mail(), clock
    )

    def tick() -> None:
        queue_digests(app.engine, app.rulebook, clock(), app.settings.timezone)
        asyncio.run(deliverer.deliver_due(clock().date()))

    try:
        tick()  # the current periods go out at once: a new subscription's first digest
        assert len(mail_env.inbox.messages) == 3
        arrivals = []
        for start in (
            datetime(2026, 11, 30, 11, 0, tzinfo=UTC),
            datetime(2026, 12, 1, 11, 0, tzinfo=UTC),
        ):
            for step in range(12):
                clock.now = start + timedelta(minutes=30 * step)
                before = len(mail_env.inbox.messages)
                tick()
                arrivals += [
                    (clock.now.strftime("%d %H:%M"), mail["To"].addresses[0].addr_spec)
                    for mail in mail_env.inbox.messages[before:]
                ]
    finally:
        app.close()
    assert arrivals == [
        ("30 14:00", "coding.manager@riverside.example"),
        ("30 15:00", "compliance@summit.example"),
        ("01 13:00", "him.director@riverside.example"),
    ]


def test_subscriptions_are_added_paused_resumed_and_removed_from_the_command_line(
    cli: CommandLine, roster: str, mail_env: SmtpServer
) -> None:
    cli.use(roster)
    riverside = str(_ids(roster)[RIVERSIDE])
    assert cli("subscription", "pause", riverside).out == f"subscription {riverside} paused\n"
    refused = cli("digest", "--subscription", riverside, "--as-of", "2026-11-30")
    assert refused.code == 2
    assert f"subscription {riverside} is paused" in refused.err
    assert "\nqueued 2 digests;" in cli("digest", "--as-of", "2026-11-30").out
    assert cli("subscription", "resume", riverside).code == 0
    resumed = cli("digest", "--subscription", riverside, "--as-of", "2026-11-30").out
    assert resumed.splitlines()[-1].startswith("queued 1 digest; sent 1 message,")
    assert len(_by_recipient(mail_env.inbox.messages)) == 3
    added = cli(
        "subscription", "add", "Summit Billing Partners", "Lead@Summit.example", "--team",
        "Outpatient", "--frequency", "monthly", "--timezone", "Europe/London",
    )  # fmt: skip
    assert added.code == 0, added.err
    assert added.out == (
        "added subscription 4: Lead@summit.example gets the monthly digest of "
        "Summit Billing Partners, Outpatient\n"
    )
    listing = cli("subscription", "list", "--org", "Summit Billing Partners").out
    assert "Lead@summit.example" in listing and "Europe/London" in listing
    assert "coding.manager" not in listing
    assert cli("subscription", "remove", "4").out == "subscription 4 removed\n"
    gone = cli("subscription", "remove", "4")
    assert (gone.code, gone.err) == (
        2,
        "reminders: no subscription 4 (see `reminders subscription list`)\n",
    )


def test_a_bad_subscription_is_refused_with_the_reason_and_changes_nothing(
    cli: CommandLine, roster: str
) -> None:
    cli.use(roster)
    before = database_state(roster)
    cases = {
        ("Nowhere Inc", "a@b.example"): "no organisation 'Nowhere Inc'",
        ("Riverside Health", "a@b.example", "--team", "Billing"): "has no team 'Billing'",
        ("Riverside Health", "not-an-address"): "is not a valid e-mail address",
        ("Riverside Health", "a@b.example", "--timezone", "Mars/Olympus"): "IANA time zone",
        ("Riverside Health", "a@b.example", "--frequency", "daily"): "'daily' is not one of",
    }
    for argv, message in cases.items():
        result = cli("subscription", "add", *argv)
        assert result.code == 2, argv
        assert message in result.err, (argv, result.err)
        assert len(result.err_lines) == 1
    assert database_state(roster) == before


def test_a_digest_queued_and_then_paused_or_removed_is_not_sent(
    cli: CommandLine, roster: str, mail_env: SmtpServer
) -> None:
    cli.use(roster)
    app = App(load_settings())
    try:
        now = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
        assert len(queue_digests(app.engine, app.rulebook, now, app.settings.timezone)) == 3
    finally:
        app.close()
    ids = _ids(roster)
    assert cli("subscription", "pause", str(ids[RIVERSIDE])).code == 0
    assert cli("subscription", "remove", str(ids[SUMMIT])).code == 0
    result = cli("send", "--as-of", "2026-11-24")
    assert result.code == 0
    digests = [m for m in mail_env.inbox.messages if "CEU compliance" in str(m["Subject"])]
    assert [m["To"].addresses[0].addr_spec for m in digests] == ["him.director@riverside.example"]
    states = rows(roster, select(DigestRecord.key, DigestRecord.state).order_by(DigestRecord.key))
    assert sorted(tuple(row) for row in states) == sorted(
        [(f"digest:{ids[RIVERSIDE]}:2026-W49", "cancelled"), (f"digest:{ids[HIM]}:2026-11", "sent")]
    )  # the removed subscription's digest went with it
    [paused] = json.loads(cli("mail", "log", "--to", "coding.manager@riverside.example",
                              "--format", "json").out)  # fmt: skip
    assert paused["kind"] == "digest" and paused["state"] == "cancelled"
    assert paused["reason"] == "the subscription was paused or removed before it went"


def test_preview_renders_the_digests_to_files_and_writes_nothing_else(
    cli: CommandLine, roster: str, tmp_path: Path
) -> None:
    cli.use(roster)
    him = _ids(roster)[HIM]
    before = database_state(roster)
    result = cli(
        "digest", "--as-of", "2026-11-30", "--subscription", str(him), "--preview", tmp_path / "out"
    )  # fmt: skip
    assert result.code == 0, result.err
    stem = f"digest-{him}-2026-11"
    files = sorted(Path(line).name for line in result.out.splitlines())
    assert files == [f"{stem}.csv", f"{stem}.eml", f"{stem}.html"]
    table = (tmp_path / "out" / f"{stem}.csv").read_text(encoding="utf-8-sig")
    assert [row["holder_id"] for row in csv.DictReader(io.StringIO(table))] == ["h-003", "h-007"]
    assert (tmp_path / "out" / f"{stem}.html").read_text().startswith("<!DOCTYPE html>")
    assert database_state(roster) == before
    missing = cli("digest", "--subscription", "9", "--preview", tmp_path / "out")
    assert (missing.code, missing.err_lines) == (
        2, ["reminders: no subscription 9 (see `reminders subscription list`)"],
    )  # fmt: skip


def test_organisations_are_listed_and_shown_with_their_teams_and_subscriptions(
    cli: CommandLine, roster: str, mail_env: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli.use(roster)
    listing = cli("org", "list").out
    assert "Riverside Health" in listing and "Summit Billing Partners" in listing
    [riverside] = [line for line in listing.splitlines() if "Riverside Health" in line]
    assert re.split(r"\s{2,}", riverside.strip()) == ["Riverside Health", "2", "4", "2"]
    assert cli("digest", "--as-of", "2026-11-30").code == 0
    shown = cli("org", "show", "Riverside Health").out
    assert "Professional Coding" in shown and "HIM" in shown
    assert "him.director@riverside.example" in shown and "2026-11 sent" in shown
    assert "compliance@summit.example" not in shown
    # In 80 columns nothing is cut short: an address folds onto the next line, whole.
    monkeypatch.setenv("COLUMNS", "80")
    for command, address in (
        (("org", "show", "Riverside Health"), "him.director@riverside.example"),
        (("subscription", "list"), "compliance@summit.example"),
        (("show",), "thomas.becker@summit.example"),
    ):
        narrow = cli(*command).out
        assert "…" not in narrow and max(len(line) for line in narrow.splitlines()) <= 80
        assert address[:8] in narrow and address[-7:] in narrow, narrow
    unknown = cli("org", "show", "Nowhere")
    assert unknown.code == 2 and "no organisation 'Nowhere'" in unknown.err
