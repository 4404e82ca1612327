"""Schemathesis against the API's own OpenAPI document, served for real on both databases:
generated requests of every shape, valid and not, and no answer may be a server error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reminders.app import App
from reminders.settings import load_settings
from reminders.web.server import build
from tests.conftest import SECRET, CommandLine
from tests.webserver import serving


def test_no_generated_request_gets_a_server_error(
    cli: CommandLine, roster: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REMINDERS_SECRET_KEY", SECRET)
    monkeypatch.setenv("REMINDERS_API_RATE_PER_MINUTE", "1000000")  # fuzz the API, not the limit
    cli.use(roster)
    key = cli("org", "create", "Riverside Health").out.splitlines()[-1]
    app = App(load_settings())
    try:
        with serving(build(app)) as base:
            run = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "schemathesis.cli",
                    "run",
                    f"{base}/openapi.json",
                    "--header",
                    f"Authorization: Bearer {key}",
                    "--checks",
                    "not_a_server_error",
                    "--max-examples",
                    "30",
                    "--seed",
                    "2026",
                    "--no-color",
                    "--report-dir",
                    str(tmp_path),
                ],
                check=False,
                capture_output=True,
                text=True,
                timeout=600,
                cwd=tmp_path,
            )
    finally:
        app.close()
    summary = run.stdout[-6000:]
    assert run.returncode == 0, summary
    assert "generated" in summary and "failed" not in summary.split("Test cases:")[-1], summary
