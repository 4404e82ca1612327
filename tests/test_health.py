"""/healthz and mail: a daemon that cannot reach its mail server for long reports unhealthy, and
healthy again once a message goes out; a refused recipient does not count."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from reminders.health import MailHealth
from tests.conftest import CommandLine
from tests.processes import stop
from tests.smtpserver import SmtpServer
from tests.webserver import free_port, http_get, until

NOON = datetime(2026, 11, 24, 12, tzinfo=UTC)
UNREACHABLE = "cannot reach the mail server: Connection refused"


def test_mail_is_unhealthy_only_after_failing_for_the_set_time() -> None:
    health = MailHealth(unhealthy_after_seconds=600)
    assert health.healthy(0) and health.facts(0) == {"state": "ok"}
    health.passed(0, None, NOON, 0)  # nothing to send: nothing learnt
    assert health.facts(0) == {"state": "ok"}
    health.passed(0, UNREACHABLE, NOON, 100)
    health.passed(0, "cannot reach the mail server: timed out", NOON + timedelta(minutes=5), 400)
    assert health.healthy(699)
    assert health.facts(699) == {
        "state": "failing",
        "failing_since": NOON.isoformat(),
        "error": "cannot reach the mail server: timed out",
        "unhealthy_after_seconds": 600,
    }
    assert not health.healthy(700)
    assert health.facts(700)["state"] == "unhealthy"
    health.passed(1, None, NOON + timedelta(minutes=11), 760)
    assert health.healthy(760) and health.facts(760) == {"state": "ok"}


def test_a_pass_that_sends_anything_clears_the_failure() -> None:
    health = MailHealth(unhealthy_after_seconds=60)
    health.passed(0, UNREACHABLE, NOON, 0)
    health.passed(3, UNREACHABLE, NOON, 30)  # one connection failed, the others sent
    assert health.healthy(1000) and health.facts(1000) == {"state": "ok"}


def test_zero_means_mail_never_makes_the_daemon_unhealthy() -> None:
    health = MailHealth(unhealthy_after_seconds=0)
    health.passed(0, UNREACHABLE, NOON, 0)
    assert health.healthy(10**9)
    assert health.facts(10**9)["state"] == "failing"


def _health(port: int) -> tuple[int, dict[str, object]]:
    status, body = http_get(f"http://127.0.0.1:{port}/healthz")
    return status, (json.loads(body) if body else {})


def _mail_state(port: int) -> object:
    mail = _health(port)[1].get("mail")
    return mail.get("state") if isinstance(mail, dict) else None


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_daemon_reports_a_mail_outage_and_its_end(roster: str, cli: CommandLine) -> None:
    cli.use(roster)
    http, smtp = free_port(), free_port()  # nothing listens on the SMTP port at first
    env = {
        **os.environ,
        "REMINDERS_HTTP_PORT": str(http),
        "REMINDERS_SMTP_HOST": "127.0.0.1",
        "REMINDERS_SMTP_PORT": str(smtp),
        "REMINDERS_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "REMINDERS_SCAN_INTERVAL_SECONDS": "3600",
        "REMINDERS_DELIVER_INTERVAL_SECONDS": "0.5",
        "REMINDERS_RETRY_SECONDS": "1",
        "REMINDERS_MAIL_UNHEALTHY_SECONDS": "2",
    }
    daemon = subprocess.Popen(
        [sys.executable, "-m", "reminders", "run", "--as-of", "2026-11-24"],
        env=env, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    server = SmtpServer()
    try:
        until(lambda: _mail_state(http) == "failing", seconds=30)
        until(lambda: _health(http)[0] == 503, seconds=30)
        status, body = _health(http)
        assert status == 503 and body["status"] == "unhealthy" and body["database"] is True
        mail = body["mail"]
        assert isinstance(mail, dict) and "cannot reach the mail server" in mail["error"]
        server.start(smtp)
        until(lambda: _health(http)[0] == 200, seconds=30)
        assert _health(http)[1]["mail"] == {"state": "ok"}
        assert server.inbox.messages
    finally:
        stop(daemon, timeout=15)
        server.stop()
