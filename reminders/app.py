"""The composition root: builds the adapters from the settings. The only place that reads the
clock; everything below it is handed the time."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from reminders.alerts.service import AlertRules
from reminders.bounces.mailboxes import ImapAddress, Mailboxes
from reminders.bounces.record import BounceRules
from reminders.bounces.sns import AwsNetwork, Network
from reminders.db import migrate
from reminders.db.engine import make_engine
from reminders.errors import BadInput, ReminderError
from reminders.mail.policy import MailSettings
from reminders.mail.render import Renderer
from reminders.mail.smtp import SmtpConfig
from reminders.notices.ladder import Ladder, load_ladder
from reminders.resources import bodies_dir, config_dir, templates_dir
from reminders.rules.loader import Rulebook, RulebookError, load_rulebook
from reminders.rules.pace import Pace
from reminders.settings import Settings
from reminders.webhooks.service import WebhookRules


class App:
    def __init__(self, settings: Settings, demo: bool = False, as_of: date | None = None) -> None:
        self.settings = settings
        self.demo = demo
        self.as_of = as_of
        # Demo mode only: a key of the moment, so that the demo runs without one. Links it
        # signs stop working when the process ends.
        self._demo_secret = secrets.token_urlsafe(32) if demo else None
        self.sns: Network = AwsNetwork()
        """Where SNS signing certificates come from (AWS; a test stands in for it)."""

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        """The day to evaluate: today in the service's time zone (REMINDERS_TIMEZONE), unless
        the service was started as of a fixed day."""
        if self.as_of is not None:
            return self.as_of
        return self.now().astimezone(ZoneInfo(self.settings.timezone)).date()

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def rulebook(self) -> Rulebook:
        try:
            rules = load_rulebook(self.settings.bodies_dir or bodies_dir())
            pace = Pace(self.settings.pace_slack_days, self.settings.pace_grace_days)
            return replace(rules, pace=pace, missing_history=self.settings.missing_history)
        except RulebookError as exc:
            raise BadInput(str(exc)) from exc

    @cached_property
    def ladder(self) -> Ladder:
        try:
            return load_ladder(config_dir() / "notices.yaml")
        except RulebookError as exc:
            raise BadInput(str(exc)) from exc

    @cached_property
    def renderer(self) -> Renderer:
        return Renderer(templates_dir())

    def smtp(self) -> SmtpConfig:
        s = self.settings
        return SmtpConfig(
            host=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            security=s.smtp_tls,
            timeout=s.smtp_timeout_seconds,
            connections=s.smtp_connections,
        )

    def mail(self, preview: bool = False) -> MailSettings:
        """How mail is sent; `preview`: for files a person reads, whose links need not work."""
        s = self.settings
        secret = s.secret_key.get_secret_value() if s.secret_key else self._demo_secret
        if secret is None and preview:
            secret = "preview: this link does not work"
        if secret is None:
            raise BadInput(
                "REMINDERS_SECRET_KEY is not set: it signs the unsubscribe link of every notice"
            )
        return MailSettings(
            mail_from=s.mail_from,
            base_url=s.base_url,
            secret=secret.encode(),
            daily_cap=s.daily_cap,
            max_attempts=s.max_attempts,
            retry_seconds=s.retry_seconds,
            timezone=s.timezone,
            send_window=s.window(),
            unsubscribe_mailto=s.unsubscribe_mailto,
            lease_seconds=s.lease_seconds,
            pause_after=s.mail_pause_after,
            bounce_domain=s.bounce_domain,
            alert_interval_minutes=s.alert_interval_minutes,
        )

    def webhook_rules(self) -> WebhookRules:
        s = self.settings
        return WebhookRules(
            self.mail().secret, s.webhook_allow_private, s.webhook_timeout_seconds,
            timedelta(hours=s.webhook_disable_after_hours),
        )  # fmt: skip

    def alert_rules(self) -> AlertRules:
        s = self.settings
        return AlertRules(s.alert_behind_days, timedelta(minutes=s.alert_interval_minutes))

    def bounce_rules(self) -> BounceRules:
        s = self.settings
        return BounceRules(self.mail().secret, s.soft_bounce_limit, s.soft_bounce_days)

    def mailboxes(self) -> Mailboxes:
        s = self.settings
        url = s.bounce_imap_url.get_secret_value() if s.bounce_imap_url else None
        return Mailboxes(s.bounce_maildir, ImapAddress.parse(url) if url else None)

    def ready_engine(self) -> Engine:
        """The engine, once the schema is known to be current."""
        try:
            migrate.require_current(self.engine)
        except migrate.SchemaNotCurrent as exc:
            raise ReminderError(str(exc)) from exc
        return self.engine

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
