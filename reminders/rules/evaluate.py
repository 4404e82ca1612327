"""Evaluation: where a holder stands with each certifying body as of a day. Pure.

For each body the holder has credentials with, this finds the cycle in force, its requirement
and minimums under the rule version that governs it, the CEUs that count, their best allocation
to the minimums, and the status; or, when the previous cycle ended unmet and the body's window
after the deadline is open (or closed during the current cycle), that previous cycle. Every
figure comes with a reason naming the rule and its sources.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import overload

from reminders.rules.allocation import allocate
from reminders.rules.cycles import (
    AnchoredSchedule,
    MembershipSchedule,
    Schedule,
    Window,
    add_months,
    cycle_before,
)
from reminders.rules.facts import (
    CeuFact,
    CredentialFact,
    HolderFacts,
    MembershipFact,
    Submitted,
)
from reminders.rules.loader import MissingHistory, Rulebook
from reminders.rules.membership import Unrenewed, unrenewed
from reminders.rules.membership import reason as unrenewed_reason
from reminders.rules.model import (
    SPECIALTY_PREFIX,
    BodyFile,
    ByCount,
    Minimum,
    PerCredential,
    Version,
)
from reminders.rules.pace import Pace

CENTS = 100

Reason = str | Callable[[], str]
"""A reason as text, or a function that writes it (most reasons are never read)."""


class Explanation(Sequence[str]):
    """The reasons behind an evaluation, written out the first time they are read.

    A scan that only plans notices never reads them, and writing them all (dates, citations)
    took a third of the evaluation's time.
    """

    __slots__ = ("_parts", "_text")
    _text: tuple[str, ...]  # set by the first _written(), while _parts is still there

    def __init__(self, parts: Iterable[Reason]) -> None:
        self._parts: tuple[Reason, ...] | None = tuple(parts)

    def _written(self) -> tuple[str, ...]:
        if self._parts is not None:
            self._text = tuple(p if isinstance(p, str) else p() for p in self._parts)
            self._parts = None
        return self._text

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...
    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        return self._written()[index]

    def __len__(self) -> int:
        return len(self._written())

    def __iter__(self) -> Iterator[str]:
        return iter(self._written())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Explanation):
            return self._written() == other._written()
        return isinstance(other, tuple) and self._written() == other

    def __hash__(self) -> int:
        return hash(self._written())

    def __repr__(self) -> str:
        return repr(self._written())


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


@dataclass
class _Assessment:
    window: Window
    version: Version
    held: tuple[CredentialFact, ...]
    required: int
    required_stated: bool
    earned: int
    remaining: int
    minimums: tuple[MinimumResult, ...]
    counted: Sequence[CeuFact]
    reasons: list[Reason] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.remaining == 0


def ceus(cents: int) -> str:
    """Cents of a CEU as a person writes the number: 40, 22.5, 0.25."""
    whole, part = divmod(cents, CENTS)
    return str(whole) if not part else f"{whole}.{part:02d}".rstrip("0")


def _cite(rule_id: str, sources: Iterable[str]) -> str:
    return f"[{rule_id}; {', '.join(sources)}]"


def ceu_days(rulebook: Rulebook, as_of: date) -> tuple[date, date]:
    """The first and last completion day of any CEU an evaluation as of `as_of` can count.

    The oldest cycle looked at is the one before the current one: two cycles of the longest
    length back, plus a day of slack for month ends. Nothing completed after `as_of` counts.
    """
    years = max(body.cycle.years for body in rulebook.bodies.values())
    return as_of - timedelta(days=366 * 2 * years + 1), as_of


def evaluate(
    facts: HolderFacts, rulebook: Rulebook, as_of: date
) -> tuple[list[Evaluation], list[Problem]]:
    """Every body the holder holds a credential with on `as_of`, in body order."""
    by_body = _by_body(facts, rulebook, as_of)
    evaluations, problems = [], []
    for code in sorted(by_body):
        rules = rulebook.bodies[code]
        membership = facts.memberships.get(code, NO_MEMBERSHIP)
        held = _distinct(rules, by_body[code])
        result = _evaluate_body(facts, rules, held, membership, as_of, rulebook)
        if isinstance(result, str):
            problems.append(Problem(facts.holder_id, code, result))
        else:
            evaluations.append(result)
    return evaluations, problems


NO_MEMBERSHIP = MembershipFact()


def _by_body(
    facts: HolderFacts, rulebook: Rulebook, as_of: date
) -> dict[str, list[CredentialFact]]:
    """The credentials held on `as_of`, by the body they belong to (unknown codes left out)."""
    index = rulebook.credential_bodies
    by_body: dict[str, list[CredentialFact]] = {}
    for credential in facts.credentials:
        owner = index.get(credential.code)
        if owner is not None and credential.earned_on <= as_of:
            by_body.setdefault(owner, []).append(credential)
    return by_body


def _distinct(body: BodyFile, credentials: Iterable[CredentialFact]) -> tuple[CredentialFact, ...]:
    """Each credential once, earliest first earned. An apprentice credential counts as its full
    credential (a CPC-A is a CPC) but keeps its own code until the full one is held."""
    earliest: dict[str, CredentialFact] = {}
    for credential in sorted(credentials, key=lambda c: c.earned_on):
        full = _rule_code(body, credential.code)
        if full not in earliest:
            earliest[full] = credential
        elif full == credential.code:  # the full credential after the apprentice one
            earliest[full] = CredentialFact(full, earliest[full].earned_on)
    return tuple(earliest[code] for code in sorted(earliest))


def _rule_code(body: BodyFile, code: str) -> str:
    spec = body.credential(code)
    return spec.apprentice_of if spec and spec.apprentice_of else code


def _schedule(
    body: BodyFile, held: Sequence[CredentialFact], membership: MembershipFact
) -> tuple[Schedule, Callable[[], str]] | str:
    cycle = body.cycle
    if membership.cycle_ends_on is not None:
        end = membership.cycle_ends_on

        def stated() -> str:
            cite = _cite(cycle.id, cycle.sources)
            return f"the cycle ends on {end}, as {body.body} states it {cite}"

        # Whatever the anchor, a stated end fixes the cycles: each starts the day after one ends
        # (on 1 March after 28 February, so 29 February ends a cycle only in leap years).
        return AnchoredSchedule(end + timedelta(days=1), cycle.years), stated
    if cycle.anchor == "exam":
        first = min(held, key=lambda c: c.earned_on)

        def anchored() -> str:
            return (
                f"cycles run {cycle.years} years from the day {first.code} was earned, "
                f"{first.earned_on} {_cite(cycle.id, cycle.sources)}"
            )

        return AnchoredSchedule(first.earned_on, cycle.years), anchored
    if membership.renews_on is None:
        return (
            f"no membership date: add renews_on (or cycle_ends_on) for {body.body} "
            "to memberships.csv"
        )
    renews = membership.renews_on
    phase = renews.month % cycle.years if cycle.parity == "membership-month" else renews.year
    day = _day(renews)

    def membership_month() -> str:
        kind = "odd" if renews.month % 2 else "even"
        when = f"the end of {renews:%B}" if day == MONTH_END else f"{renews:%B} {renews.day}"
        return (
            f"CEUs are due on the membership date ({when}) in {kind} years, "
            f"as the membership month is {kind} {_cite(cycle.id, cycle.sources)}"
        )

    return MembershipSchedule(renews.month, day, cycle.years, phase % cycle.years), membership_month


MONTH_END = 31


def _day(anchor: date) -> int:
    """A date that ends its month stands for the month's end in every year (28 or 29 February)."""
    return MONTH_END if (anchor + timedelta(days=1)).day == 1 else anchor.day


def _evaluate_body(
    facts: HolderFacts,
    body: BodyFile,
    held: tuple[CredentialFact, ...],
    membership: MembershipFact,
    as_of: date,
    rulebook: Rulebook,
) -> Evaluation | str:
    found = _schedule(body, held, membership)
    if isinstance(found, str):
        return found
    schedule, cycle_reason = found
    certified = min(c.earned_on for c in held)
    code = body.body
    accepted = tuple(c for c in facts.ceus if code in c.bodies and c.completed_on <= as_of)
    current = schedule.cycle_containing(as_of)
    previous = cycle_before(schedule, current)
    consumed: frozenset[CeuFact] = frozenset()
    moved: list[CeuFact] = []
    missing = rulebook.missing_history
    due = unrenewed(body, membership, as_of, missing)
    settled = _settled(body, membership, previous, certified, accepted, as_of, missing)
    if settled is None:
        earlier = _previous_cycle(body, held, membership, previous, certified, accepted, as_of)
        if earlier is not None and not earlier[0].complete:
            assessment = earlier[0]
            deadline = _deadline(assessment.version, previous.end)
            if due is not None:  # revoked at the first of the two
                deadline = min(deadline, due.cancelled_after)
            status = "overdue" if as_of <= deadline else "lapsed"
            assessment.reasons.append(_after_deadline(body, assessment.version, status, deadline))
            return _result(
                facts, body, membership, assessment, certified, as_of, status, cycle_reason,
                deadline, due,
            )  # fmt: skip
        if earlier is not None:
            consumed, moved = earlier[1], earlier[2]
    start = max(current.start, certified)
    if consumed:
        counted = [c for c in accepted if start <= c.completed_on and c not in consumed]
    else:
        counted = [c for c in accepted if start <= c.completed_on]
    counted.extend(moved)
    assessment = _assess(body, held, membership, current, certified, counted)
    if settled:
        assessment.reasons.append(settled)
    if due is not None:
        return _result(
            facts, body, membership, assessment, certified, as_of, due.status(as_of),
            cycle_reason, due.cancelled_after, due,
        )  # fmt: skip
    status = _status(assessment, certified, as_of, rulebook.pace)
    return _result(facts, body, membership, assessment, certified, as_of, status, cycle_reason)


def _after_deadline(body: BodyFile, version: Version, status: str, deadline: date) -> Reason:
    def reason() -> str:
        if status == "overdue":
            closing = f"{body.body} revokes the credential after {deadline}"
        else:
            closing = f"the window closed on {deadline}: {body.body} revokes the credential"
        after = version.after_deadline
        return (
            f"{status}: the cycle ended unmet; {closing} "
            f"{_cite(f'{version.id}.after_deadline', after.sources)}"
        )

    return reason


_UNDECIDED = "?"  # _settled_by_dates: the CEUs recorded decide


def _settled_by_dates(
    body: BodyFile,
    membership: MembershipFact,
    previous: Window,
    certified: date,
    as_of: date,
    missing: MissingHistory,
) -> Reason | None:
    """`_settled` as far as the dates alone decide it; `_UNDECIDED` where the CEUs do.

    A date the body showed that has passed unmoved (the stated cycle's end, a membership
    renewal not beyond the ended cycle) makes the ended cycle one to check, on the CEUs
    recorded; unless the roster is read as lagging (`missing` "settled"), when the CEUs
    recorded decide whether it is checked at all."""
    if previous.end < certified:
        return ""  # certified during the current cycle: there is no earlier one
    stated = membership.cycle_ends_on
    if stated is not None:
        # The stated cycle is the current one until it ends; then it is the one to check.
        if stated >= as_of:
            return ""
        return None if missing == "lapsed" else _UNDECIDED
    renews = membership.renews_on
    if renews is not None and renews > previous.end:
        return lambda: (
            f"the cycle that ended on {previous.end} is settled: {body.body} has renewed the "
            f"membership to {renews} (choice history)"
        )
    if renews is not None and missing == "lapsed":
        return None  # due for renewal on or before the cycle's end, and never renewed since
    return _UNDECIDED


def _settled(
    body: BodyFile,
    membership: MembershipFact,
    previous: Window,
    certified: date,
    accepted: Sequence[CeuFact],
    as_of: date,
    missing: MissingHistory,
) -> Reason | None:
    """Why the cycle before the current one needs no check, or None if it must be checked.

    The records may start with the current cycle (a roster loaded today has no history), so an
    ended cycle is judged only on evidence: the body's own dates, or CEUs recorded in it.
    """
    by_dates = _settled_by_dates(body, membership, previous, certified, as_of, missing)
    if by_dates is not _UNDECIDED:
        return by_dates
    start = max(previous.start, certified)
    if any(start <= c.completed_on <= previous.end for c in accepted):
        return None
    return lambda: (
        f"no CEUs are recorded for the cycle that ended on {previous.end}: it is taken as "
        f"settled; record the dates {body.body} shows (cycle_ends_on) to have it checked "
        "(choice history)"
    )


def sums_suffice(facts: HolderFacts, rulebook: Rulebook, as_of: date) -> dict[str, date] | None:
    """For a holder whose evaluation needs of their CEUs only a sum per body: the day from which
    CEUs count, per body (the sum is of the CEUs the body accepts completed from that day to
    `as_of`). None when it needs the CEUs themselves. Only credentials and memberships are read.

    A sum suffices for a body when the cycle before the current one is settled by dates alone
    (so no CEU is looked at to judge it, and none moves between the cycles) and no minimum of
    any rule version can apply to the credentials held (so no CEU is allocated). Then the
    evaluation is the same with one CEU of that sum, dated that day, in place of the CEUs; a
    scan has the database add them up instead of reading them one by one.
    """
    days: dict[str, date] = {}
    for code, credentials in _by_body(facts, rulebook, as_of).items():
        body = rulebook.bodies[code]
        held = _distinct(body, credentials)
        if _minimums_may_apply(body, held):
            return None
        membership = facts.memberships.get(code, NO_MEMBERSHIP)
        found = _schedule(body, held, membership)
        if isinstance(found, str):
            continue  # cannot be evaluated: its CEUs are not read
        current = found[0].cycle_containing(as_of)
        previous = cycle_before(found[0], current)
        certified = min(c.earned_on for c in held)
        settled = _settled_by_dates(
            body, membership, previous, certified, as_of, rulebook.missing_history
        )
        if settled is None or settled is _UNDECIDED:
            return None
        days[code] = max(current.start, certified)
    return days


def _minimums_may_apply(body: BodyFile, held: Sequence[CredentialFact]) -> bool:
    """Could any minimum of any version apply to (some of) these credentials?"""
    codes = {_rule_code(body, c.code) for c in held}
    for version in body.versions:
        for minimum in version.minimums:
            if not minimum.credentials or not codes.isdisjoint(minimum.credentials):
                return True
        if version.specialty is not None:
            for code in codes:
                spec = body.credential(code)
                if spec is not None and spec.kind == "specialty":
                    return True
    return False


def _previous_cycle(
    body: BodyFile,
    held: tuple[CredentialFact, ...],
    membership: MembershipFact,
    window: Window,
    certified: date,
    accepted: Sequence[CeuFact],
    as_of: date,
) -> tuple[_Assessment, frozenset[CeuFact], list[CeuFact]] | None:
    """The cycle before the current one; the CEUs of the current cycle's window it takes; and
    its own CEUs that it gives to the current cycle.

    CEUs completed in the renewal month (AAPC) and after the deadline but before revocation go
    to the ended cycle only if it needs them to be complete (choices renewal-month, late-ceus).
    """
    held_then = tuple(c for c in held if c.earned_on <= window.end)
    if not held_then:
        return None
    start = max(window.start, certified)
    inside = [c for c in accepted if start <= c.completed_on <= window.end]
    early: list[CeuFact] = []
    if body.cycle.renewal_month_ceus == "either-cycle":
        month_start = window.end.replace(day=1)
        early = [c for c in inside if c.completed_on >= month_start]
        inside = [c for c in inside if c.completed_on < month_start]
    version = body.version_for(window.start, window.end)
    if version is None:
        return None
    deadline = _deadline(version, window.end)
    late = [c for c in accepted if window.end < c.completed_on <= min(deadline, as_of)]
    attempts: list[tuple[list[CeuFact], list[CeuFact]]] = [(inside, [])]
    # An attempt with no more CEUs than the one before cannot do better.
    if early:
        attempts.append((inside + early, early))
    if late:
        attempts.append((inside + early + late, early + late))
    for ceu_list, taken in attempts:
        assessment = _assess(body, held_then, membership, window, certified, ceu_list)
        if assessment.complete:
            return assessment, frozenset(taken), [c for c in early if c not in taken]
    return assessment, frozenset(early + late), []


def _deadline(version: Version, cycle_end: date) -> date:
    after = version.after_deadline
    if after.days is not None:
        return cycle_end + timedelta(days=after.days)
    assert after.months is not None
    return add_months(cycle_end, after.months)


class _Memo:
    """Results that depend only on a body's rules and a holder's set of credentials: the same
    few sets come up again and again in a scan, so each is worked out once. Keyed by the rule
    objects' identity (hashing a whole rule file per lookup would cost more than it saves)."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self.found: dict[tuple[int, int, object], tuple[BodyFile, Version, object]] = {}

    def get(self, body: BodyFile, version: Version, key: object) -> object | None:
        hit = self.found.get((id(body), id(version), key))
        if hit is not None and hit[0] is body and hit[1] is version:
            return hit[2]
        return None

    def put(self, body: BodyFile, version: Version, key: object, value: object) -> None:
        if len(self.found) >= self.limit:
            self.found.clear()
        self.found[(id(body), id(version), key)] = (body, version, value)


_REQUIREMENTS = _Memo()
_MINIMUMS = _Memo()


def _requirement(body: BodyFile, version: Version, codes: tuple[str, ...]) -> tuple[int, str]:
    """The cycle's requirement for these credentials (rule codes), and why."""
    found = _REQUIREMENTS.get(body, version, codes)
    if found is None:
        found = _work_out_requirement(body, version, codes)
        _REQUIREMENTS.put(body, version, codes, found)
    return found  # type: ignore[return-value]


def _work_out_requirement(
    body: BodyFile, version: Version, codes: tuple[str, ...]
) -> tuple[int, str]:
    rule = f"{version.id}.requirement"
    table = version.requirement
    if isinstance(table, ByCount):
        figure = table.by_count[min(len(codes), len(table.by_count)) - 1]
        count = f"{len(codes)} {body.body} credential{'s' if len(codes) != 1 else ''}"
        reason = f"{count} ({', '.join(codes)}): {figure} CEUs per cycle"
        return int(figure * CENTS), f"{reason} {_cite(rule, version.sources)}"
    return _per_credential(version, table, list(codes))


def _per_credential(version: Version, table: PerCredential, codes: list[str]) -> tuple[int, str]:
    rule = f"{version.id}.requirement"
    superseded = {old for new in codes for old in table.supersedes.get(new, ())}
    kept = [code for code in codes if code not in superseded]
    figures = {code: table.per_credential[code] for code in kept if code in table.per_credential}
    top = max(figures.values(), default=min(table.per_credential.values()))
    total = min(table.cap, top + table.additional * (len(kept) - 1))
    parts = [f"{code} {figures.get(code, '?')}" for code in kept]
    reason = f"{', '.join(parts)}: the highest, {top}"
    if len(kept) > 1:
        others = "the other one" if len(kept) == 2 else f"each of the {len(kept) - 1} others"
        reason += f", plus {table.additional} for {others}"
        reason += f" (at most {table.cap})" if total == table.cap else ""
    reason += f": {total} CEUs per cycle"
    dropped = sorted(superseded & set(codes))
    if dropped:
        if len(dropped) == 1:
            reason += f"; {dropped[0]} is superseded and needs no CEUs of its own"
        else:
            reason += f"; {', '.join(dropped)} are superseded and need no CEUs of their own"
    return int(total * CENTS), f"{reason} {_cite(rule, version.sources)}"


Spec = tuple[Minimum | None, str, str, int, date, str]
"""A minimum that applies: (rule, id, category, cents, counts from, reason)."""
_Template = tuple[Minimum | None, str, str, int, tuple[str, ...], str]
"""A minimum before the holder's dates are known: the credentials it counts from."""


def _minimum_specs(
    body: BodyFile, version: Version, held: Sequence[CredentialFact], required: int
) -> list[Spec]:
    """Each minimum that applies, counting from the day its credential was earned."""
    dates = {_rule_code(body, c.code): c.earned_on for c in held}
    key = (tuple(dates), required)
    found = _MINIMUMS.get(body, version, key)
    if found is None:
        found = _minimum_templates(body, version, tuple(dates), required)
        _MINIMUMS.put(body, version, key, found)
    templates: list[_Template] = found  # type: ignore[assignment]
    if not templates:
        return []
    certified = min(dates.values())
    return [
        (minimum, spec_id, category, cents, min((dates[c] for c in since), default=certified), why)
        for minimum, spec_id, category, cents, since, why in templates
    ]


def _minimum_templates(
    body: BodyFile, version: Version, codes: tuple[str, ...], required: int
) -> list[_Template]:
    specs: list[_Template] = []
    for minimum in version.minimums:
        holders_of = tuple(code for code in minimum.credentials if code in codes)
        if minimum.credentials and not holders_of:
            continue
        if minimum.percent is not None:
            cents = math.ceil(required * minimum.percent / 100)
            amount = f"{minimum.percent}% of the {ceus(required)} CEUs, {ceus(cents)}"
        else:
            assert minimum.ceus is not None
            figure = minimum.ceus
            if minimum.only_credential_ceus is not None and len(codes) == 1:
                figure = minimum.only_credential_ceus
            cents = int(figure * CENTS)
            amount = f"{ceus(cents)} CEUs"
        who = f"{'/'.join(holders_of)}: " if holders_of else ""
        where = f" from {', '.join(minimum.providers)}" if minimum.providers else ""
        reason = f"{who}{amount} tagged {minimum.category}{where}, inside the total"
        cite = _cite(f"{version.id}.minimum.{minimum.id}", minimum.sources)
        specs.append((minimum, minimum.id, minimum.category, cents, holders_of, f"{reason} {cite}"))
    if version.specialty is not None:
        for code in codes:
            spec = body.credential(code)
            if spec is not None and spec.kind == "specialty":
                cents = int(version.specialty.ceus * CENTS)
                cite = _cite(f"{version.id}.specialty", version.specialty.sources)
                reason = f"{code}: {ceus(cents)} CEUs tagged specialty:{code}, inside the total"
                specs.append(
                    (None, code, SPECIALTY_PREFIX + code, cents, (code,), f"{reason} {cite}")
                )
    return specs


def _provider_ok(minimum: Minimum | None, ceu: CeuFact) -> bool:
    if minimum is None or not minimum.providers:
        return True
    if not ceu.provider:
        return False  # a minimum that names its providers takes only CEUs that name one
    provider = ceu.provider.casefold()
    return any(vendor.casefold() in provider for vendor in minimum.providers)


def _governs(body: BodyFile, version: Version) -> str:
    found = _REQUIREMENTS.get(body, version, "governs")
    if found is None:
        found = (
            f"{body.body} rules {version.id} ({version.title}) govern {version.applies.describe()} "
            f"{_cite(version.id, version.sources)}"
        )
        _REQUIREMENTS.put(body, version, "governs", found)
    return found  # type: ignore[return-value]


def _assess(
    body: BodyFile,
    held: tuple[CredentialFact, ...],
    membership: MembershipFact,
    window: Window,
    certified: date,
    counted: Sequence[CeuFact],
) -> _Assessment:
    version = body.version_for(window.start, window.end)
    assert version is not None, f"{body.body}: no rule version covers {window}"
    reasons: list[Reason] = [_governs(body, version)]
    codes = tuple(_rule_code(body, c.code) for c in held)
    required, requirement_reason = _requirement(body, version, codes)
    stated = membership.required_cents is not None and (
        membership.cycle_ends_on is None or membership.cycle_ends_on == window.end
    )
    if stated:
        assert membership.required_cents is not None
        required = membership.required_cents
        reasons.append(
            lambda: f"{body.body} states {ceus(required)} CEUs for this cycle, which wins"
        )
    else:
        reasons.append(requirement_reason)
        if certified > window.start and body.cycle.anchor == "membership":
            reasons.append(
                lambda: (
                    f"first cycle after certification on {certified}: {body.body} pro-rates it "
                    "and publishes no formula; record the figure it shows as required_ceus "
                    "(choice Q4)"
                )
            )
    specs = _minimum_specs(body, version, held, required)
    earned = sum(c.cents for c in counted)
    remaining = max(required - earned, 0)
    results: list[MinimumResult] = []
    if specs:
        results = _allocate(version, specs, counted)
        groups: dict[str, int] = {}
        for (minimum, *_), result in zip(specs, results, strict=True):
            group = _group(version, minimum)
            groups[group] = groups.get(group, 0) + max(0, result.required - result.earned)
        remaining = max(remaining, *groups.values())
        reasons.extend(spec[5] for spec in specs)
    return _Assessment(
        window, version, held, required, stated, earned, remaining, tuple(results), counted,
        reasons,
    )  # fmt: skip


def _group(version: Version, minimum: Minimum | None) -> str:
    """The group of a minimum, or of the specialty minimums (`minimum` None)."""
    if minimum is not None:
        return minimum.group
    assert version.specialty is not None  # a specialty spec comes only from a version with one
    return version.specialty.group


def _allocate(
    version: Version, specs: Sequence[Spec], counted: Sequence[CeuFact]
) -> list[MinimumResult]:
    """Allocate the CEUs to the minimums, group by group (a CEU fills one minimum a group)."""
    filled: dict[str, int] = {}
    groups: dict[str, list[int]] = {}
    for position, (minimum, *_) in enumerate(specs):
        group = _group(version, minimum)
        groups.setdefault(group, []).append(position)
    for positions in groups.values():
        needs = {specs[p][1]: specs[p][3] for p in positions}
        categories = {specs[p][2] for p in positions}
        items = []
        for ceu in counted:
            if categories.isdisjoint(ceu.categories):
                continue  # tagged for none of the group's minimums
            eligible = frozenset(
                specs[p][1]
                for p in positions
                if specs[p][2] in ceu.categories
                and ceu.completed_on >= specs[p][4]
                and _provider_ok(specs[p][0], ceu)
            )
            if eligible:
                items.append((ceu.cents, eligible))
        filled.update(allocate(items, needs).filled)
    return [
        MinimumResult(spec_id, category, cents, filled[spec_id])  # allocate fills every need
        for _, spec_id, category, cents, _, _ in specs
    ]


def _status(assessment: _Assessment, certified: date, as_of: date, pace: Pace) -> str:
    if assessment.complete:
        return "complete"
    window = assessment.window
    start = max(window.start, certified)
    return pace.status(assessment.earned, assessment.required, start, window.end, as_of)


def _result(
    facts: HolderFacts,
    body: BodyFile,
    membership: MembershipFact,
    assessment: _Assessment,
    certified: date,
    as_of: date,
    status: str,
    cycle_reason: Callable[[], str],
    deadline: date | None = None,
    due: Unrenewed | None = None,
) -> Evaluation:
    """`deadline`, when it is not the cycle's own; `due`, an unrenewed membership behind it."""
    window = assessment.window
    start = max(window.start, certified)
    earned = assessment.earned

    def cycle() -> str:
        return f"cycle {start} to {window.end}: {cycle_reason()}"

    renewal = [lambda: unrenewed_reason(body, due, status)] if due else []

    def counted() -> str:
        return (
            f"{ceus(earned)} CEUs count: completed from {start} to {window.end} "
            f"(not before certification), accepted by {body.body}"
        )

    return Evaluation(
        holder_id=facts.holder_id,
        body=body.body,
        credentials=tuple(c.code for c in assessment.held),
        cycle_start=start,
        cycle_end=window.end,
        required=assessment.required,
        earned=earned,
        remaining=assessment.remaining,
        minimums=assessment.minimums,
        status=status,
        days_left=(window.end - as_of).days,
        version=assessment.version.id,
        deadline=deadline or _deadline(assessment.version, window.end),
        required_stated=assessment.required_stated,
        explanation=Explanation((cycle, *assessment.reasons, *renewal, counted)),
        renews_on=membership.renews_on if body.membership is not None else None,
        submission_opens=(
            add_months(window.end, -body.submission.opens_months_before)
            if body.submission is not None
            else None
        ),
        owner=facts.owner,
        unrenewed=due.renewal_due if due else None,
        submitted=facts.submitted.get((body.body, window.end)),
        counted=assessment.counted,
    )
