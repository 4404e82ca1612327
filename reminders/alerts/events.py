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

from reminders.rules.results import Evaluation

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


class Seen(Protocol):
    """A member's cycle as seen now: an Evaluation, or a digest's Line."""

    @property
    def status(self) -> str: ...
    @property
    def cycle_end(self) -> date: ...
    @property
    def unrenewed(self) -> date | None: ...
    @property
    def deadline(self) -> date | None: ...


def _missed(seen: Seen) -> date:
    """planning.missed_on, for a Line too: the unrenewed membership's date, else the cycle's end."""
    return seen.unrenewed or seen.cycle_end


def began_on(kind: str, seen: Seen, as_of: date) -> date:
    """When an event began: a lapse the day after the deadline, overdue the day after the date
    missed; behind has no such day, so the day it is seen."""
    if kind == LAPSED and seen.deadline is not None:
        return seen.deadline + timedelta(days=1)
    if kind in (LAPSED, OVERDUE):
        return _missed(seen) + timedelta(days=1)
    return as_of


def events_of(evaluations: Iterable[Evaluation], as_of: date, behind_days: int) -> list[Event]:
    """The events a member's evaluations show on `as_of`. Behind counts only within
    `behind_days` of the deadline: earlier, the digest and the coder's own reminders serve."""
    found = []
    for e in evaluations:
        if e.status in (LAPSED, OVERDUE):
            found.append(Event(e.body, _missed(e), e.status, began_on(e.status, e, as_of)))
        elif e.status == BEHIND and e.days_left <= behind_days:
            found.append(Event(e.body, e.cycle_end, BEHIND, as_of))
    return found


def still_true(kind: str, cycle: date, seen: Seen | None) -> bool:
    """Does the event hold on fresh data? A CEU or a renewal recorded since may have solved it,
    or it may have turned into a worse one (told as an event of its own)."""
    if seen is None or seen.status != kind:
        return False
    return (seen.cycle_end if kind == BEHIND else _missed(seen)) == cycle
