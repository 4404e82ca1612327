"""`reminders catcher`: the compose stack's mail server. It keeps what it is sent, shows it, keeps
it across a restart, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import signal
import smtplib
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

from tests.webserver import free_port, http_get


@contextmanager
def catcher(folder: Path, smtp: int, http: int) -> Iterator[str]:
    command = [sys.executable, "-m", "reminders", "catcher", "--host", "127.0.0.1"]
    command += ["--smtp-port", str(smtp), "--http-port", str(http), "--folder", str(folder)]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{http}"
    try:
        deadline = time.monotonic() + 30
        while http_get(f"{base}/healthz")[0] != 200:
            assert process.poll() is None and time.monotonic() < deadline, process.stderr
            time.sleep(0.1)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        _, log = process.communicate(timeout=15)
    assert process.returncode == 0, log
    assert "catching mail on SMTP port" in log


def _send(port: int, to: str, subject: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "reminders@localhost", to, subject
    message.set_content("plain")
    message.add_alternative("<p>the <b>html</b> part</p>", subtype="html")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(message)


def test_it_keeps_lists_and_shows_what_it_is_sent_across_a_restart(tmp_path: Path) -> None:
    folder, smtp, http = tmp_path / "mail", free_port(), free_port()
    with catcher(folder, smtp, http) as base:
        assert json.loads(http_get(f"{base}/mail.json")[1]) == []
        _send(smtp, "priya@example.org", "Overdue: AHIMA CEUs")
        [caught] = json.loads(http_get(f"{base}/mail.json")[1])
        assert caught["to"] == "priya@example.org"
        assert caught["subject"] == "Overdue: AHIMA CEUs"
        status, page = http_get(f"{base}/mail")
        assert status == 200 and "Overdue: AHIMA CEUs" in page
        status, html = http_get(f"{base}/mail/1")
        assert (status, html.strip()) == (200, "<p>the <b>html</b> part</p>")
        assert http_get(f"{base}/mail/2")[0] == 404
    assert [p.suffix for p in folder.iterdir()] == [".eml"]
    with catcher(folder, smtp, http) as base:
        _send(smtp, "james@example.org", "AAPC CEUs due")
        listed = json.loads(http_get(f"{base}/mail.json")[1])
        assert [(m["number"], m["to"]) for m in listed] == [
            (1, "priya@example.org"),
            (2, "james@example.org"),
        ]
        assert json.loads(http_get(f"{base}/healthz")[1]) == {"status": "ok", "caught": 2}


def test_a_port_in_use_is_a_one_line_error(tmp_path: Path) -> None:
    http = free_port()
    with catcher(tmp_path / "mail", free_port(), http):
        result = subprocess.run(
            [sys.executable, "-m", "reminders", "catcher", "--host", "127.0.0.1",
             "--smtp-port", str(free_port()), "--http-port", str(http),
             "--folder", str(tmp_path / "other")],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("reminders: cannot listen: Address already in use"), line
