"""The service's settings: the only module that reads the environment.

Every name and default is a public contract (docs: interfaces.md, "Settings"); `config/example.env`
lists them with one comment each. `load_settings()` turns any problem into `SettingsError`, whose
lines each name the offending variable, so the command line can stop with exit status 2.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from datetime import time
from email.headerregistry import Address
from email.utils import parseaddr
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "REMINDERS_"
MIN_SECRET_LENGTH = 32


_HOSTNAME = re.compile(
    r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


_TOPIC = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}")


class SettingsError(Exception):
    """One or more settings are missing or invalid; each line of the message names a variable."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


@cache
def known_timezones() -> frozenset[str]:
    """The IANA time-zone names this machine (or the tzdata package) knows."""
    return frozenset(available_timezones())


def check_timezone(name: str) -> str:
    if name not in known_timezones():
        raise ValueError(f"unknown IANA time zone {name!r} (e.g. America/Chicago)")
    return name


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
    )

    database_url: str = "sqlite:///var/reminders.db"
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    mail_from: str = "Recertification Reminders <reminders@localhost>"
    secret_key: SecretStr | None = None
    base_url: str = "http://localhost:8080"
    http_port: int = Field(default=8080, ge=1, le=65535)
    admin_port: int | None = Field(default=None, ge=1, le=65535)
    """When set, /metrics, /docs and /openapi.json are served on this port (of
    REMINDERS_HTTP_HOST) and not on the HTTP port beside the links in every mail: publish only
    the HTTP port to the world."""
    http_header_seconds: float = Field(default=10.0, gt=0, le=300)
    """A request's headers must arrive within this many seconds of the connection opening (or
    of the previous response), or the connection is closed: slow clients cannot hold them."""
    http_host: str = Field(default="127.0.0.1", min_length=1)
    """The address the HTTP port listens on: this machine only unless set (the image sets
    0.0.0.0; in front of the world, put a reverse proxy)."""
    scan_interval_seconds: int | None = Field(default=None, gt=0)
    timezone: str = "America/New_York"
    bodies_dir: Path | None = None
    smtp_connections: int = Field(default=4, ge=1, le=64)
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    daily_cap: int = Field(default=3, ge=1)
    max_attempts: int = Field(default=8, ge=1)
    retry_seconds: int = Field(default=60, ge=1)
    send_window: str | None = None
    unsubscribe_mailto: str | None = None
    bounce_domain: str | None = None
    """Each message's envelope sender is then bounces+<id>-<signature>@ this (mail/bounces.py)."""
    bounce_maildir: Path | None = None
    """A Maildir the bounces arrive in, read by the daemon (bounces/mailboxes.py)."""
    bounce_imap_url: SecretStr | None = None
    """imaps://user:password@host/folder: an IMAP folder the bounces arrive in, read likewise."""
    bounce_interval_seconds: float = Field(default=300.0, gt=0)
    soft_bounce_limit: int = Field(default=3, ge=1)
    """This many soft bounces of an address within REMINDERS_SOFT_BOUNCE_DAYS suppress it."""
    soft_bounce_days: int = Field(default=14, ge=1, le=365)
    ses_topic_arns: str | None = None
    """Comma-separated SNS topics whose SES notifications POST /hooks/ses accepts (web/hooks.py)."""
    postmark_webhook_secret: SecretStr | None = Field(default=None, min_length=16)
    """The Basic-auth password of Postmark's bounce webhook at POST /hooks/postmark."""
    scan_cron: str = "0 6 * * *"
    lease_seconds: int = Field(default=300, ge=1)
    retention_days: int = Field(default=180, ge=1)
    deliver_interval_seconds: float = Field(default=15.0, gt=0)
    events_poll_seconds: float = Field(default=1.0, gt=0)
    digest_interval_seconds: float = Field(default=60.0, gt=0)
    """How often the daemon looks for digests and alerts due."""
    alert_behind_days: int = Field(default=90, ge=0, le=730)
    """A member turning behind pace is alerted within this many days of the deadline."""
    alert_interval_minutes: int = Field(default=15, ge=1, le=1440)
    """Immediate alerts: at most one mail per subscriber per this many minutes."""
    webhook_allow_private: bool = False
    """Webhooks may post to loopback, private and link-local addresses (webhooks/address.py)."""
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    webhook_disable_after_hours: int = Field(default=24, ge=1, le=24 * 30)
    """An endpoint failing this long is disabled; its organisation's digests say so."""
    dashboard_session_hours: int = Field(default=12, ge=1, le=24 * 30)
    """A team dashboard sign-in lasts this long; then the subscriber asks for a new link."""
    admin_emails: str | None = None
    """Comma-separated addresses that may sign in to /admin by a mailed link (besides the
    tokens of `reminders admin token create`)."""
    admin_session_hours: int = Field(default=8, ge=1, le=24 * 7)
    """An operator's sign-in to /admin lasts this long."""
    api_rate_per_minute: int = Field(default=600, gt=0)
    api_max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    """Larger request bodies are refused with 413 before they are read whole (web/limits.py)."""
    scan_workers: int = Field(default=0, ge=0, le=64)
    """Processes a full scan of many holders plans in (notices/scan.py); 0: one per core."""
    scan_range_holders: int = Field(default=5_000, ge=1, le=1_000_000)
    """Holders in each range of a full scan, the unit instances claim (notices/passes.py)."""
    scan_lease_seconds: int = Field(default=300, ge=1, le=24 * 3600)
    """How long an instance's claim holds a range: a killed instance's range is planned by
    another once it has run out."""
    pace_slack_days: int = Field(default=30, ge=0, le=365)
    """How far behind a steady pace a cycle may be before it counts as behind (rules/pace.py)."""
    pace_grace_days: int = Field(default=90, ge=0, le=365)
    """No cycle counts as behind in its first days (rules/pace.py)."""
    self_report_pause_days: int = Field(default=30, ge=1, le=365)
    """A coder's word that a cycle is submitted pauses its reminders this long (planning.PAUSED)."""
    missing_history: Literal["lapsed", "settled"] = "lapsed"
    """A renewal date or stated cycle end passed with nothing after it (Rulebook.missing_history)."""
    mail_pause_after: int = Field(default=10, ge=1)
    """A delivery pass stops after this many failures in a row (notices/outcomes.py)."""
    mail_unhealthy_seconds: int = Field(default=1800, ge=0)
    """/healthz turns 503 once the mail server has been unreachable this long (health.py)."""

    @field_validator("scan_cron")
    @classmethod
    def _scan_cron(cls, value: str) -> str:
        from reminders.scheduler import check_cron

        check_cron(value)
        return value

    @field_validator("unsubscribe_mailto")
    @classmethod
    def _unsubscribe_mailto(cls, value: str | None) -> str | None:
        if value is not None and ("@" not in value or any(c in value for c in "<>\r\n ,")):
            raise ValueError("expected a bare address such as unsubscribe@example.org")
        return value

    @field_validator("bounce_domain")
    @classmethod
    def _bounce_domain(cls, value: str | None) -> str | None:
        if value is not None and not _HOSTNAME.fullmatch(value):
            raise ValueError("expected a domain name such as bounces.example.org")
        return None if value is None else value.lower()

    @field_validator("bounce_maildir")
    @classmethod
    def _bounce_maildir(cls, value: Path | None) -> Path | None:
        if value is not None and not all((value / sub).is_dir() for sub in ("new", "cur", "tmp")):
            raise ValueError("not a Maildir (a directory with new/, cur/ and tmp/)")
        return value

    @field_validator("bounce_imap_url")
    @classmethod
    def _bounce_imap_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            from reminders.bounces.mailboxes import ImapAddress

            ImapAddress.parse(value.get_secret_value())
        return value

    @field_validator("ses_topic_arns")
    @classmethod
    def _ses_topic_arns(cls, value: str | None) -> str | None:
        if value is not None and not all(_TOPIC.fullmatch(t.strip()) for t in value.split(",")):
            raise ValueError(
                "expected SNS topic ARNs such as arn:aws:sns:us-east-1:123456789012:ses"
            )
        return value

    @field_validator("admin_emails")
    @classmethod
    def _admin_emails(cls, value: str | None) -> str | None:
        for address in (value or "").split(","):
            local, at, domain = address.strip().partition("@")
            if address.strip() and not (
                local and at and "." in domain and " " not in address.strip()
            ):
                raise ValueError(f"{address.strip()!r} is not an email address")
        return value

    def operators(self) -> frozenset[str]:
        """REMINDERS_ADMIN_EMAILS, lower-cased."""
        listed = (self.admin_emails or "").split(",")
        return frozenset(a.strip().lower() for a in listed if a.strip())

    def topics(self) -> frozenset[str]:
        return frozenset(t.strip() for t in (self.ses_topic_arns or "").split(",") if t.strip())

    @field_validator("send_window")
    @classmethod
    def _send_window(cls, value: str | None) -> str | None:
        if value is not None:
            parse_window(value)
        return value

    def window(self) -> tuple[time, time] | None:
        return None if self.send_window is None else parse_window(self.send_window)

    @field_validator("bodies_dir")
    @classmethod
    def _bodies_dir(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError("not a directory of body rule files (*.yaml)")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        # Imported here so that reading settings does not pull SQLAlchemy's dialect machinery in
        # for commands that fail earlier.
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL: {exc}") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError("only sqlite:/// and postgresql+psycopg:// URLs are supported")
        return value

    @field_validator("mail_from")
    @classmethod
    def _mail_from(cls, value: str) -> str:
        name, addr = parseaddr(value)
        if "@" not in addr:
            raise ValueError('expected an address such as "Reminders <reminders@example.org>"')
        Address(display_name=name, addr_spec=addr)  # raises on what a mail header cannot carry
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("expected an absolute http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("secret_key")
    @classmethod
    def _secret_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"must be at least {MIN_SECRET_LENGTH} characters; "
                'generate one with: python -c "import secrets; print(secrets.token_urlsafe(32))"'
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return check_timezone(value)


def parse_window(value: str) -> tuple[time, time]:
    """'08:00-20:00' -> the two local times; mail goes out from the first until the second."""
    try:
        first, second = (time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError:
        raise ValueError("expected local hours such as 08:00-20:00") from None
    if first >= second:
        raise ValueError("the window must open before it closes, e.g. 08:00-20:00")
    return first, second


def _env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def _unknown_variables(environ: Mapping[str, str]) -> list[str]:
    known = {_env_name(name) for name in Settings.model_fields}
    lines = []
    for name in sorted(environ):
        if name.startswith(ENV_PREFIX) and name not in known:
            guess = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f" (did you mean {guess[0]}?)" if guess else ""
            lines.append(f"unknown setting {name}{hint}")
    return lines


def _describe(error: Mapping[str, Any]) -> str:
    field = str(error["loc"][0]) if error["loc"] else "?"
    message = str(error["msg"]).removeprefix("Value error, ")
    secret = Settings.model_fields[field].annotation in (SecretStr, SecretStr | None)
    shown = "" if secret or "input" not in error else f"={error['input']!r}"
    return f"invalid setting {_env_name(field)}{shown}: {message}"


def load_settings() -> Settings:
    """Read the settings from the environment (and `.env`), or raise `SettingsError`."""
    problems = _unknown_variables(os.environ)
    try:
        settings = Settings()
    except ValidationError as exc:
        problems += [_describe(error) for error in exc.errors()]
    if problems:
        raise SettingsError(problems)
    return settings
