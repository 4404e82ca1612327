"""Employer alerts end to end on the demo roster, against a real SMTP server, on both databases.

The demo roster as the days pass: on 2026-05-01 Riverside's Priya Raman (h-003) has a lapsed
AHIMA cycle of 2024 and Summit's Linda Nguyen (h-005) is overdue: that is each organisation's
baseline. By 2026-09-01 Priya's 2026 cycle is overdue (since August 30) and Linda's lapsed
(since August 5); by 2026-11-30 James Okafor (h-002, Riverside) and Thomas Becker (h-004,
Summit) are behind within 90 days of their deadlines.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from reminders.alerts.service import detect, queue_alerts
from reminders.app import App
from reminders.db.models import AlertItem, AlertRecord, MessageRecord, Subscription
from reminders.notices.delivery import Deliverer
from reminders.notices.outcomes import Report
from reminders.settings import load_settings
from tests.conftest import CommandLine, rows, write_csv
from tests.httpsreceiver import Receiver
from tests.processes import stop
from tests.smtpserver import SmtpServer
from tests.test_api import Web, web  # noqa: F401 (the fixture)
from tests.webserver import free_port, until

RIVERSIDE = "coding.manager@riverside.example"
HIM = "him.director@riverside.example"
SUMMIT = "compliance@summit.example"
PEOPLE = {
    "h-001": "Maria Alvarez", "h-002": "James Okafor", "h-003": "Priya Raman",
    "h-004": "Thomas Becker", "h-005": "Linda Nguyen", "h-006": "Samuel Ortiz",
    "h-007": "Grace Whitfield", "h-008": "Daniel Kim",
}  # fmt: skip
START = datetime(2026, 5, 1, 15, 0, tzinfo=UTC)


@dataclass
class World:
    """The service over the demo roster with a clock the test moves."""

    app: App
    smtp: SmtpServer
    now: datetime = START
    reports: list[Report] = field(default_factory=list)

    def clock(self) -> datetime:
        return self.now

    def detect(self, day: date) -> int:
        app = self.app
        return detect(app.engine, app.rulebook, day, self.now, app.alert_rules())

    def send(self, day: date | None = None) -> list[EmailMessage]:
        """Queue the alerts due now and deliver; the mails that went out."""
        app = self.app
        before = len(self.smtp.inbox.messages)
        queue_alerts(app.engine, self.now, app.settings.timezone, app.alert_rules())
        deliverer = Deliverer(
            app.engine, app.rulebook, app.ladder, app.renderer, app.smtp(), app.mail(), self.clock
        )
        self.reports.append(asyncio.run(deliverer.deliver_due(day or self.now.date())))
        return self.smtp.inbox.messages[before:]

    def later(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def _alerts_on(cli: CommandLine, *subscribers: tuple[str, str]) -> None:
    """Turn alerts on for demo subscriptions, keeping their frequency and zone."""
    settings = {
        RIVERSIDE: ("Riverside Health", None, "weekly", "America/Chicago"),
        HIM: ("Riverside Health", "HIM", "monthly", "America/New_York"),
        SUMMIT: ("Summit Billing Partners", None, "weekly", "America/Denver"),
    }
    for address, mode in subscribers:
        org, team, frequency, zone = settings[address]
        extra = ["--team", team] if team else []
        result = cli("subscription", "add", org, address, *extra, "--frequency", frequency,
                     "--timezone", zone, "--alerts", mode)  # fmt: skip
        assert result.code == 0, result.err
        assert (f"with {mode} alerts" in result.out) == (mode != "none")


@pytest.fixture
def world(cli: CommandLine, roster: str, mail_env: SmtpServer) -> Iterator[World]:
    cli.use(roster)
    made = World(App(load_settings()), mail_env)
    yield made
    made.app.close()  # the app the test left in it


def _text(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def _html(mail: EmailMessage) -> str:
    body = mail.get_body(("html",))
    assert body is not None
    return str(body.get_content())


def _to(mails: list[EmailMessage]) -> list[str]:
    return sorted(mail["To"].addresses[0].addr_spec for mail in mails)


def test_a_member_turning_overdue_is_told_once_to_their_own_employer_with_why_and_when(
    world: World, cli: CommandLine
) -> None:
    # The first detection is the baseline: what is true already is in the digest, not news.
    _alerts_on(cli, (RIVERSIDE, "immediate"), (SUMMIT, "immediate"))
    assert world.detect(date(2026, 5, 1)) == 2
    assert world.send() == []
    world.later(days=123)  # 2026-09-01
    assert world.detect(date(2026, 9, 1)) == 2
    mails = world.send()
    assert _to(mails) == [RIVERSIDE, SUMMIT]
    riverside, summit = sorted(mails, key=lambda m: str(m["To"]))
    assert riverside["Subject"] == ("Riverside Health: Priya Raman is overdue for AHIMA CCS, RHIT")
    text = _text(riverside)
    assert "- Priya Raman (h-003), AHIMA CCS, RHIT, HIM:\n  overdue since August 30, 2026;" in text
    assert "revoked after February 25, 2027 unless completed" in text
    assert "minimums short: HIIM domains: 0 of 24" in text
    assert summit["Subject"] == "Summit Billing Partners: Linda Nguyen is lapsed for AHIMA RHIA"
    assert "lapsed: revoked since August 5, 2026" in _text(summit)
    # Nobody else's people, in either part.
    for mail, own in ((riverside, "h-003"), (summit, "h-005")):
        for holder, name in PEOPLE.items():
            if holder != own:
                assert name not in _text(mail) + _html(mail), (mail["To"], name)
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert mail["List-Unsubscribe"].startswith("<https://reminders.example.org/u/")
    # Seen again the next day, and the day after: never told twice.
    for _ in range(2):
        world.later(days=1)
        assert world.detect(world.now.date()) == 0
        assert world.send() == []


def test_alerts_turned_off_and_on_again_start_afresh_within_the_minute(
    world: World, cli: CommandLine
) -> None:
    _alerts_on(cli, (SUMMIT, "immediate"))
    assert world.detect(date(2026, 5, 1)) == 1  # Summit's baseline: Linda overdue
    world.send()
    _alerts_on(cli, (SUMMIT, "none"))
    world.now = datetime(2026, 9, 1, 15, 0, tzinfo=UTC)
    assert world.detect(date(2026, 9, 1)) == 0, "nobody is told of Summit: not watched"
    # On again in November: the minute's job takes Summit's baseline at once, and what
    # happened while nobody was told (Linda's lapse in August) is in the digest, not news.
    _alerts_on(cli, (SUMMIT, "immediate"))
    world.now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    app = world.app
    assert detect(app.engine, app.rulebook, date(2026, 11, 30), world.now, app.alert_rules(),
                  only_new=True) == 2  # fmt: skip
    assert detect(app.engine, app.rulebook, date(2026, 11, 30), world.now, app.alert_rules(),
                  only_new=True) == 0, "once"  # fmt: skip
    assert world.send() == []
    world.now = datetime(2027, 1, 1, 15, 0, tzinfo=UTC)
    world.detect(date(2027, 1, 1))
    [mail] = world.send()
    assert "Thomas Becker" in _text(mail) and "Linda" not in _text(mail)


def _joins(cli: CommandLine, tmp_path: Path, team: str, holder: str) -> None:
    """A coder joins one of Summit's teams (teams.csv)."""
    path = write_csv(
        tmp_path / f"teams-{holder}.csv",
        "org,team,holder_id",
        f"Summit Billing Partners,{team},{holder}",
    )
    result = cli("import", "teams", path)
    assert result.code == 0, result.err


def test_immediate_alerts_come_at_most_once_per_interval_and_group_what_happened_meanwhile(
    world: World, cli: CommandLine, tmp_path: Path
) -> None:
    _alerts_on(cli, (SUMMIT, "immediate"))
    world.detect(date(2026, 5, 1))
    world.send()
    world.now = datetime(2026, 9, 1, 15, 0, tzinfo=UTC)
    world.detect(date(2026, 9, 1))
    [first] = world.send()
    assert "Linda Nguyen" in _text(first)
    # Five minutes later Priya, overdue since August 30, joins a Summit team: news for Summit,
    # held back until the interval has passed.
    world.later(minutes=5)
    _joins(cli, tmp_path, "Outpatient", "h-003")
    assert world.detect(date(2026, 9, 1)) == 1
    assert world.send() == []
    world.later(minutes=9, seconds=59)
    assert world.send() == []
    world.later(seconds=1)
    [mail] = world.send()
    assert mail["Subject"] == "Summit Billing Partners: Priya Raman is overdue for AHIMA CCS, RHIT"
    assert "Linda" not in _text(mail)
    # Several at once (Thomas and Samuel overdue on New Year's Day, Maria behind since the day
    # before): one mail that names them all, the most urgent first.
    world.now = datetime(2027, 1, 1, 15, 0, tzinfo=UTC)
    world.detect(date(2027, 1, 1))
    [mail] = world.send()
    assert mail["Subject"] == (
        "Summit Billing Partners: Thomas Becker, Samuel Ortiz and Maria Alvarez need attention "
        "(2 overdue, 1 behind)"
    )
    text = _text(mail)
    assert text.index("Thomas Becker") < text.index("Maria Alvarez")
    assert text.index("Samuel Ortiz") < text.index("Maria Alvarez")


def test_an_event_solved_before_its_alert_goes_is_never_told(
    world: World, cli: CommandLine, tmp_path: Path
) -> None:
    _alerts_on(cli, (RIVERSIDE, "immediate"))
    world.detect(date(2026, 5, 1))
    world.send()
    world.later(days=123)
    world.detect(date(2026, 9, 1))
    queue_alerts(world.app.engine, world.now, "America/New_York", world.app.alert_rules())
    # Before a sender takes it, Priya's CEUs arrive: the cycle is complete.
    ceus = write_csv(
        tmp_path / "ceus.csv",
        "holder_id,completed_on,hours,title,bodies,categories",
        "h-003,2026-08-01,25,Coding clinic review,AHIMA,hiim",
    )
    assert cli("import", "ceus", ceus).code == 0
    assert world.send() == []
    assert world.reports[-1].cancelled == 1
    [(state, dropped)] = rows(
        world.app.settings.database_url,
        select(AlertRecord.state, AlertItem.dropped).join(
            AlertItem, AlertItem.alert_pk == AlertRecord.id
        ),
    )
    assert (state, dropped) == ("cancelled", True)


def test_daily_alerts_come_at_eight_in_the_subscribers_zone_once_a_day(
    world: World, cli: CommandLine, tmp_path: Path
) -> None:
    _alerts_on(cli, (SUMMIT, "daily"))  # Denver: UTC-6 in September
    world.detect(date(2026, 5, 1))
    world.send()
    world.now = datetime(2026, 9, 1, 13, 59, tzinfo=UTC)  # 07:59 in Denver
    world.detect(date(2026, 9, 1))
    assert world.send() == []
    world.later(minutes=1)
    [mail] = world.send()
    assert "chose a daily alert for Summit Billing Partners" in _text(mail)
    # Something new that day waits for the next morning's alert.
    world.later(hours=2)
    _joins(cli, tmp_path, "Outpatient", "h-003")
    world.detect(date(2026, 9, 1))
    assert world.send() == []
    world.now = datetime(2026, 9, 2, 13, 59, tzinfo=UTC)
    assert world.send() == []
    world.later(minutes=1)
    [mail] = world.send()
    assert "Priya Raman" in _text(mail) and "Linda" not in _text(mail)


def test_an_alert_waits_for_the_send_window_and_what_happens_meanwhile_joins_it(
    world: World, cli: CommandLine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REMINDERS_SEND_WINDOW", "09:00-17:00")
    world.app.close()
    world.app = App(load_settings())
    _alerts_on(cli, (SUMMIT, "immediate"))
    world.detect(date(2026, 5, 1))
    world.send()
    world.now = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)  # 06:00 in Denver
    world.detect(date(2026, 9, 1))
    assert world.send() == []
    assert world.reports[-1].deferred == 1
    world.later(hours=1)
    _joins(cli, tmp_path, "Outpatient", "h-003")
    world.detect(date(2026, 9, 1))
    assert world.send() == []
    world.now = datetime(2026, 9, 1, 15, 0, tzinfo=UTC)  # 09:00 in Denver
    [mail] = world.send()
    assert mail["Subject"] == (
        "Summit Billing Partners: Linda Nguyen and Priya Raman need attention (1 lapsed, 1 overdue)"
    )
    text = _text(mail)
    assert text.index("Linda Nguyen") < text.index("Priya Raman"), "the most urgent first"
    assert world.send() == []


def test_a_suppressed_address_gets_no_alert(world: World, cli: CommandLine) -> None:
    _alerts_on(cli, (SUMMIT, "immediate"))
    world.detect(date(2026, 5, 1))
    world.send()
    with world.app.engine.begin() as connection:
        from reminders.db import outbox

        outbox.suppress(connection, SUMMIT, "550 no such user", world.now)
    world.later(days=123)
    world.detect(date(2026, 9, 1))
    assert world.send() == []
    assert world.reports[-1].failed == 1


def test_a_team_subscription_hears_only_of_its_team(world: World, cli: CommandLine) -> None:
    _alerts_on(cli, (HIM, "immediate"), (RIVERSIDE, "immediate"))
    world.detect(date(2026, 5, 1))
    world.send()
    world.now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    world.detect(date(2026, 11, 30))  # Priya overdue (HIM), James behind (not HIM)
    mails = {m["To"].addresses[0].addr_spec: _text(m) for m in world.send()}
    assert set(mails) == {HIM, RIVERSIDE}
    assert "Priya Raman" in mails[HIM] and "James Okafor" not in mails[HIM]
    assert "Priya Raman" in mails[RIVERSIDE] and "James Okafor" in mails[RIVERSIDE]


def test_the_alert_link_stops_alerts_and_keeps_the_digest(
    world: World, cli: CommandLine, site: httpx.Client
) -> None:
    _alerts_on(cli, (SUMMIT, "immediate"))
    world.detect(date(2026, 5, 1))
    world.send()
    world.later(days=123)
    world.detect(date(2026, 9, 1))
    [mail] = world.send()
    link = mail["List-Unsubscribe"].split(",")[0].strip("<> ")
    path = urlsplit(link).path
    page = site.get(path)
    assert page.status_code == 200 and "Stop the alerts of Summit Billing Partners?" in page.text
    done = site.post(path)
    assert done.status_code == 200
    assert "will not get alerts of Summit Billing Partners any more" in done.text
    url = world.app.settings.database_url
    [(alerts, paused)] = rows(
        url, select(Subscription.alerts, Subscription.paused).where(Subscription.email == SUMMIT)
    )
    assert (alerts, paused) == ("none", False)
    world.later(days=90)
    world.detect(date(2026, 11, 30))
    assert world.send() == []


def test_alerts_are_chosen_in_the_subscriptions_file_and_a_bad_value_is_named(
    cli: CommandLine, roster: str, tmp_path: Path
) -> None:
    cli.use(roster)
    bad = write_csv(
        tmp_path / "subscriptions.csv",
        "org,team,email,frequency,timezone,alerts",
        "Riverside Health,,coding.manager@riverside.example,weekly,America/Chicago,hourly",
    )
    result = cli("import", "subscriptions", bad)
    assert result.code == 2
    assert result.err == (
        f"{bad}:2: alerts: unknown alerts 'hourly'; expected one of daily, immediate, none\n"
        "reminders: 1 problem; nothing was imported\n"
    )
    good = write_csv(
        tmp_path / "good.csv",
        "org,team,email,frequency,timezone,alerts",
        "Riverside Health,,coding.manager@riverside.example,weekly,America/Chicago,daily",
        "Riverside Health,HIM,him.director@riverside.example,monthly,America/New_York,",
    )
    assert cli("import", "subscriptions", good).code == 0
    listed = cli("subscription", "list").out
    assert "daily" in listed
    found = dict(rows(roster, select(Subscription.email, Subscription.alerts)))
    assert found == {RIVERSIDE: "daily", HIM: "none", SUMMIT: "none"}


def test_the_cli_runs_one_alert_pass(world: World, cli: CommandLine) -> None:
    # Nobody is told of any organisation's events yet: none is watched, nothing is recorded.
    idle = cli("alerts", "--as-of", "2026-05-01")
    assert idle.code == 0, idle.err
    assert idle.out.startswith("0 new events; queued 0 alerts")
    _alerts_on(cli, (RIVERSIDE, "immediate"))
    baseline = cli("alerts", "--as-of", "2026-05-01")  # Riverside's baseline: Priya's 2024 lapse
    assert baseline.out == (
        "1 new event; queued 0 alerts; sent 0 messages, 0 to retry, 0 failed; 0 waiting\n"
    )
    result = cli("alerts", "--as-of", "2026-09-01")
    assert result.code == 0, result.err
    assert result.out.endswith(
        "1 new event; queued 1 alert; sent 1 message, 0 to retry, 0 failed; 0 waiting\n"
    )
    [mail] = world.smtp.inbox.messages
    assert mail["To"].addresses[0].addr_spec == RIVERSIDE
    waiting = rows(world.app.settings.database_url, select(MessageRecord.state))
    assert "queued" not in waiting


def test_the_api_chooses_alerts_and_shows_them(web: Web) -> None:  # noqa: F811 (the fixture)
    made = web.call(
        "Summit Billing Partners", "POST", "/subscriptions",
        json={"email": "lead@summit.example", "frequency": "monthly", "alerts": "immediate"},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["alerts"] == "immediate"
    pk = made.json()["id"]
    bad = web.call("Summit Billing Partners", "PATCH", f"/subscriptions/{pk}",
                   json={"alerts": "hourly"})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "alerts"]
    changed = web.call("Summit Billing Partners", "PATCH", f"/subscriptions/{pk}",
                       json={"alerts": "daily"})  # fmt: skip
    assert changed.status_code == 200 and changed.json() | {"id": 0} == {
        "id": 0, "team": None, "email": "lead@summit.example", "frequency": "monthly",
        "timezone": None, "paused": False, "alerts": "daily",
    }  # fmt: skip
    # Another organisation's key does not reach it.
    other = web.call("Riverside Health", "PATCH", f"/subscriptions/{pk}", json={"alerts": "none"})
    assert other.status_code == 404
    listed = web.call("Summit Billing Partners", "GET", "/subscriptions").json()
    assert {s["email"]: s["alerts"] for s in listed} == {
        SUMMIT: "none",
        "lead@summit.example": "daily",
    }
    schema = web.client.get("/openapi.json").json()["components"]["schemas"]
    assert schema["SubscriptionIn"]["properties"]["alerts"]["enum"] == [
        "none",
        "daily",
        "immediate",
    ]


def test_the_daemon_alerts_and_posts_at_its_first_scan(
    cli: CommandLine,
    roster: str,
    mail_env: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Riverside's baseline is May; the daemon, as of November 24, finds Priya overdue and
    James behind: the manager with immediate alerts has one mail of both beside the notices
    and digests, and Riverside's webhook one post of both."""
    receiver = Receiver(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(receiver.ca))
    monkeypatch.setenv("REMINDERS_WEBHOOK_ALLOW_PRIVATE", "true")
    cli.use(roster)
    app = App(load_settings())
    try:
        _alerts_on(cli, (RIVERSIDE, "immediate"))
        added = cli("org", "webhook", "add", "Riverside Health", receiver.url)
        assert added.code == 0, added.err
        detect(app.engine, app.rulebook, date(2026, 5, 1), START, app.alert_rules())
        queue_alerts(app.engine, START, app.settings.timezone, app.alert_rules())
    finally:
        app.close()
    port = free_port()
    env = {**os.environ, "REMINDERS_HTTP_PORT": str(port),
           "REMINDERS_SCAN_INTERVAL_SECONDS": "3600", "REMINDERS_DELIVER_INTERVAL_SECONDS": "1"}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "reminders", "run", "--as-of", "2026-11-24"],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:

        def alerted() -> list[EmailMessage]:
            return [m for m in mail_env.inbox.messages if "need attention" in str(m["Subject"])]

        until(lambda: len(alerted()) == 1)
        [mail] = alerted()
        assert mail["Subject"] == (
            "Riverside Health: Priya Raman and James Okafor need attention (1 overdue, 1 behind)"
        )
        assert mail["To"].addresses[0].addr_spec == RIVERSIDE
        metrics = f"http://127.0.0.1:{port}/metrics"
        until(lambda: "reminders_alerts_queued_total 1.0" in httpx.get(metrics).text)
        until(lambda: len(receiver.received) == 1)
        events = json.loads(receiver.received[0].body)["events"]
        assert sorted((e["holder_id"], e["kind"]) for e in events) == [
            ("h-002", "behind"),
            ("h-003", "overdue"),
        ]
        sent = 'reminders_webhook_deliveries_total{outcome="sent"} 1.0'
        until(lambda: sent in httpx.get(metrics).text)
    finally:
        assert stop(process, timeout=15) == 0
        receiver.stop()
