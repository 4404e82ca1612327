"""Results: what an evaluation gives for each body. Pure.

Where a holder stands with a body: the cycle, the CEUs required and earned, the minimums, the
status and the reasons. Or a body that cannot be evaluated, and why.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from reminders.rules.facts import CeuFact, Submitted


@dataclass(frozen=True, slots=True)
class MinimumResult:
    id: str
    category: str
    required: int
    earned: int
    """CEUs (in cents) allocated to this minimum."""


@dataclass(frozen=True)
class Evaluation:
    """Where a holder stands with one body. Amounts are in cents of a CEU."""

    holder_id: str
    body: str
    credentials: tuple[str, ...]
    cycle_start: date
    cycle_end: date
    required: int
    earned: int
    remaining: int
    minimums: tuple[MinimumResult, ...]
    status: str
    days_left: int
    version: str
    deadline: date
    """The last day before the credential is revoked: the cycle's end plus the body's window."""
    required_stated: bool
    explanation: Sequence[str]
    renews_on: date | None = None
    """The membership's renewal date, where the body has annual dues."""
    submission_opens: date | None = None
    """The first day CEUs can be submitted for this cycle, where the body says."""
    owner: str = ""
    """HolderFacts.owner, for the notices' keys."""
    unrenewed: date | None = None
    """An annual membership's renewal date that has passed with no later one recorded: the
    status is overdue (until `deadline`, the cancellation) or lapsed for it, whatever the CEUs
    (rules.membership)."""
    submitted: Submitted | None = None
    """The holder's word that this cycle is submitted (HolderFacts.submitted), if they gave it."""
    counted: Sequence[CeuFact] = field(default=(), compare=False, repr=False)
    """The CEUs that count toward `earned` (the status page tells each CEU's fate: rules.ledger).
    Not compared: a scan may evaluate with one CEU per body standing for their sum
    (sums_suffice), and the evaluation is the same."""

    @property
    def pace_per_month(self) -> int | None:
        """Cents per month still needed to finish by the cycle's end, if it has not ended."""
        if self.remaining == 0 or self.days_left < 0:
            return None
        months = max(self.days_left, 1) / 30.4375
        return math.ceil(self.remaining / max(months, 1))


@dataclass(frozen=True)
class Problem:
    """A body the holder has credentials with that cannot be evaluated, and why."""

    holder_id: str
    body: str
    message: str
