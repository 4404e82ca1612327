"""What a digest says, as a pure function of what its scope's members look like now and what
the previous digest showed: counts by status, the exceptions first, the newly complete, what
changed, and the full table sorted by urgency; plus that table as CSV.

Amounts are in cents of a CEU, as in the rules engine.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from reminders.rules.explain import CENTS
from reminders.rules.results import Evaluation
from reminders.words import day, when

URGENCY = ("lapsed", "overdue", "behind", "on_track", "complete")
"""Most urgent first: a lapsed credential cannot be coded under at all."""
_RANK = {status: rank for rank, status in enumerate(URGENCY)}
LABELS = {
    "lapsed": "lapsed",
    "overdue": "overdue",
    "behind": "behind",
    "on_track": "on track",
    "complete": "complete",
}
HORIZON_DAYS = 60
"""A cycle ending within this many days, and not complete, is an exception."""


def ceus(cents: int) -> str:
    """22.5, 40, 0.25: as people write CEUs."""
    whole, part = divmod(abs(cents), CENTS)
    sign = "-" if cents < 0 else ""
    return f"{sign}{whole}" if not part else f"{sign}{whole}.{part:02d}".rstrip("0")


@dataclass(frozen=True, slots=True)
class Line:
    """One member and one certifying body, as a digest shows them."""

    holder_id: str
    name: str
    body: str
    credentials: tuple[str, ...]
    status: str
    required: int
    earned: int
    remaining: int
    cycle_end: date
    days_left: int
    deadline: date | None = None
    """The last day before the body revokes the credential if the cycle stays unmet (None in
    what digests stored before it was kept)."""
    email: str = ""
    teams: tuple[str, ...] = ()
    """The member's teams in the subscription's organisation (never another's)."""
    unmet: tuple[str, ...] = ()
    """Minimums not yet met, in words: "auditing: 10 of 16"."""
    last_ceu_on: date | None = None
    """The newest CEU the body accepts, counted or not: when the member last did something."""
    unrenewed: date | None = None
    """The membership renewal date that passed unrenewed, when that is why the line is overdue
    or lapsed (Evaluation.unrenewed)."""
    bouncing: date | None = None
    """Since when mail to the member's address is not delivered (it bounced or was refused),
    until the roster gives a working one."""
    self_reported: date | None = None
    """The day the member said the cycle is submitted, while the records do not show it done."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.holder_id, self.body)

    @property
    def status_label(self) -> str:
        return LABELS[self.status]

    @property
    def urgency(self) -> tuple[int, int, int, str, str]:
        return (_RANK[self.status], self.days_left, -self.remaining, self.name, self.body)


def line_of(
    name: str,
    evaluation: Evaluation,
    email: str = "",
    teams: tuple[str, ...] = (),
    category_words: Callable[[str], str] = str,
    last_ceu_on: date | None = None,
    bouncing: date | None = None,
) -> Line:
    e = evaluation
    unmet = tuple(
        f"{category_words(m.category)}: {ceus(m.earned)} of {ceus(m.required)}"
        for m in e.minimums
        if m.earned < m.required
    )
    return Line(
        e.holder_id, name, e.body, e.credentials, e.status, e.required, e.earned, e.remaining,
        e.cycle_end, e.days_left, e.deadline, email, teams, unmet, last_ceu_on, e.unrenewed,
        bouncing, e.submitted.reported_on if e.submitted and e.status != "complete" else None,
    )  # fmt: skip


def dump_lines(lines: Iterable[Line]) -> str:
    """What a digest showed, compactly, for the next digest to compare with."""
    return json.dumps(
        [
            [
                line.holder_id,
                line.name,
                line.body,
                list(line.credentials),
                line.status,
                line.required,
                line.earned,
                line.remaining,
                line.cycle_end.isoformat(),
                line.days_left,
                line.deadline.isoformat() if line.deadline else None,
                line.email,
                list(line.teams),
                list(line.unmet),
                line.last_ceu_on.isoformat() if line.last_ceu_on else None,
                line.unrenewed.isoformat() if line.unrenewed else None,
                line.bouncing.isoformat() if line.bouncing else None,
                line.self_reported.isoformat() if line.self_reported else None,
            ]
            for line in lines
        ],
        separators=(",", ":"),
    )


def load_lines(text: str) -> list[Line]:
    return [_loaded(*row) for row in json.loads(text)]


def _loaded(
    h: str, n: str, b: str, c: list[str], s: str, r: int, e: int, m: int, end: str, d: int,
    # Absent from digests stored before they were kept:
    deadline: str | None = None, email: str = "", teams: Sequence[str] = (),
    unmet: Sequence[str] = (), last_ceu_on: str | None = None, unrenewed: str | None = None,
    bouncing: str | None = None, self_reported: str | None = None,
) -> Line:  # fmt: skip
    return Line(
        h, n, b, tuple(c), s, r, e, m, date.fromisoformat(end), d, _date(deadline), email,
        tuple(teams), tuple(unmet), _date(last_ceu_on), _date(unrenewed), _date(bouncing),
        _date(self_reported),
    )  # fmt: skip


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


@dataclass(frozen=True, slots=True)
class Flagged:
    """An exception: a line and why it needs attention."""

    line: Line
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Change:
    line: Line
    """The line as it is now (or as it was last shown, for a member no longer listed)."""
    what: str


@dataclass(frozen=True)
class Digest:
    scope: str
    period: str
    as_of: date
    first: bool
    """No earlier digest to compare with: everything behind counts as new."""
    compared_with: str | None
    """The period of the digest that the changes are counted since (its title), if known."""
    members: int
    counts: tuple[tuple[str, int], ...]
    exceptions: tuple[Flagged, ...]
    newly_complete: tuple[Line, ...]
    changes: tuple[Change, ...]
    lines: tuple[Line, ...]
    notes: tuple[str, ...] = ()
    """What the service itself needs the organisation to know (a webhook it stopped)."""

    @property
    def quiet(self) -> bool:
        """Nothing new and nobody needing attention: the digest says so in one line."""
        return not (self.exceptions or self.newly_complete or self.changes)


_NEWLY = {"behind": "newly behind", "overdue": "newly overdue", "lapsed": "newly lapsed"}


def _reasons(line: Line, before: Line | None, first: bool, horizon: int) -> tuple[str, ...]:
    """Why a line needs attention; none if it does not. Overdue and lapsed lines are listed in
    every digest until they are solved, with the revocation date; "newly" marks what changed
    since the previous digest (the first has nothing to compare with)."""
    reasons: list[str] = []
    new = not first and (before is None or before.status != line.status)
    if line.status in ("overdue", "lapsed"):
        reasons.append(_NEWLY[line.status] if new else LABELS[line.status])
        if line.unrenewed is not None:
            reasons.append(f"membership not renewed since {day(line.unrenewed)}")
        if line.deadline is not None and line.status == "overdue":
            unless = "renewed" if line.unrenewed else "completed"
            reasons.append(f"revoked after {day(line.deadline)} unless {unless}")
        elif line.deadline is not None:
            reasons.append(f"revoked since {day(line.deadline + timedelta(days=1))}")
    elif line.status == "behind" and (first or new):
        reasons.append(_NEWLY[line.status] if new else LABELS[line.status])
    if line.status in ("on_track", "behind") and 0 <= line.days_left <= horizon:
        reasons.append(f"due {when(line.days_left)}")
    if line.self_reported is not None and reasons:
        # Only beside a reason to list the line: the member's word explains the quiet.
        reasons.append(
            f"self-reported as submitted on {day(line.self_reported)}, not yet confirmed"
        )
    if line.bouncing is not None:
        # Whatever the status: no reminder reaches them until the roster has a working address.
        reasons.append(f"address bouncing since {day(line.bouncing)}: reminders do not reach them")
    return tuple(reasons)


def _change(line: Line, before: Line | None) -> str | None:
    if before is None:
        return "newly listed"
    parts: list[str] = []
    if before.cycle_end != line.cycle_end:
        parts.append(f"new cycle, due {day(line.cycle_end)}")
    elif line.earned != before.earned:
        gained = line.earned - before.earned
        parts.append(f"{'+' if gained > 0 else ''}{ceus(gained)} CEUs")
    if before.status != line.status:
        parts.append(f"{LABELS[before.status]} → {LABELS[line.status]}")
    return ", ".join(parts) or None


def build_digest(
    scope: str,
    period: str,
    as_of: date,
    lines: Iterable[Line],
    previous: Sequence[Line] | None,
    horizon: int = HORIZON_DAYS,
    compared_with: str | None = None,
    notes: Sequence[str] = (),
) -> Digest:
    """The digest of `lines` (the scope's members now); `previous` is what the last digest
    showed, or None for a subscription's first digest."""
    ordered = tuple(sorted(lines, key=lambda line: line.urgency))
    first = previous is None
    before = {line.key: line for line in previous or ()}
    exceptions = []
    newly_complete = []
    changes = []
    for line in ordered:
        old = before.get(line.key)
        reasons = _reasons(line, old, first, horizon)
        if reasons:
            exceptions.append(Flagged(line, reasons))
        if first:
            continue
        if line.status == "complete" and (old is None or old.status != "complete"):
            newly_complete.append(line)
        what = _change(line, old)
        if what is not None:
            changes.append(Change(line, what))
    current = {line.key for line in ordered}
    gone = sorted((line for line in before.values() if line.key not in current), key=_by_name)
    changes += [Change(line, "no longer listed") for line in gone]
    counted = Counter(line.status for line in ordered)
    return Digest(
        scope=scope,
        period=period,
        as_of=as_of,
        first=first,
        compared_with=compared_with,
        members=len({line.holder_id for line in ordered}),
        counts=tuple((status, counted[status]) for status in URGENCY),
        exceptions=tuple(exceptions),
        newly_complete=tuple(newly_complete),
        changes=tuple(changes),
        lines=ordered,
        notes=tuple(notes),
    )


def _by_name(line: Line) -> tuple[str, str, str]:
    return (line.name, line.holder_id, line.body)


CSV_COLUMNS = (
    "holder_id", "name", "email", "teams", "body", "credentials", "status", "required",
    "earned", "remaining", "unmet_minimums", "cycle_end", "days_left", "days_overdue",
    "revoked_after", "last_ceu_on", "unrenewed_since", "bouncing_since", "self_reported_on",
)  # fmt: skip
"""What a compliance lead filters and sorts on. A cycle that has ended shows its days
overdue, not negative days left; ISO dates, which spreadsheets sort. `unrenewed_since`: the
membership renewal date that passed unrenewed, which is then why the line is overdue or lapsed
(its CEU cycle may not have ended). `bouncing_since`: the day mail to the member's address
started bouncing or being refused; empty while it is delivered. `self_reported_on`: the day the
member said the cycle is submitted, while the records do not show it done."""


# What a spreadsheet may read as the start of a formula, the full-width forms too (some read
# "＝1+1" as a formula after normalising it).
_FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def _cell(text: str) -> str:
    """Text from an HR system must not run as a spreadsheet formula (CSV injection)."""
    return f"'{text}" if text[:1] in _FORMULA_STARTS else text


def csv_bytes(lines: Iterable[Line]) -> bytes:
    """The full table as CSV: UTF-8 with a byte-order mark and CRLF line ends, which is what
    spreadsheet programs open without asking (names keep their accents in Excel)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        ended = line.days_left < 0
        writer.writerow(
            [
                _cell(line.holder_id), _cell(line.name), _cell(line.email),
                _cell("; ".join(line.teams)), line.body, " ".join(line.credentials), line.status,
                ceus(line.required), ceus(line.earned), ceus(line.remaining),
                "; ".join(line.unmet), line.cycle_end.isoformat(),
                "" if ended else line.days_left, -line.days_left if ended else "",
                line.deadline.isoformat() if line.deadline else "",
                line.last_ceu_on.isoformat() if line.last_ceu_on else "",
                line.unrenewed.isoformat() if line.unrenewed else "",
                line.bouncing.isoformat() if line.bouncing else "",
                line.self_reported.isoformat() if line.self_reported else "",
            ]
        )  # fmt: skip
    return "\ufeff".encode() + out.getvalue().encode("utf-8")
