"""Settings: the documented names and defaults, and one clear line per bad variable (exit 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reminders.settings import Settings, load_settings
from tests.conftest import CommandLine


def test_defaults_are_the_documented_ones() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///var/reminders.db"
    assert (settings.smtp_host, settings.smtp_port) == ("localhost", 1025)
    assert settings.smtp_username is None and settings.smtp_password is None
    assert settings.smtp_tls == "none"
    assert settings.mail_from == "Recertification Reminders <reminders@localhost>"
    assert settings.secret_key is None
    assert settings.base_url == "http://localhost:8080"
    assert settings.http_port == 8080
    assert settings.scan_interval_seconds is None
    assert settings.timezone == "America/New_York"
    assert settings.bodies_dir is None


def test_every_documented_variable_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "REMINDERS_DATABASE_URL": "postgresql+psycopg://u@db.example/reminders",
        "REMINDERS_SMTP_HOST": "smtp.example.org",
        "REMINDERS_SMTP_PORT": "587",
        "REMINDERS_SMTP_USERNAME": "mailer",
        "REMINDERS_SMTP_PASSWORD": "hunter2-hunter2",
        "REMINDERS_SMTP_TLS": "starttls",
        "REMINDERS_MAIL_FROM": "Coding Compliance <compliance@example.org>",
        "REMINDERS_SECRET_KEY": "k" * 40,
        "REMINDERS_BASE_URL": "https://reminders.example.org/",
        "REMINDERS_HTTP_PORT": "9000",
        "REMINDERS_SCAN_INTERVAL_SECONDS": "300",
        "REMINDERS_TIMEZONE": "America/Chicago",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.smtp_port == 587 and settings.http_port == 9000
    assert settings.smtp_tls == "starttls"
    assert settings.smtp_password is not None
    assert settings.smtp_password.get_secret_value() == "hunter2-hunter2"
    assert settings.base_url == "https://reminders.example.org"
    assert settings.scan_interval_seconds == 300
    assert settings.timezone == "America/Chicago"


def test_secrets_never_show_in_a_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMINDERS_SMTP_PASSWORD", "hunter2-hunter2")
    monkeypatch.setenv("REMINDERS_SECRET_KEY", "s3cret" * 8)
    shown = repr(load_settings()) + str(load_settings().model_dump())
    assert "hunter2" not in shown and "s3cret" not in shown


def test_a_dotenv_file_in_the_working_directory_is_read() -> None:
    Path(".env").write_text("REMINDERS_SMTP_HOST=mail.internal\n")
    assert load_settings().smtp_host == "mail.internal"


def test_empty_values_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMINDERS_SMTP_USERNAME", "")
    monkeypatch.setenv("REMINDERS_SCAN_INTERVAL_SECONDS", "")
    settings = load_settings()
    assert settings.smtp_username is None and settings.scan_interval_seconds is None


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("REMINDERS_SMTP_PORT", "abc", "invalid setting REMINDERS_SMTP_PORT='abc': Input should be a valid integer"),
        ("REMINDERS_SMTP_PORT", "70000", "invalid setting REMINDERS_SMTP_PORT='70000': Input should be less than or equal to 65535"),
        ("REMINDERS_HTTP_PORT", "0", "invalid setting REMINDERS_HTTP_PORT='0'"),
        ("REMINDERS_SMTP_TLS", "ssl", "invalid setting REMINDERS_SMTP_TLS='ssl': Input should be 'none', 'starttls' or 'tls'"),
        ("REMINDERS_TIMEZONE", "Mars/Olympus", "invalid setting REMINDERS_TIMEZONE='Mars/Olympus': unknown IANA time zone"),
        ("REMINDERS_BASE_URL", "reminders.example.org", "invalid setting REMINDERS_BASE_URL='reminders.example.org': expected an absolute"),
        ("REMINDERS_MAIL_FROM", "nobody", "invalid setting REMINDERS_MAIL_FROM='nobody': expected an address"),
        ("REMINDERS_DATABASE_URL", "mysql://db/reminders", "invalid setting REMINDERS_DATABASE_URL='mysql://db/reminders': only sqlite"),
        ("REMINDERS_DATABASE_URL", "not a url", "invalid setting REMINDERS_DATABASE_URL='not a url': not a database URL"),
        ("REMINDERS_SCAN_INTERVAL_SECONDS", "-5", "invalid setting REMINDERS_SCAN_INTERVAL_SECONDS='-5': Input should be greater than 0"),
        ("REMINDERS_SMTP_HOTS", "x", "unknown setting REMINDERS_SMTP_HOTS (did you mean REMINDERS_SMTP_HOST?)"),
        ("REMINDERS_SEND_WINDOW", "20:00-08:00", "invalid setting REMINDERS_SEND_WINDOW='20:00-08:00': the window must open before it closes"),
        ("REMINDERS_SEND_WINDOW", "mornings", "invalid setting REMINDERS_SEND_WINDOW='mornings': expected local hours such as 08:00-20:00"),
        ("REMINDERS_UNSUBSCRIBE_MAILTO", "<u@example.org>", "invalid setting REMINDERS_UNSUBSCRIBE_MAILTO='<u@example.org>': expected a bare address"),
        ("REMINDERS_DAILY_CAP", "0", "invalid setting REMINDERS_DAILY_CAP='0': Input should be greater than or equal to 1"),
        ("REMINDERS_BODIES_DIR", "/no/such/folder", "invalid setting REMINDERS_BODIES_DIR='/no/such/folder': not a directory"),
    ],
)  # fmt: skip
def test_a_bad_setting_stops_any_command_with_one_line(
    cli: CommandLine, monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    for command in (["init"], ["show"], ["import", "holders", "holders.csv"]):
        result = cli(*command)
        assert result.code == 2
        assert len(result.err_lines) == 1, result.err
        assert result.err_lines[0].startswith(f"reminders: {expected}")
        assert not Path("var").exists(), "nothing may be created before the settings are valid"


def test_a_bad_secret_is_named_but_never_printed(
    cli: CommandLine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REMINDERS_SECRET_KEY", "tooshort-secret")
    result = cli("init")
    assert result.code == 2
    assert result.err_lines[0].startswith(
        "reminders: invalid setting REMINDERS_SECRET_KEY: must be"
    )
    assert "tooshort" not in result.err


def test_every_bad_variable_gets_its_own_line(
    cli: CommandLine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REMINDERS_SMTP_PORT", "abc")
    monkeypatch.setenv("REMINDERS_SMTP_TLS", "maybe")
    result = cli("init")
    assert result.code == 2
    assert [line.split("=")[0] for line in result.err_lines] == [
        "reminders: invalid setting REMINDERS_SMTP_PORT",
        "reminders: invalid setting REMINDERS_SMTP_TLS",
    ]


def test_the_installed_entry_point_reports_a_bad_setting(tmp_path: Path) -> None:
    """`python -m reminders` in a real process: exit status 2 and exactly one line on stderr."""
    env = {"PATH": "/usr/bin:/bin", "REMINDERS_SMTP_PORT": "abc", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "reminders", "init"],
        check=False, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        (
            "reminders: invalid setting REMINDERS_SMTP_PORT='abc': Input should be a valid "
            "integer, unable to parse string as an integer"
        )
    ]
    assert result.stdout == ""


def test_example_env_documents_every_setting() -> None:
    """config/example.env: every variable once, each with a comment line above it."""
    lines = (Path(__file__).parent.parent / "config" / "example.env").read_text().splitlines()
    assigned: dict[str, int] = {}
    for number, line in enumerate(lines):
        name = line.lstrip("# ").split("=")[0]
        if name.startswith("REMINDERS_") and "=" in line:
            assert lines[number - 1].startswith("# "), f"{name} has no comment above it"
            assigned[name] = assigned.get(name, 0) + 1
    expected = {f"REMINDERS_{field.upper()}" for field in Settings.model_fields}
    assert set(assigned) == expected
    assert all(count == 1 for count in assigned.values())
