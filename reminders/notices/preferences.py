"""How much mail a coder asked for, applied to the ladder. Pure.

all     every rung of config/notices.yaml
fewer   the first and the final rung before a due date and after it, a shortfall notice at most
        every three intervals instead of every one; complete, lapsed and dues as usual
final   only the final rung before a due date and the final one after it (and dues' final
        rung): final notices can be slowed down to one, never silenced
"""

from __future__ import annotations

from reminders.notices.ladder import BodyLadder, Ladder

LEVELS = ("all", "fewer", "final")
DEFAULT = "all"
_KINDS = {
    "all": frozenset({"deadline", "shortfall", "overdue", "lapsed", "complete", "dues"}),
    "fewer": frozenset({"deadline", "shortfall", "overdue", "lapsed", "complete", "dues"}),
    "final": frozenset({"deadline", "overdue", "dues"}),
}
FEWER_SHORTFALL_FACTOR = 3

CHOICES = {
    "all": ("Every reminder", "Each step before and after a due date, and progress notes."),
    "fewer": (
        "Fewer reminders",
        (
            "The first and the last reminder before a due date and after it; progress notes"
            " at most once a quarter."
        ),
    ),
    "final": (
        "Only the final notices",
        (
            "The last reminder before a due date and the last one after it. These cannot be"
            " turned off: missing them can cost you your credential."
        ),
    ),
}
"""Each level as the preferences page offers it: a label and what it means."""

IN_MAIL = {
    "all": "You get every reminder. Get fewer or stop them",
    "fewer": "You chose fewer reminders: the first and the last before and after a due date."
    " Change this or stop them",
    "final": "You chose only the final notices. Change this or stop them",
}
"""What a mail's footer says of the coder's choice, before the link to change it."""


def _ends(days: tuple[int, ...]) -> tuple[int, ...]:
    """The first and the final rung (days sorted from the farthest to the nearest)."""
    return tuple(sorted({days[0], days[-1]}, reverse=True)) if days else days


def _final_before(days: tuple[int, ...]) -> tuple[int, ...]:
    return days[-1:]  # the nearest to the due date


def _final_after(days: tuple[int, ...]) -> tuple[int, ...]:
    return days[:1]  # the farthest after it: the last warning before revocation


def ladder_for(ladder: Ladder, level: str) -> Ladder:
    """The ladder a coder at this level gets."""
    if level == "all":
        return ladder
    if level not in LEVELS:
        raise ValueError(f"unknown preference {level!r}")
    bodies = {}
    for name, body in ladder.bodies.items():
        if level == "fewer":
            before, after, dues = _ends(body.before), _ends(body.after), body.dues_before
        else:
            before = _final_before(body.before)
            after = _final_after(body.after)
            dues = _final_before(body.dues_before)
        bodies[name] = BodyLadder(
            before=before, after=after, dues_before=dues, ceu_page=body.ceu_page,
            sources=body.sources,
        )  # fmt: skip
    factor = FEWER_SHORTFALL_FACTOR if level == "fewer" else 1
    return Ladder(
        shortfall_interval_days=ladder.shortfall_interval_days * factor,
        lapsed_valid_days=ladder.lapsed_valid_days,
        bodies=bodies,
    )


def kinds_for(level: str) -> frozenset[str]:
    return _KINDS[level]


def wanted(kind: str, rung: str, body: str, ladder: Ladder, level: str) -> bool:
    """Does a coder at this level still want a notice planned before they chose it?"""
    if kind not in _KINDS[level]:
        return False
    steps = ladder.bodies.get(body)
    if steps is None or kind not in ("deadline", "overdue", "dues"):
        return True
    chosen = {"deadline": steps.before, "overdue": steps.after, "dues": steps.dues_before}[kind]
    return rung.isdigit() and int(rung) in chosen


class Ladders:
    """The ladder of each level, derived once."""

    def __init__(self, ladder: Ladder) -> None:
        self.base = ladder
        self._by_level = {level: ladder_for(ladder, level) for level in LEVELS}

    def __getitem__(self, level: str) -> Ladder:
        return self._by_level.get(level, self.base)
