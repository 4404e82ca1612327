"""Which notices are due: a pure function of the evaluations, the ladder, the day and what was
already planned.

Kinds: `deadline` (rungs before the due date), `shortfall` (behind pace, at most once per
interval), `complete` (once per cycle), `overdue` (rungs after the due date, until revocation),
`lapsed` (once), `dues` (before an annual membership renewal). A notice's key names the holder,
the body, the cycle's end (the renewal date for dues), the kind and the rung; the same notice
always has the same key. After a gap only the most urgent rung that still applies is due; the
earlier unsent rungs are returned as skipped, to be recorded and never sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from reminders.notices.ladder import BodyLadder, Ladder
from reminders.rules.results import Evaluation

KINDS = ("deadline", "shortfall", "overdue", "lapsed", "complete", "dues")
# The order notices appear in a message, most pressing first.
URGENCY = {"lapsed": 0, "overdue": 1, "deadline": 2, "shortfall": 3, "dues": 4, "complete": 5}
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Notice:
    holder_id: str
    body: str
    kind: str
    rung: str
    """Days before or after the due date, or what the notice is once in: 'cycle', 'lapse', a day."""
    cycle_end: date
    due_on: date
    expires_on: date
    """The first day it may no longer go out: the next rung's, or when it stops being true."""
    owner: str = ""
    """HolderFacts.owner: keeps the keys of two organisations' holders of one id apart."""

    @property
    def key(self) -> str:
        return notice_key(
            self.holder_id, self.body, self.cycle_end, self.kind, self.rung, self.owner
        )


def notice_key(holder_id: str, body: str, cycle_end: date, kind: str, rung: str, owner: str) -> str:
    """`h-001|AAPC|2027-01-31|deadline|90`; for a holder an organisation owns, prefixed with
    it (`org3:h-001|…`: a holder_id never holds ':' or '|')."""
    holder = f"{owner}:{holder_id}" if owner else holder_id
    return f"{holder}|{body}|{cycle_end.isoformat()}|{kind}|{rung}"


@dataclass(frozen=True, slots=True)
class Known:
    """A notice planned before (queued, sent, skipped, expired…): its key, and the last day
    something happened to it (planned, sent)."""

    key: str
    on: date


@dataclass
class Plan:
    due: list[Notice] = field(default_factory=list)
    skipped: list[Notice] = field(default_factory=list)


def plan(
    evaluations: Iterable[Evaluation],
    ladder: Ladder,
    as_of: date,
    known: Mapping[str, Known],
    kinds: frozenset[str] | None = None,
) -> Plan:
    """The notices due on `as_of` for one holder's evaluations, given the keys already known;
    `ladder` and `kinds` as the holder's preference has them (notices/preferences.py)."""
    result = Plan()
    for evaluation in evaluations:
        rungs = ladder.bodies.get(evaluation.body)
        if rungs is None:
            continue
        # Each status has its own kinds (a scan plans a million evaluations: only the kinds
        # that can apply are worked out).
        status = evaluation.status
        if status == "lapsed":
            _lapsed(evaluation, ladder, as_of, known, result)
        elif status == "complete":
            _complete(evaluation, as_of, known, result)
        elif paused(evaluation, as_of):
            continue  # the holder says it is submitted: the reminders wait (PAUSED)
        elif status == "overdue":
            _overdue(evaluation, rungs, as_of, known, result)
        else:
            _deadline(evaluation, rungs, as_of, known, result)
        _dues(evaluation, rungs, as_of, known, result)
        if status == "behind" and not any(
            n.kind == "deadline" and n.body == evaluation.body for n in result.due
        ):
            result.due.extend(_shortfall(evaluation, ladder, as_of, known))
    if kinds is not None:
        result.due = [notice for notice in result.due if notice.kind in kinds]
        result.skipped = [notice for notice in result.skipped if notice.kind in kinds]
    if len(result.due) > 1:
        result.due.sort(key=lambda n: (URGENCY[n.kind], n.body))
    return result


PAUSED = frozenset({"deadline", "shortfall", "overdue", "dues"})
"""What a holder's word that the cycle is submitted pauses; the notice of lapse and the one of
a complete cycle go out whatever they said."""


def paused(evaluation: Evaluation, as_of: date) -> bool:
    """Does the holder's self-report hold the reminders of this cycle back on `as_of`?"""
    said = evaluation.submitted
    return said is not None and as_of < said.pause_until


def _ladder(
    evaluation: Evaluation,
    kind: str,
    anchor: date,
    rungs: Sequence[tuple[int, date]],
    last_expiry: date,
    as_of: date,
    known: Mapping[str, Known],
    result: Plan,
) -> None:
    """Rungs as (days, due day), least urgent first: the most urgent one due, unless it or a more
    urgent one is known already; the earlier unknown ones skipped. Added to `result`."""
    reached = [(days, due) for days, due in rungs if due <= as_of]
    if not reached:
        return
    notices = []
    for position, (days, due) in enumerate(rungs):
        expires = rungs[position + 1][1] if position + 1 < len(rungs) else last_expiry
        notices.append(
            Notice(
                evaluation.holder_id,
                evaluation.body,
                kind,
                str(days),
                anchor,
                due,
                expires,
                evaluation.owner,
            )
        )
    current = notices[len(reached) - 1]
    if as_of >= current.expires_on:
        return
    if any(n.key in known for n in notices[len(reached) - 1 :]):
        return
    result.due.append(current)
    result.skipped.extend(n for n in notices[: len(reached) - 1] if n.key not in known)


def _deadline(
    evaluation: Evaluation,
    rungs: BodyLadder,
    as_of: date,
    known: Mapping[str, Known],
    result: Plan,
) -> None:
    """Before the due date (the evaluation is on track or behind)."""
    end = evaluation.cycle_end
    if not rungs.before or end - timedelta(days=rungs.before[0]) > as_of:
        return  # not even the first rung reached (the usual case)
    steps = [(days, end - timedelta(days=days)) for days in rungs.before]
    _ladder(evaluation, "deadline", end, steps, end + ONE_DAY, as_of, known, result)


def _overdue(
    evaluation: Evaluation,
    rungs: BodyLadder,
    as_of: date,
    known: Mapping[str, Known],
    result: Plan,
) -> None:
    """After the due date, until revocation (the evaluation is overdue). The due date is the
    membership's renewal when that is what was missed (Evaluation.unrenewed)."""
    end = missed_on(evaluation)
    steps = [(days, end + timedelta(days=days)) for days in reversed(rungs.after)]
    steps = [(days, due) for days, due in steps if due <= evaluation.deadline]
    last = evaluation.deadline + ONE_DAY
    _ladder(evaluation, "overdue", end, steps, last, as_of, known, result)


def missed_on(evaluation: Evaluation) -> date:
    """The date an overdue or lapsed evaluation missed: the unrenewed membership's, else the
    cycle's end. The key's date: one missed renewal is one set of notices."""
    return evaluation.unrenewed or evaluation.cycle_end


def _once(
    evaluation: Evaluation,
    kind: str,
    rung: str,
    due: date,
    expires: date,
    anchor: date | None = None,
) -> Notice:
    return Notice(
        evaluation.holder_id,
        evaluation.body,
        kind,
        rung,
        anchor or evaluation.cycle_end,
        due,
        expires,
        evaluation.owner,
    )


def _lapsed(
    evaluation: Evaluation, ladder: Ladder, as_of: date, known: Mapping[str, Known], result: Plan
) -> None:
    """Once, when the window after the deadline has closed (the evaluation is lapsed)."""
    due = evaluation.deadline + ONE_DAY
    expires = due + timedelta(ladder.lapsed_valid_days)
    notice = _once(evaluation, "lapsed", "lapse", due, expires, missed_on(evaluation))
    if notice.key not in known and as_of < notice.expires_on:
        result.due.append(notice)


def _complete(
    evaluation: Evaluation, as_of: date, known: Mapping[str, Known], result: Plan
) -> None:
    """Once a cycle, while it runs (the evaluation is complete)."""
    if as_of > evaluation.cycle_end:
        return
    notice = _once(evaluation, "complete", "cycle", as_of, evaluation.cycle_end + ONE_DAY)
    if notice.key not in known:
        result.due.append(notice)


def _dues(
    evaluation: Evaluation,
    rungs: BodyLadder,
    as_of: date,
    known: Mapping[str, Known],
    result: Plan,
) -> None:
    renews = evaluation.renews_on
    if renews is None or not rungs.dues_before or renews < as_of:
        return
    if renews - timedelta(days=rungs.dues_before[0]) > as_of:
        return  # not even the first rung reached (the usual case)
    steps = [(days, renews - timedelta(days=days)) for days in rungs.dues_before]
    _ladder(evaluation, "dues", renews, steps, renews + ONE_DAY, as_of, known, result)


def _shortfall(
    evaluation: Evaluation, ladder: Ladder, as_of: date, known: Mapping[str, Known]
) -> list[Notice]:
    if evaluation.status != "behind":
        return []
    interval = timedelta(days=ladder.shortfall_interval_days)
    # A deadline notice carries the same figures, so it counts as the interval's shortfall.
    prefixes = tuple(
        notice_key(
            evaluation.holder_id, evaluation.body, evaluation.cycle_end, kind, "", evaluation.owner
        )
        for kind in ("shortfall", "deadline")
    )
    if any(k.startswith(prefixes) and as_of - n.on < interval for k, n in known.items()):
        return []
    expires = min(as_of + interval, evaluation.cycle_end + ONE_DAY)
    return [_once(evaluation, "shortfall", as_of.isoformat(), as_of, expires)]
