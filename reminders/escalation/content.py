"""What a team lead's copy says, and what the coder's own notice says of it: pure functions of
the coder's lines now and the notices copied.

A lead is not the coder: the copy speaks of them in the third person, with the facts that let a
lead act (what is due or missed, by when, how much is left, the date of revocation), and says
why the lead receives it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reminders.alerts.content import reasons
from reminders.alerts.events import began_on
from reminders.digests.content import Line, ceus
from reminders.escalation.policy import WORDS
from reminders.words import day, when

_ORDER = {"lapsed": 0, "overdue": 1, "deadline": 2}


@dataclass(frozen=True, slots=True)
class Copied:
    """One notice as the lead reads it."""

    line: Line
    kind: str
    headline: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class LeadCopyView:
    holder: str
    holder_id: str
    org: str
    team: str
    why: str
    """What the organisation asked for: the lead's reason to receive this."""
    items: tuple[Copied, ...]


def copied(line: Line, kind: str) -> Copied:
    if kind == "deadline":
        said = [f"{ceus(line.remaining)} of {ceus(line.required)} CEUs still to earn"]
        if line.unmet:
            said.append(f"minimums short: {', '.join(line.unmet)}")
        if line.self_reported is not None:
            said.append(
                f"self-reported as submitted on {day(line.self_reported)}, not yet confirmed"
            )
        return Copied(line, kind, f"CEUs due {day(line.cycle_end)} ({when(line.days_left)})",
                      tuple(said))  # fmt: skip
    # Overdue or lapsed here: when they began comes from the line; no "as of" day is needed.
    told = reasons(line, kind, began_on(kind, line, as_of=line.cycle_end))
    return Copied(line, kind, told[0], told[1:])


def lead_copy(
    holder: str, holder_id: str, org: str, team: str, policy: str, lines: Iterable[Copied]
) -> LeadCopyView:
    items = tuple(sorted(lines, key=lambda c: (_ORDER.get(c.kind, 3), c.line.body)))
    return LeadCopyView(holder, holder_id, org, team, WORDS[policy], items)


def coder_note(leads: Sequence[tuple[str | None, str, str]]) -> str | None:
    """What the coder's own notice says of the copies: (name, organisation, choice) of each
    lead told; None if none is."""
    if not leads:
        return None
    names = [name for name, _, _ in leads if name]
    orgs = sorted({org for _, org, _ in leads})
    who = (
        f"Your team lead{'s' if len(leads) > 1 else ''}"
        + (f" ({', '.join(names)})" if names else "")
        + (" get a copy" if len(leads) > 1 else " gets a copy")
    )
    verb = "asks" if len(orgs) == 1 else "ask"
    asked = f"{' and '.join(orgs)} {verb} that team leads are told of {WORDS[leads[0][2]]}"
    return f"{who} of this reminder: {asked}."
