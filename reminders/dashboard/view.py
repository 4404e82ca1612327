"""What the team dashboard shows of one subscription's scope, as a pure function of its lines
(digests/content.py: one per member and certifying body, evaluated today) and the day: the
counts by status, the teams with their counts, and the table in the order the reader chose,
each line with the reasons it needs attention that a digest would give."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from reminders.digests.content import LABELS, URGENCY, Line, build_digest

NO_TEAM = "No team"
"""Members the organisation has on its roster but in none of its teams."""


@dataclass(frozen=True, slots=True)
class Sort:
    """One way to order the table: its name in the address (`?sort=`), its heading, the key."""

    name: str
    heading: str
    key: Callable[[Line], Any]


def _name(line: Line) -> tuple[str, str, str]:
    return (line.name.casefold(), line.holder_id, line.body)


SORTS = {
    sort.name: sort
    for sort in (
        Sort("name", "Name", _name),
        Sort("body", "Body", lambda line: (line.body, *_name(line))),
        Sort("status", "Status", lambda line: line.urgency),
        Sort("remaining", "Still needed", lambda line: (line.remaining, *_name(line))),
        Sort("days", "Days left", lambda line: (line.days_left, *_name(line))),
    )
}
DEFAULT_SORT = "days"
"""Days left, fewest first: the overdue (negative days) at the top, as the issue asks."""


@dataclass(frozen=True, slots=True)
class Order:
    sort: str
    descending: bool

    @property
    def param(self) -> str:
        return f"-{self.sort}" if self.descending else self.sort

    def toggled(self, sort: str) -> str:
        """The `?sort=` a heading links to: its own order reversed, or another column, rising."""
        return f"-{sort}" if sort == self.sort and not self.descending else sort

    def aria(self, sort: str) -> str:
        if sort != self.sort:
            return "none"
        return "descending" if self.descending else "ascending"


def order_of(param: str | None) -> Order:
    """`?sort=days` or `?sort=-days`; anything else is the default order (a bookmarked address
    of an older version still opens)."""
    text = param or ""
    descending = text.startswith("-")
    name = text.removeprefix("-")
    if name not in SORTS:
        return Order(DEFAULT_SORT, False)
    return Order(name, descending)


@dataclass(frozen=True, slots=True)
class Row:
    line: Line
    reasons: tuple[str, ...]
    """Why the line needs attention, as the digest words it; empty if it does not."""

    @property
    def label(self) -> str:
        return LABELS[self.line.status]


@dataclass(frozen=True, slots=True)
class TeamCount:
    team: str
    members: int
    counts: tuple[tuple[str, int], ...]

    @property
    def attention(self) -> int:
        """Lines behind, overdue or lapsed."""
        return sum(n for status, n in self.counts if status in ("lapsed", "overdue", "behind"))


@dataclass(frozen=True)
class ScopeView:
    scope: str
    as_of: date
    members: int
    counts: tuple[tuple[str, int], ...]
    """Lines (member × body) by status, most urgent first, zeros included."""
    teams: tuple[TeamCount, ...]
    """Each team of the scope with its counts (an organisation's scope has several)."""
    team: str | None
    """The team the table is narrowed to, if the reader chose one."""
    order: Order
    rows: tuple[Row, ...]


def _counts(lines: Iterable[Line]) -> tuple[tuple[str, int], ...]:
    counted = Counter(line.status for line in lines)
    return tuple((status, counted[status]) for status in URGENCY)


def _teams_of(line: Line) -> tuple[str, ...]:
    return line.teams or (NO_TEAM,)


def team_counts(lines: Sequence[Line]) -> tuple[TeamCount, ...]:
    """Each team with its members and counts, by name; a member of two teams counts in both."""
    by_team: dict[str, list[Line]] = {}
    for line in lines:
        for team in _teams_of(line):
            by_team.setdefault(team, []).append(line)
    return tuple(
        TeamCount(team, len({line.holder_id for line in found}), _counts(found))
        for team, found in sorted(by_team.items(), key=lambda item: item[0].casefold())
    )


def scope_view(
    scope: str, as_of: date, lines: Sequence[Line], order: Order, team: str | None = None
) -> ScopeView:
    """The scope's teams over all its lines; the figures and the table narrowed to `team` if
    it is one of them (else the whole scope: a team renamed since the link was made)."""
    teams = team_counts(lines)
    if team not in {t.team for t in teams}:
        team = None
    shown = [line for line in lines if team is None or team in _teams_of(line)]
    flagged = build_digest(scope, "", as_of, shown, None).exceptions
    attention = {f.line.key: f.reasons for f in flagged}
    ordered = sorted(shown, key=SORTS[order.sort].key, reverse=order.descending)
    return ScopeView(
        scope=scope,
        as_of=as_of,
        members=len({line.holder_id for line in shown}),
        counts=_counts(shown),
        teams=teams,
        team=team,
        order=order,
        rows=tuple(Row(line, attention.get(line.key, ())) for line in ordered),
    )
