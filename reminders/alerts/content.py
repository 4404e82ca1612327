"""What an alert says, as a pure function of the events it carries, each with its member's
line as it is now (the digest's Line): who, which body, what happened and when, and what it
takes to solve it. The most urgent first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from reminders.alerts.events import BEHIND, KINDS, LAPSED, OVERDUE
from reminders.digests.content import Line, ceus
from reminders.words import day, when

_RANK = {kind: rank for rank, kind in enumerate(KINDS)}


@dataclass(frozen=True, slots=True)
class Told:
    """One event as the alert tells it."""

    line: Line
    kind: str
    happened_on: date
    reasons: tuple[str, ...]

    @property
    def urgency(self) -> tuple[int, int, str, str]:
        return (_RANK[self.kind], self.line.days_left, self.line.name, self.line.body)


@dataclass(frozen=True)
class Alert:
    scope: str
    as_of: date
    items: tuple[Told, ...]

    @property
    def counts(self) -> tuple[tuple[str, int], ...]:
        """How many of each kind, most urgent first; kinds with none left out."""
        counted = Counter(item.kind for item in self.items)
        return tuple((kind, counted[kind]) for kind in KINDS if counted[kind])

    @property
    def members(self) -> int:
        return len({item.line.holder_id for item in self.items})


def _short(line: Line) -> str:
    return f"{ceus(line.remaining)} of {ceus(line.required)} CEUs still to earn"


def reasons(line: Line, kind: str, happened_on: date) -> tuple[str, ...]:
    """What happened and when, then what it takes and by when."""
    said: list[str] = []
    if kind == LAPSED:
        said.append(f"lapsed: revoked since {day(happened_on)}")
    elif kind == OVERDUE:
        said.append(f"overdue since {day(happened_on)}")
    else:
        said.append(f"behind pace as of {day(happened_on)}")
    if line.unrenewed is not None and kind in (OVERDUE, LAPSED):
        said.append(f"membership not renewed since {day(line.unrenewed)}")
    elif line.remaining:
        said.append(_short(line))
    if line.unmet:
        said.append(f"minimums short: {', '.join(line.unmet)}")
    if kind == OVERDUE and line.deadline is not None:
        unless = "renewed" if line.unrenewed else "completed"
        said.append(f"revoked after {day(line.deadline)} unless {unless}")
    elif kind == BEHIND:
        said.append(f"due {day(line.cycle_end)} ({when(line.days_left)})")
    if line.self_reported is not None:
        said.append(f"self-reported as submitted on {day(line.self_reported)}, not yet confirmed")
    if line.bouncing is not None:
        said.append(f"address bouncing since {day(line.bouncing)}: reminders do not reach them")
    return tuple(said)


def told(line: Line, kind: str, happened_on: date) -> Told:
    return Told(line, kind, happened_on, reasons(line, kind, happened_on))


def build_alert(scope: str, as_of: date, items: Iterable[Told]) -> Alert:
    return Alert(scope, as_of, tuple(sorted(items, key=lambda item: item.urgency)))
