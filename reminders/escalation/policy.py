"""Which notices a team lead gets a copy of, by the organisation's choice. Pure.

off      none
final    the final rung before a due date (the one a coder's "final notices" keep), and every
         overdue and lapse notice
overdue  every overdue and lapse notice
"""

from __future__ import annotations

from reminders.notices.ladder import Ladder

POLICIES = ("off", "final", "overdue")
AFTER_THE_DEADLINE = frozenset({"overdue", "lapsed"})

WORDS = {
    "final": "the final reminder before a due date and every notice after it",
    "overdue": "every notice after a missed due date",
}
"""What a lead's copy and the coder's note say the organisation asked for."""


def escalated(policy: str, kind: str, rung: str, body: str, ladder: Ladder) -> bool:
    if policy == "off":
        return False
    if kind in AFTER_THE_DEADLINE:
        return True
    if policy != "final" or kind != "deadline":
        return False
    steps = ladder.bodies.get(body)
    return steps is not None and bool(steps.before) and rung == str(min(steps.before))
