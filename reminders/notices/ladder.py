"""The reminder ladder (`config/notices.yaml`), validated at load like the rule files."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reminders.rules.loader import load_yaml


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BodyLadder(_Strict):
    before: tuple[int, ...] = Field(description="days before the due date")
    after: tuple[int, ...] = Field(description="days after the due date, until revocation")
    dues_before: tuple[int, ...] = ()
    ceu_page: str = Field(pattern=r"^https?://")
    sources: tuple[str, ...] = ()

    @field_validator("before", "after", "dues_before")
    @classmethod
    def _positive_distinct(cls, days: tuple[int, ...]) -> tuple[int, ...]:
        if any(day <= 0 for day in days) or len(set(days)) != len(days):
            raise ValueError("expected distinct numbers of days, each at least 1")
        return tuple(sorted(days, reverse=True))


class Ladder(_Strict):
    shortfall_interval_days: int = Field(gt=0)
    lapsed_valid_days: int = Field(gt=0)
    bodies: dict[str, BodyLadder]


def load_ladder(path: Path) -> Ladder:
    return load_yaml(path, Ladder)
