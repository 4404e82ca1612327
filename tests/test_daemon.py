"""`reminders run` as a real process: catch-up scan, delivery, change events, health, metrics,
and a clean stop on SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bench.generate import generate as generate_roster_files
from reminders.app import App
from reminders.db.engine import make_engine
from reminders.db.models import ChangeEvent, MessageRecord, NoticeRecord, ScanRun
from reminders.notices.service import queue_due, replan_changed
from reminders.settings import load_settings
from tests.conftest import CommandLine, demo_dir, rows, write_csv
from tests.pgserver import PostgresServer
from tests.processes import stop, stopped
from tests.smtpserver import SmtpServer
from tests.webserver import until as _until

# The demo roster is dated around this day; the daemon evaluates as of it, whatever the date.
AS_OF = "2026-11-24"
DAY = date(2026, 11, 24)
NOTICES = 7
"""People with a notice due on the demo roster that day."""
DIGESTS = 3
"""The demo's subscriptions: each gets its current period's digest (the week of Monday the
23rd, or November) as soon as the daemon starts."""
COMPLETING_CEUS = (
    "holder_id,completed_on,hours,title,bodies,categories",
    "h-001,2026-11-20,18.5,Audit Week,AAPC,auditing",
)


def generate_roster(holders: int, directory: Path) -> tuple[Path, dict[str, int]]:
    return directory, generate_roster_files(holders, directory)


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:  # it holds the connection: an unclosed one warns when collected, anywhere
            return error.code, error.read().decode()


def _answering(url: str) -> bool:
    """The server is up (it may refuse connections while it starts)."""
    try:
        return _get(url)[0] == 200
    except urllib.error.URLError:
        return False


@pytest.fixture
def daemon(
    roster: str, mail_env: SmtpServer, cli: CommandLine
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    cli.use(roster)
    port = _port()
    env = {
        **os.environ,
        "REMINDERS_HTTP_PORT": str(port),
        "REMINDERS_SCAN_INTERVAL_SECONDS": "3600",  # only the catch-up scan in this test
        "REMINDERS_DELIVER_INTERVAL_SECONDS": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "reminders", "run", "--as-of", AS_OF],
        env=env,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stderr is not None
        process.stderr.close()


def test_the_daemon_scans_at_start_sends_and_stops_cleanly(
    daemon: tuple[subprocess.Popen[bytes], str], mail_env: SmtpServer, roster: str
) -> None:
    process, base = daemon
    _until(lambda: len(mail_env.inbox.messages) == NOTICES + DIGESTS)
    # The server has each mail before the daemon records it as sent.
    sent = 'reminders_messages_total{outcome="sent"} 10.0'
    _until(lambda: sent in _get(f"{base}/metrics")[1])
    status, body = _get(f"{base}/healthz")
    health = json.loads(body)
    assert status == 200
    assert health["database"] is True and health["scheduler"] is True
    assert health["last_scan"] is not None
    status, metrics = _get(f"{base}/metrics")
    assert status == 200
    assert "reminders_scans_total 1.0" in metrics
    assert 'reminders_messages_total{outcome="sent"} 10.0' in metrics
    assert "reminders_digests_queued_total 3.0" in metrics
    assert 'reminders_notices_sent_total{kind="digest"} 3.0' in metrics
    assert "reminders_outbox_depth 0.0" in metrics
    assert "reminders_holders_evaluated_total 8.0" in metrics
    assert 'reminders_notices_planned_total{kind="shortfall"} 3.0' in metrics
    assert 'reminders_notices_sent_total{kind="deadline"} 2.0' in metrics
    assert "reminders_send_lag_seconds 0.0" in metrics
    # The figures worth alerting on (deploy/prometheus/alerts.yml).
    scanned = float(
        re.findall(r"^reminders_last_scan_timestamp_seconds (\S+)$", metrics, re.MULTILINE)[0]
    )
    assert abs(scanned - time.time()) < 120
    assert float(re.findall(r"^reminders_last_digest_run_timestamp_seconds (\S+)$", metrics,
                            re.MULTILINE)[0]) > scanned - 60  # fmt: skip
    assert 'reminders_messages_due_unsent{kind="notice"} 0.0' in metrics
    # Present from the start (at 0 until an error: tests/test_monitoring.py), so a rate() works.
    assert re.search(r'^reminders_job_errors_total\{job="delivery"\} ', metrics, re.MULTILINE)
    # Seven notices sent, each as of the demo's day or after (the roster is dated 2026-11-24).
    assert "reminders_delivery_lateness_seconds_count 7.0" in metrics
    # The scan is on record for the operators' page (/admin).
    runs = rows(roster, select(ScanRun.source, ScanRun.holders, ScanRun.queued, ScanRun.left_out))
    assert runs == [("daemon", 8, 7, 0)]
    started = time.monotonic()
    assert stop(process) == 0
    assert time.monotonic() - started < 10
    assert process.stderr is not None
    lines = [json.loads(line) for line in process.stderr.read().decode().splitlines()]
    messages = [line["message"] for line in lines]
    assert "scan done: 7 messages queued" in " ".join(messages)
    assert messages[-2:] == ["stopping", "stopped"]


def test_a_change_is_acted_on_without_waiting_for_the_next_scan(
    daemon: tuple[subprocess.Popen[bytes], str],
    mail_env: SmtpServer,
    cli: CommandLine,
    tmp_path: Path,
) -> None:
    """h-001 records the CEUs that complete the cycle: the daemon, which scans hourly in this
    test, sends the 'complete' notice within seconds of the import."""
    process, _ = daemon
    _until(lambda: len(mail_env.inbox.messages) == NOTICES + DIGESTS)
    write_csv(tmp_path / "ceus.csv", *COMPLETING_CEUS)
    imported = time.monotonic()
    assert cli("import", "ceus", tmp_path / "ceus.csv").code == 0
    _until(lambda: len(mail_env.inbox.messages) == NOTICES + DIGESTS + 1)
    elapsed = time.monotonic() - imported
    latest = mail_env.inbox.messages[-1]
    assert "maria.alvarez" in str(latest["To"])
    assert str(latest["Subject"]).startswith("AAPC CEUs complete for the cycle ending")
    print(f"change to mail: {elapsed:.2f}s")
    assert stop(process) == 0


def test_a_ceu_posted_to_the_api_is_acted_on_within_two_seconds(
    daemon: tuple[subprocess.Popen[bytes], str], mail_env: SmtpServer, cli: CommandLine
) -> None:
    """The same completing CEU, posted to the daemon's own HTTP listener with an organisation's
    key: the holder is re-planned and the 'complete' notice goes out without waiting for a
    scan (this daemon scans hourly)."""
    process, base = daemon
    key = cli("org", "create", "Riverside Health").out.splitlines()[-1]
    _until(lambda: len(mail_env.inbox.messages) == NOTICES + DIGESTS)
    # h-001 is in Summit's teams too, so hers are the operator's records to change: once
    # Summit takes her out of its teams, she is Riverside's alone and its key may add to them.
    summit = cli("org", "create", "Summit Billing Partners").out.splitlines()[-1]
    assert _api(base, summit, "DELETE", "/api/v1/holders/h-001") == 204
    ceu = {
        "holder_id": "h-001", "completed_on": "2026-11-20", "hours": 18.5,
        "title": "Audit Week", "bodies": "AAPC", "categories": "auditing",
    }  # fmt: skip
    posted = time.monotonic()
    assert _api(base, key, "POST", "/api/v1/ceus", ceu) == 201
    _until(lambda: len(mail_env.inbox.messages) == NOTICES + DIGESTS + 1, seconds=10)
    elapsed = time.monotonic() - posted
    latest = mail_env.inbox.messages[-1]
    assert "maria.alvarez" in str(latest["To"])
    assert str(latest["Subject"]).startswith("AAPC CEUs complete for the cycle ending")
    print(f"API write to mail: {elapsed:.2f}s")  # latency is bench/'s business, not a test's
    assert stop(process) == 0


def _api(base: str, key: str, method: str, path: str, body: object = None) -> int:
    request = urllib.request.Request(
        f"{base}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return int(response.status)


def test_a_change_cancels_a_queued_notice_that_no_longer_holds(
    cli: CommandLine, roster: str, tmp_path: Path
) -> None:
    """Between planning and delivery, a CEU completes h-001's cycle: the change event cancels
    the queued shortfall notice and queues the 'complete' one instead."""
    cli.use(roster)
    app = App(load_settings())
    today = DAY
    now = datetime.now(UTC)
    try:
        replan_changed(app.engine, app.rulebook, app.ladder, today, now)  # the roster's own events
        queue_due(app.engine, app.rulebook, app.ladder, today, now)
        write_csv(tmp_path / "ceus.csv", *COMPLETING_CEUS)
        assert cli("import", "ceus", tmp_path / "ceus.csv").code == 0
        result = replan_changed(app.engine, app.rulebook, app.ladder, today, now)
        assert (result.holders, result.cancelled, result.queued) == (1, 1, 1)
    finally:
        app.close()
    engine = make_engine(roster)
    with engine.connect() as connection:
        notices = connection.execute(
            select(NoticeRecord.kind, NoticeRecord.state)
            .where(NoticeRecord.key.startswith("h-001|"))
            .order_by(NoticeRecord.id)
        ).all()
        messages = connection.execute(
            select(MessageRecord.state)
            .where(MessageRecord.holder_pk == 1)
            .order_by(MessageRecord.id)
        ).all()
        events = connection.execute(select(ChangeEvent.id)).all()
    engine.dispose()
    assert [tuple(n) for n in notices] == [("shortfall", "cancelled"), ("complete", "queued")]
    assert [m[0] for m in messages] == ["cancelled", "queued"]
    assert events == []


def test_demo_mode_catches_the_mail_and_needs_no_key(
    cli: CommandLine, roster: str, tmp_path: Path
) -> None:
    """`make run` ends in `reminders run --demo`: mail is kept in var/mail/ and listed at /mail."""
    cli.use(roster)
    http, smtp = _port(), _port()
    env = {key: value for key, value in os.environ.items() if key != "REMINDERS_SECRET_KEY"} | {
        "REMINDERS_HTTP_PORT": str(http),
        "REMINDERS_SMTP_PORT": str(smtp),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "reminders", "run", "--demo", "--as-of", AS_OF],
        env=env, cwd=tmp_path, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        mail = tmp_path / "var" / "mail"
        _until(lambda: mail.is_dir() and len(list(mail.glob("*.eml"))) == NOTICES + DIGESTS)
        status, page = _get(f"http://127.0.0.1:{http}/mail")
        assert status == 200 and "10 messages" in page
        assert "AAPC CEUs complete for the cycle ending December 31, 2026" in page
        status, first = _get(f"http://127.0.0.1:{http}/mail/1")
        assert status == 200 and first.startswith("<!DOCTYPE html>")
        assert _get(f"http://127.0.0.1:{http}/mail/99")[0] == 404
        # The front page links every page this mode serves, and each answers.
        status, front = _get(f"http://127.0.0.1:{http}/")
        linked = re.findall(r'<dt><a href="([^"]+)">', front)
        assert linked == ["/dashboard", "/admin", "/mail", "/docs", "/redoc", "/openapi.json",
                          "/healthz", "/metrics"]  # fmt: skip
        for path in linked:
            assert _get(f"http://127.0.0.1:{http}{path}")[0] == 200, path
        # The demo's operator signs in by a link caught at /mail, as the dashboard's do.
        assert 'name="email"' in _get(f"http://127.0.0.1:{http}/admin")[1]
        assert stop(process, signal.SIGINT) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_two_daemons_on_one_postgresql_database_never_send_twice(
    postgres: PostgresServer, mail_env: SmtpServer, cli: CommandLine, tmp_path: Path
) -> None:
    """Two real processes on one database: they share the scan (one at a time), the change
    events and the outbox, and each person gets one mail."""
    url = postgres.create_database("two_daemons")
    cli.use(url)
    assert cli("init").code == 0
    assert cli("import", "all", demo_dir()).code == 0
    processes = []
    for _ in range(2):
        env = {
            **os.environ, "REMINDERS_HTTP_PORT": str(_port()),
            "REMINDERS_SCAN_INTERVAL_SECONDS": "1", "REMINDERS_DELIVER_INTERVAL_SECONDS": "1",
        }  # fmt: skip
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "reminders", "run", "--as-of", AS_OF],
                env=env,
                stderr=subprocess.DEVNULL,
            )
        )
    try:
        _until(lambda: len(mail_env.inbox.messages) >= NOTICES + DIGESTS)
        write_csv(tmp_path / "ceus.csv", *COMPLETING_CEUS)
        assert cli("import", "ceus", tmp_path / "ceus.csv").code == 0
        _until(lambda: len(mail_env.inbox.messages) >= NOTICES + DIGESTS + 1)
        time.sleep(3)  # several more scans, event polls and deliveries by both
        ids = [str(m["Message-ID"]) for m in mail_env.inbox.messages]
        assert len(ids) == len(set(ids)) == NOTICES + DIGESTS + 1
        for process in processes:
            process.send_signal(signal.SIGTERM)
        assert stopped(*processes) == [0, 0]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def test_a_database_outage_is_waited_out(
    mail_env: SmtpServer, cli: CommandLine, tmp_path: Path
) -> None:
    """The database goes away under a running daemon: /healthz says so (503), the daemon keeps
    running and backs off; when the database is back, so is the service, and new work is done."""
    server = PostgresServer().start()
    try:
        url = server.create_database("outage")
        cli.use(url)
        assert cli("init").code == 0
        assert cli("import", "all", demo_dir()).code == 0
        port = _port()
        env = {
            **os.environ, "REMINDERS_HTTP_PORT": str(port),
            "REMINDERS_SCAN_INTERVAL_SECONDS": "3600", "REMINDERS_DELIVER_INTERVAL_SECONDS": "1",
        }  # fmt: skip
        process = subprocess.Popen(
            [sys.executable, "-m", "reminders", "run", "--as-of", AS_OF],
            env=env, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            _until(lambda: len(mail_env.inbox.messages) == NOTICES + DIGESTS)
            server.pause()
            _until(lambda: _get(f"http://127.0.0.1:{port}/healthz")[0] == 503)
            time.sleep(3)  # the change and delivery jobs fail meanwhile
            assert process.poll() is None, "the daemon must not exit during an outage"
            server.resume()
            _until(lambda: _get(f"http://127.0.0.1:{port}/healthz")[0] == 200, seconds=30)
            write_csv(tmp_path / "ceus.csv", *COMPLETING_CEUS)
            assert cli("import", "ceus", tmp_path / "ceus.csv").code == 0
            _until(lambda: len(mail_env.inbox.messages) >= NOTICES + DIGESTS + 1, seconds=60)
            time.sleep(1)  # time for a repeated mail to arrive
            # The pass the outage cut short (the pause can come before the last mail's outcome
            # is recorded) records it when the database is back instead of sending it again.
            ids = [str(m["Message-ID"]) for m in mail_env.inbox.messages]
            assert len(ids) == len(set(ids)) == NOTICES + DIGESTS + 1
            assert stop(process) == 0
            assert process.stderr is not None
            lines = [json.loads(line) for line in process.stderr.read().decode().splitlines()]
            warnings = [line["message"] for line in lines if line["level"] == "warning"]
            listener = [w for w in warnings if w.startswith("listening for changes:")]
            jobs = [w for w in warnings if w not in listener]
            # Backing off: a handful of warnings over the outage, not one a second per job.
            assert 1 <= len(jobs) <= 12
            assert all("trying again in" in w for w in jobs), jobs
            assert all(w.endswith("polling meanwhile") for w in listener), listener
            assert len(listener) <= 4  # it retries every five seconds
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            assert process.stderr is not None
            process.stderr.close()
    finally:
        server.stop()


def test_a_daemon_killed_and_restarted_loses_nothing(
    roster: str, mail_env: SmtpServer, cli: CommandLine
) -> None:
    """SIGKILL mid-delivery, then a new daemon: every person gets their mail once the dead
    one's claims run out (a two-second lease here), at most the one in flight twice."""
    cli.use(roster)
    mail_env.inbox.delay = 0.3
    env = {
        **os.environ, "REMINDERS_SCAN_INTERVAL_SECONDS": "3600",
        "REMINDERS_DELIVER_INTERVAL_SECONDS": "1", "REMINDERS_SMTP_CONNECTIONS": "1",
        "REMINDERS_LEASE_SECONDS": "2",
    }  # fmt: skip
    command = [sys.executable, "-m", "reminders", "run", "--as-of", AS_OF]
    first = subprocess.Popen(
        command, env={**env, "REMINDERS_HTTP_PORT": str(_port())}, stderr=subprocess.DEVNULL
    )
    _until(lambda: len(mail_env.inbox.messages) >= 2)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert len(mail_env.inbox.messages) < NOTICES + DIGESTS, "the kill must land mid-delivery"
    mail_env.inbox.delay = 0
    second = subprocess.Popen(
        command, env={**env, "REMINDERS_HTTP_PORT": str(_port())}, stderr=subprocess.DEVNULL
    )
    try:
        _until(lambda: len({str(m["To"]) for m in mail_env.inbox.messages}) == NOTICES + DIGESTS)
        time.sleep(2)
        assert len(mail_env.inbox.messages) <= NOTICES + DIGESTS + 1
        assert stop(second) == 0
    finally:
        if second.poll() is None:
            second.kill()
            second.wait()


def test_a_daemon_killed_amid_thousands_of_notices_loses_none(
    initialised: str, mail_env: SmtpServer, cli: CommandLine, tmp_path: Path
) -> None:
    """A generated roster of 2,500 coders (about 2,000 mails), SIGKILL in the middle of the
    delivery, a new daemon: everyone gets their mail; only messages in flight at the kill (at
    most one per connection) arrive twice."""
    roster_dir, _ = generate_roster(2_500, tmp_path / "roster")
    assert cli("import", "all", roster_dir).code == 0
    env = {
        **os.environ, "REMINDERS_SCAN_INTERVAL_SECONDS": "3600",
        "REMINDERS_DELIVER_INTERVAL_SECONDS": "1", "REMINDERS_SMTP_CONNECTIONS": "4",
        "REMINDERS_LEASE_SECONDS": "2", "REMINDERS_DAILY_CAP": "100",
    }  # fmt: skip
    command = [sys.executable, "-m", "reminders", "run", "--as-of", AS_OF]
    first = subprocess.Popen(
        command, env={**env, "REMINDERS_HTTP_PORT": str(_port())}, stderr=subprocess.DEVNULL
    )
    _until(lambda: len(mail_env.inbox.messages) >= 300, seconds=60)
    first.send_signal(signal.SIGKILL)
    first.wait()
    engine = make_engine(initialised)
    with engine.connect() as connection:
        expected = {address for (address,) in connection.execute(select(MessageRecord.to_address))}
    assert len(mail_env.inbox.messages) < len(expected), "the kill must land mid-delivery"
    second = subprocess.Popen(
        command, env={**env, "REMINDERS_HTTP_PORT": str(_port())}, stderr=subprocess.DEVNULL
    )
    try:

        def received() -> set[str]:
            return {m["To"].addresses[0].addr_spec for m in mail_env.inbox.messages}

        _until(lambda: received() == expected, seconds=120)
        with engine.connect() as connection:
            states = set(connection.execute(select(MessageRecord.state)).scalars())
        assert states == {"sent"}
        repeated = len(mail_env.inbox.messages) - len(expected)
        print(f"{len(expected)} mails, {repeated} repeated after the kill")
        ids: dict[str, set[str]] = {}
        for message in mail_env.inbox.messages:
            ids.setdefault(message["To"].addresses[0].addr_spec, set()).add(
                str(message["Message-ID"])
            )
        assert all(len(same) == 1 for same in ids.values()), "a repeat is the same message"
        assert repeated <= 4
        assert stop(second) == 0
    finally:
        engine.dispose()
        if second.poll() is None:
            second.kill()
            second.wait()


def test_postgresql_wakes_the_daemon_at_once_on_a_change(
    postgres: PostgresServer, mail_env: SmtpServer, cli: CommandLine, tmp_path: Path
) -> None:
    """With polling every minute, the change still reaches the coder within seconds: the
    import's NOTIFY wakes the daemon's LISTEN."""
    url = postgres.create_database("listen_notify")
    cli.use(url)
    assert cli("init").code == 0
    assert cli("import", "all", demo_dir()).code == 0
    env = {
        **os.environ, "REMINDERS_HTTP_PORT": str(_port()),
        "REMINDERS_SCAN_INTERVAL_SECONDS": "3600", "REMINDERS_DELIVER_INTERVAL_SECONDS": "60",
        "REMINDERS_EVENTS_POLL_SECONDS": "60",
    }  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "reminders", "run", "--as-of", AS_OF],
        env=env, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _until(lambda: len(mail_env.inbox.messages) == NOTICES + DIGESTS)
        time.sleep(1)  # the listener is up
        write_csv(tmp_path / "ceus.csv", *COMPLETING_CEUS)
        imported = time.monotonic()
        assert cli("import", "ceus", tmp_path / "ceus.csv").code == 0
        _until(lambda: len(mail_env.inbox.messages) == NOTICES + DIGESTS + 1, seconds=30)
        elapsed = time.monotonic() - imported
        print(f"change to mail with LISTEN/NOTIFY: {elapsed:.2f}s")
        assert elapsed < 30, "woken by the notification, not by the one-minute poll"
        assert stop(process) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_full_scan_settles_the_changes_made_before_it_and_no_later_ones(
    cli: CommandLine, roster: str, tmp_path: Path
) -> None:
    """An import's change events (here the demo roster's) are covered by a scan that starts
    after them, so they do not queue up ahead of the next real change; one made after the
    scan is left for the change job."""
    cli.use(roster)
    app = App(load_settings())
    try:
        with app.engine.connect() as connection:
            assert connection.execute(select(ChangeEvent.id)).first() is not None
        assert queue_due(app.engine, app.rulebook, app.ladder, DAY, datetime.now(UTC)) == 7
        with app.engine.connect() as connection:
            assert connection.execute(select(ChangeEvent.id)).all() == []
        write_csv(tmp_path / "ceus.csv", *COMPLETING_CEUS)
        assert cli("import", "ceus", tmp_path / "ceus.csv").code == 0
        with app.engine.connect() as connection:
            assert len(connection.execute(select(ChangeEvent.id)).all()) == 1
        result = replan_changed(app.engine, app.rulebook, app.ladder, DAY, datetime.now(UTC))
        assert (result.holders, result.queued, result.more) == (1, 1, False)
    finally:
        app.close()


@pytest.mark.parametrize("command", [["run", "--demo"], ["web"]])
def test_a_port_in_use_is_one_line_and_status_1(command: list[str], roster: str) -> None:
    """It logged "running", then died with tracebacks."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "REMINDERS_DATABASE_URL": roster, "REMINDERS_HTTP_PORT": str(port)}
        result = subprocess.run(
            [sys.executable, "-m", "reminders", *command], env=env, capture_output=True,
            text=True, timeout=60, check=False,
        )  # fmt: skip
    assert result.returncode == 1, result.stderr
    expected = (
        f"reminders: cannot listen on 127.0.0.1 port {port} (REMINDERS_HTTP_HOST,"
        " REMINDERS_HTTP_PORT): Address already in use"
    )
    assert result.stderr.splitlines() == [expected]


def test_the_log_names_a_refused_address_by_its_fingerprint_only(
    roster: str, mail_env: SmtpServer, cli: CommandLine, tmp_path: Path
) -> None:
    cli.use(roster)
    refused = "maria@bounce.example.org"
    holders = write_csv(
        tmp_path / "holders.csv", "holder_id,full_name,email", f"h-001,Maria,{refused}"
    )
    assert cli("import", "holders", holders).code == 0
    env = {
        **os.environ, "REMINDERS_HTTP_PORT": str(_port()), "REMINDERS_SCAN_INTERVAL_SECONDS": "3600",
        "REMINDERS_DELIVER_INTERVAL_SECONDS": "1",
    }  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "reminders", "run", "--as-of", AS_OF], env=env,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _until(lambda: len(mail_env.inbox.messages) >= NOTICES - 1)
        time.sleep(1)
    finally:
        stop(process, timeout=20)
    assert process.stderr is not None
    with process.stderr:
        log = process.stderr.read().decode()
    assert refused not in log
    print_ = cli("fingerprint", refused)
    assert print_.code == 0 and print_.out.strip().startswith("address#")
    assert f"delivery: {print_.out.strip()}: recipient refused" in log


def test_metrics_and_docs_move_to_the_admin_port_when_there_is_one(
    roster: str, mail_env: SmtpServer
) -> None:
    """They sat on the public port, beside the links in every mail."""
    public, admin = _port(), _port()
    env = {
        **os.environ, "REMINDERS_DATABASE_URL": roster, "REMINDERS_HTTP_PORT": str(public),
        "REMINDERS_ADMIN_PORT": str(admin), "REMINDERS_SCAN_INTERVAL_SECONDS": "3600",
    }  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "reminders", "run", "--as-of", AS_OF], env=env,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _until(lambda: _answering(f"http://127.0.0.1:{public}/healthz"))
        for path in ("/metrics", "/docs", "/openapi.json"):
            assert _get(f"http://127.0.0.1:{public}{path}")[0] == 404, path
        status, metrics = _get(f"http://127.0.0.1:{admin}/metrics")
        assert status == 200 and "reminders_scans_total" in metrics
        status, schema = _get(f"http://127.0.0.1:{admin}/openapi.json")
        assert status == 200 and "/api/v1/holders" in json.loads(schema)["paths"]
        assert _get(f"http://127.0.0.1:{admin}/docs")[0] == 200
        assert _get(f"http://127.0.0.1:{public}/admin")[0] == 404
        status, signin = _get(f"http://127.0.0.1:{admin}/admin")
        assert status == 200 and 'name="token"' in signin
        status, front = _get(f"http://127.0.0.1:{public}/")
        assert re.findall(r'<dt><a href="([^"]+)">', front) == ["/dashboard", "/healthz"]
        assert f"on the admin port ({admin})" in front
    finally:
        assert stop(process, timeout=20) == 0
