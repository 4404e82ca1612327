"""What the personal status page shows of one holder, as a pure function of their facts, the
rules, the ladder they chose and the day: each body's cycle and figures, every CEU and its
fate (rules/ledger.py), the minimums, the pace, and the notices still to come."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

from reminders.notices.content import pace_words
from reminders.notices.ladder import Ladder
from reminders.notices.upcoming import Upcoming, behind_words, upcoming
from reminders.rules.evaluate import evaluate
from reminders.rules.facts import CeuFact, HolderFacts
from reminders.rules.ledger import CeuLine, ledger, outside
from reminders.rules.loader import Rulebook
from reminders.rules.results import Evaluation
from reminders.words import day

LABELS = {
    "lapsed": "Lapsed",
    "overdue": "Overdue",
    "behind": "Behind pace",
    "on_track": "On track",
    "complete": "Complete",
}
SAID = {
    "lapsed": "The window after the deadline has closed: {body} has revoked the credential.",
    "overdue": "The deadline has passed; {body} revokes the credential after {deadline}.",
    "behind": "At this pace the CEUs will not all be in by the due date.",
    "on_track": "At this pace the CEUs will all be in by the due date.",
    "complete": "Every CEU this cycle needs is in.",
}


@dataclass(frozen=True)
class Minimum:
    words: str
    required: int
    earned: int

    @property
    def needed(self) -> int:
        return max(self.required - self.earned, 0)


@dataclass(frozen=True)
class BodyView:
    e: Evaluation
    label: str
    said: str
    pace: str | None
    """CEUs a month still needed to finish on time, in words."""
    minimums: tuple[Minimum, ...]
    ceus: tuple[CeuLine, ...]
    upcoming: tuple[Upcoming, ...]
    behind: str | None
    unrenewed: str | None


@dataclass(frozen=True)
class HolderView:
    name: str
    holder_id: str
    bodies: tuple[BodyView, ...]
    problems: tuple[str, ...]
    """Bodies that cannot be evaluated, and why (missing data the employer can add)."""
    outside: tuple[CeuFact, ...]
    """CEUs that name none of the holder's bodies."""


def holder_view(
    name: str,
    facts: HolderFacts,
    rulebook: Rulebook,
    ladder: Ladder,
    as_of: date,
    third_person: bool = False,
) -> HolderView:
    """`third_person`: for a page that speaks of the coder to someone else (the team
    dashboard) rather than to the coder."""
    evaluations, problems = evaluate(facts, rulebook, as_of)
    bodies = tuple(_body(e, facts, rulebook, ladder, as_of, third_person) for e in evaluations)
    return HolderView(
        name,
        facts.holder_id,
        bodies,
        tuple(f"{p.body}: {p.message}" for p in problems),
        tuple(outside(facts, evaluations)),
    )


def _body(
    e: Evaluation,
    facts: HolderFacts,
    rulebook: Rulebook,
    ladder: Ladder,
    as_of: date,
    third_person: bool,
) -> BodyView:
    words = functools.partial(rulebook.category_words, e.body)
    pace = None
    if e.status in ("on_track", "behind") and e.pace_per_month is not None:
        pace = f"about {pace_words(e.pace_per_month)} CEUs a month"
    unrenewed = None
    if e.unrenewed is not None:
        unrenewed = (
            f"{'Their' if third_person else 'Your'} {e.body} membership was due for renewal on {day(e.unrenewed)} and no later "
            "renewal is recorded."
        )
    return BodyView(
        e=e,
        label=LABELS[e.status],
        said=SAID[e.status].format(body=e.body, deadline=day(e.deadline)),
        pace=pace,
        minimums=tuple(Minimum(words(m.category), m.required, m.earned) for m in e.minimums),
        ceus=tuple(ledger(facts, e, as_of, words)),
        upcoming=tuple(upcoming(e, ladder, as_of, "their" if third_person else "your")),
        behind=behind_words(e, ladder, "they are" if third_person else "you are"),
        unrenewed=unrenewed,
    )
