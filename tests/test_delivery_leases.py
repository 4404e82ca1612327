"""Several senders against one slow mail server with a short claim, on both databases: no
mail goes out twice, although sending a batch takes several times the claim's length.

Before claims were renewed while a batch was sent (and outcomes fenced by the claim's token),
the next sender took the messages of a claim that had run out mid-batch and sent them again
(two daemons, 300 s lease, 3.2 s a message: 135 accepted for 130 messages)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from bench.generate import generate
from reminders.app import App
from reminders.db.models import MessageRecord
from reminders.notices.delivery import Deliverer
from reminders.notices.service import queue_due
from reminders.settings import load_settings
from tests.conftest import CommandLine, rows
from tests.processes import stopped
from tests.smtpserver import SmtpServer
from tests.test_daemon import _port
from tests.test_delivery import DAY, START
from tests.webserver import until as _until


def test_senders_that_outlast_their_claim_send_each_mail_once(
    cli: CommandLine, initialised: str, mail_env: SmtpServer, tmp_path: Path
) -> None:
    generate(150, tmp_path / "roster")
    assert cli("import", "all", tmp_path / "roster").code == 0
    app = App(load_settings())
    queue_due(app.engine, app.rulebook, app.ladder, DAY, START)
    app.close()
    queued = len(rows(initialised, select(MessageRecord.id)))
    assert queued > 60
    # About 0.06 s a message on one connection each: a batch of 100 takes about 6 s, three
    # times the 2-second claim. Daemons poll the outbox every half second, so a claim that ran
    # out is taken at once.
    mail_env.inbox.delay = 0.06
    env = {
        **os.environ, "REMINDERS_LEASE_SECONDS": "2", "REMINDERS_SMTP_CONNECTIONS": "1",
        "REMINDERS_DAILY_CAP": "100", "REMINDERS_SCAN_INTERVAL_SECONDS": "3600",
        "REMINDERS_DELIVER_INTERVAL_SECONDS": "0.5", "REMINDERS_DIGEST_INTERVAL_SECONDS": "3600",
    }  # fmt: skip
    command = [sys.executable, "-m", "reminders", "run", "--as-of", DAY.isoformat()]
    daemons = [
        subprocess.Popen(command, env={**env, "REMINDERS_HTTP_PORT": str(_port())},
                         stderr=subprocess.DEVNULL)
        for _ in range(3)
    ]  # fmt: skip
    try:
        _until(lambda: _states(initialised).get("sent", 0) >= queued, seconds=120)
        time.sleep(3)  # time for a late duplicate to arrive
    finally:
        for daemon in daemons:
            daemon.send_signal(signal.SIGTERM)
        stopped(*daemons, timeout=20)
    ids = Counter(str(message["Message-ID"]) for message in mail_env.inbox.messages)
    twice = {ident: n for ident, n in ids.items() if n > 1}
    assert not twice, f"{len(twice)} of {len(ids)} mails went out more than once"
    assert len(ids) == sum(_states(initialised).values())
    assert set(_states(initialised)) == {"sent"}


def _states(url: str) -> Counter[str]:
    return Counter(state for (state,) in rows(url, select(MessageRecord.state)))


def test_a_pass_the_database_failed_gives_its_claims_back_when_it_can(
    cli: CommandLine, roster: str, backend: str, mail_env: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The database goes away mid-pass (here: another writer holds SQLite's lock past the busy
    timeout): the pass fails, and cannot give its claims back then. The next pass gives them
    back first, so the rest of the batch goes at once instead of after the claim (300 s). The
    message the server took while the database was away is recorded as sent then, not sent
    again (it was, before: a database blip cost someone a duplicate)."""
    if backend != "sqlite":
        pytest.skip("a lock held past the busy timeout is SQLite's way of being unavailable")
    monkeypatch.setenv("REMINDERS_SMTP_CONNECTIONS", "1")
    cli.use(roster)
    app = App(load_settings())
    queue_due(app.engine, app.rulebook, app.ladder, DAY, START)
    deliverer = Deliverer(
        app.engine, app.rulebook, app.ladder, app.renderer, app.smtp(), app.mail(), lambda: START
    )
    mail_env.inbox.delay = 0.3
    failed: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(deliverer.deliver_due(DAY))
        except Exception as exc:  # noqa: BLE001 - the failure is what the test waits for
            failed.append(exc)

    path = roster.removeprefix("sqlite:///")
    blocker = sqlite3.connect(path, isolation_level=None, timeout=30)
    sender = threading.Thread(target=run)
    sender.start()
    _until(lambda: bool(mail_env.inbox.messages))
    blocker.execute("BEGIN EXCLUSIVE")
    sender.join(timeout=60)
    blocker.execute("ROLLBACK")
    blocker.close()
    assert failed and "locked" in str(failed[0])
    assert "sending" in _states(roster)  # claims that could not be given back yet
    mail_env.inbox.delay = 0
    report = asyncio.run(deliverer.deliver_due(DAY))  # the same moment: no claim has run out
    app.close()
    assert set(_states(roster)) == {"sent"}
    received = Counter(m["To"].addresses[0].addr_spec for m in mail_env.inbox.messages)
    assert set(received) == {a for (a,) in rows(roster, select(MessageRecord.to_address))}
    assert set(received.values()) == {1}, received.most_common(2)
    assert report.sent >= 1
