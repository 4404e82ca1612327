"""The composition root: builds the adapters from the settings. The only place that reads the
clock; everything below it is handed the time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from reminders.db import migrate
from reminders.db.engine import make_engine
from reminders.errors import BadInput, ReminderError
from reminders.resources import bodies_dir
from reminders.rules.loader import Rulebook, RulebookError, load_rulebook
from reminders.settings import Settings


class App:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        """Today in the service's time zone (REMINDERS_TIMEZONE)."""
        return self.now().astimezone(ZoneInfo(self.settings.timezone)).date()

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def rulebook(self) -> Rulebook:
        try:
            return load_rulebook(self.settings.bodies_dir or bodies_dir())
        except RulebookError as exc:
            raise BadInput(str(exc)) from exc

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
