"""What an employer is alerted to, as a pure function of a member's evaluations: a cycle that
turned behind within some days of its deadline, one that turned overdue, a credential that
lapsed. Each is an event keyed by its body, cycle and kind, so it is told once however often a
scan sees it; and each can be checked again on fresh data before the alert goes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from reminders.notices.planning import missed_on
from reminders.rules.evaluate import Evaluation

LAPSED, OVERDUE, BEHIND = "lapsed", "overdue", "behind"
KINDS = (LAPSED, OVERDUE, BEHIND)
"""Most urgent first: a lapsed credential cannot be coded under at all."""


@dataclass(frozen=True, slots=True)
class Event:
    body: str
    cycle: date
    """The cycle's end, or for overdue and lapsed the date that was missed (an unrenewed
    membership's renewal date): the key's date, as for the notices (planning.missed_on)."""
    kind: str
    happened_on: date
    """Overdue since, revoked since; for behind, the day it was seen."""


def events_of(evaluations: Iterable[Evaluation], as_of: date, behind_days: int) -> list[Event]:
    """The events a member's evaluations show on `as_of`. Behind counts only within
    `behind_days` of the deadline: earlier, the digest and the coder's own reminders serve."""
    found = []
    for e in evaluations:
        if e.status == LAPSED:
            found.append(Event(e.body, missed_on(e), LAPSED, e.deadline + timedelta(days=1)))
        elif e.status == OVERDUE:
            found.append(Event(e.body, missed_on(e), OVERDUE, missed_on(e) + timedelta(days=1)))
        elif e.status == BEHIND and e.days_left <= behind_days:
            found.append(Event(e.body, e.cycle_end, BEHIND, as_of))
    return found


class Seen(Protocol):
    """A member's cycle as seen now: an Evaluation, or a digest's Line."""

    @property
    def status(self) -> str: ...
    @property
    def cycle_end(self) -> date: ...
    @property
    def unrenewed(self) -> date | None: ...


def still_true(kind: str, cycle: date, seen: Seen | None) -> bool:
    """Does the event hold on fresh data? A CEU or a renewal recorded since may have solved it,
    or it may have turned into a worse one (told as an event of its own)."""
    if seen is None or seen.status != kind:
        return False
    missed = seen.unrenewed or seen.cycle_end  # planning.missed_on, for a Line too
    return (seen.cycle_end if kind == BEHIND else missed) == cycle
