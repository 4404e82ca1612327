"""Every CEU of a holder with one body, and its fate in the cycle an evaluation shows: it
counts, or why it does not. Pure: the personal status page reads it (web/status_page.py).

The evaluation says which CEUs count (Evaluation.counted); this says why the others do not, in
the order a coder would check: dated after today, completed before certification, after the
cycle shown (the next one's), before it began, or inside it but taken by the cycle before
(the renewal month's CEUs may go to either cycle, AAPC; late CEUs complete the ended cycle).
A course repeated under the same index number never gets this far: the import refuses it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from reminders.rules.facts import CeuFact, HolderFacts
from reminders.rules.results import Evaluation


@dataclass(frozen=True)
class CeuLine:
    ceu: CeuFact
    counts: bool
    why: str
    """Why it does not count; for one that counts, what it counts toward where minimums apply
    ("toward the minimum for auditing"), else nothing."""


def certified_on(facts: HolderFacts, evaluation: Evaluation) -> date:
    """The first day the holder held one of the evaluation's credentials (each of its codes is
    one of the facts' own, so there is always one)."""
    return min(c.earned_on for c in facts.credentials if c.code in evaluation.credentials)


def ledger(
    facts: HolderFacts,
    evaluation: Evaluation,
    as_of: date,
    words: Callable[[str], str] = str,
) -> list[CeuLine]:
    """The CEUs the body accepts (they name it), newest first. `words` names a category."""
    # Identical records share their fate: every rule that counts a CEU reads only what it says.
    counted = frozenset(evaluation.counted)
    certified = certified_on(facts, evaluation)
    categories = {m.category for m in evaluation.minimums}
    lines = []
    mine = [c for c in facts.ceus if evaluation.body in c.bodies]
    for ceu in _newest_first(mine):
        if ceu in counted:
            lines.append(CeuLine(ceu, True, _fills(ceu, categories, words)))
        else:
            lines.append(CeuLine(ceu, False, _why_not(ceu, evaluation, certified, as_of)))
    return lines


def _fills(ceu: CeuFact, categories: set[str], words: Callable[[str], str]) -> str:
    if not categories:
        return ""
    tagged = sorted(categories & ceu.categories)
    if tagged:
        return "toward the minimum for " + ", ".join(words(t) for t in tagged) + " too"
    return "toward the total, not toward a minimum (not tagged for one)"


def _why_not(ceu: CeuFact, e: Evaluation, certified: date, as_of: date) -> str:
    day = ceu.completed_on
    if day > as_of:
        return "dated after today: it counts from that day"
    if day < certified:
        return f"completed before you were certified on {_day(certified)}"
    if day > e.cycle_end:
        return f"completed after this cycle ended on {_day(e.cycle_end)}: it goes to the next"
    if day < e.cycle_start:
        return f"completed before this cycle began on {_day(e.cycle_start)}"
    previous = e.cycle_start - timedelta(days=1)
    return f"counted toward the cycle that ended on {_day(previous)}, which needed it"


def _day(value: date) -> str:
    return f"{value:%B} {value.day}, {value.year}"


def outside(facts: HolderFacts, evaluations: Sequence[Evaluation]) -> list[CeuFact]:
    """CEUs that name none of the bodies evaluated: no cycle of this holder can count them."""
    bodies = {e.body for e in evaluations}
    found = [c for c in facts.ceus if bodies.isdisjoint(c.bodies)]
    return _newest_first(found)


def _newest_first(ceus: list[CeuFact]) -> list[CeuFact]:
    """As the page lists them: newest first, and by title within a day."""
    return sorted(ceus, key=lambda c: (c.completed_on, c.title), reverse=True)
