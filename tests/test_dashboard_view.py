"""What the team dashboard shows, as pure functions of the lines and the day: the order of the
table, the teams and their counts, the chart's months and bars, a member's notices in words."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from reminders.dashboard.chart import FILLS, HEIGHT, NARROW, WIDTH, deadline_chart
from reminders.dashboard.member import NoticeLine, SentNotice, history, outcome, what
from reminders.dashboard.view import NO_TEAM, Order, order_of, scope_view, team_counts
from reminders.digests.content import Line

AS_OF = date(2026, 11, 24)


def _line(
    holder: str,
    name: str,
    status: str = "on_track",
    cycle_end: date = date(2027, 3, 31),
    remaining: int = 1000,
    teams: tuple[str, ...] = ("Coding",),
    body: str = "AAPC",
) -> Line:
    days_left = (cycle_end - AS_OF).days
    return Line(holder, name, body, ("CPC",), status, 3600, 3600 - remaining, remaining,
                cycle_end, days_left, teams=teams)  # fmt: skip


LINES = [
    _line("h-1", "maria", "behind", date(2027, 1, 31), 2400),
    _line("h-2", "Anna", "overdue", date(2026, 8, 29), 2500, ("HIM",)),
    _line("h-3", "Zoe", "complete", date(2027, 5, 1), 0, ("HIM", "Coding")),
    _line("h-4", "Bob", "on_track", date(2027, 5, 1), 900, ()),
]


def _names(order: str, team: str | None = None) -> list[str]:
    view = scope_view("Org", AS_OF, LINES, order_of(order), team)
    return [row.line.name for row in view.rows]


def test_the_table_is_by_days_left_fewest_first_unless_the_reader_chooses() -> None:
    assert _names("") == ["Anna", "maria", "Bob", "Zoe"]  # the overdue first; a tie by name
    assert _names("-days") == ["Zoe", "Bob", "maria", "Anna"]
    assert _names("name") == ["Anna", "Bob", "maria", "Zoe"]  # whatever the case
    assert _names("status") == ["Anna", "maria", "Bob", "Zoe"]
    assert _names("remaining") == ["Zoe", "Bob", "maria", "Anna"]
    assert _names("-remaining") == ["Anna", "maria", "Bob", "Zoe"]
    assert _names("DROP TABLE") == _names("") == _names("-") == _names("--days")


def test_a_heading_reverses_its_own_order_and_starts_another_rising() -> None:
    order = order_of("name")
    assert (order.sort, order.descending, order.param) == ("name", False, "name")
    assert order.toggled("name") == "-name" and order.toggled("days") == "days"
    assert order_of("-name").toggled("name") == "name"
    assert [order.aria(s) for s in ("name", "days")] == ["ascending", "none"]
    assert Order("days", True).aria("days") == "descending"


def test_a_team_narrows_the_figures_and_the_table_but_every_team_stays_listed() -> None:
    view = scope_view("Org", AS_OF, LINES, order_of(""), "HIM")
    assert view.team == "HIM" and [r.line.name for r in view.rows] == ["Anna", "Zoe"]
    assert view.members == 2
    assert dict(view.counts) == {"lapsed": 0, "overdue": 1, "behind": 0, "on_track": 0,
                                 "complete": 1}  # fmt: skip
    assert [t.team for t in view.teams] == ["Coding", "HIM", NO_TEAM]
    # A team that is not one of the scope's (renamed since the link was made): the whole scope.
    other = scope_view("Org", AS_OF, LINES, order_of(""), "Billing")
    assert other.team is None and len(other.rows) == 4 and other.members == 4


def test_teams_count_a_member_in_each_of_their_teams_and_the_rest_under_no_team() -> None:
    counted = {t.team: t for t in team_counts(LINES)}
    assert counted["Coding"].members == 2 and counted["HIM"].members == 2
    assert counted[NO_TEAM].members == 1
    assert dict(counted["Coding"].counts)["behind"] == 1 and counted["Coding"].attention == 1
    assert counted["HIM"].attention == 1 and counted[NO_TEAM].attention == 0


def test_each_row_carries_the_reasons_a_digest_would_give() -> None:
    rows = {row.line.name: row for row in scope_view("Org", AS_OF, LINES, order_of("")).rows}
    assert rows["Anna"].reasons[0] == "overdue" and rows["Anna"].label == "overdue"
    assert rows["maria"].reasons == ("behind",)
    assert rows["Zoe"].reasons == () and rows["Bob"].reasons == ()


def test_the_chart_counts_the_cycles_ending_in_each_of_the_next_twelve_months() -> None:
    lines = [
        *LINES,
        _line("h-5", "Eve", "on_track", date(2026, 11, 1)),  # this month, already past: shown
        _line("h-6", "Fay", "on_track", date(2027, 10, 31)),  # the twelfth month
        _line("h-7", "Gus", "on_track", date(2027, 11, 1)),  # the thirteenth: not shown
    ]
    chart = deadline_chart(lines, AS_OF)
    months = {m.start: m for m in chart.months}
    assert len(chart.months) == 12 and chart.first == date(2026, 11, 1)
    assert chart.months[-1].start == date(2027, 10, 1)
    assert months[date(2027, 5, 1)].total == 2  # Zoe complete, Bob on track
    assert months[date(2027, 5, 1)].count("complete") == 1
    assert months[date(2027, 1, 1)].count("behind") == 1
    assert months[date(2026, 11, 1)].total == 1 and months[date(2027, 10, 1)].total == 1
    assert chart.total == 5  # Anna's cycle ended in August; Gus's is after the twelve months
    assert chart.statuses == ("behind", "on_track", "complete")
    assert chart.legend()[0] == ("behind", FILLS["behind"])
    assert [year for year, _ in chart.years] == [2026, 2027]


def test_the_bars_stand_on_one_line_most_urgent_at_the_bottom_the_tallest_full_height() -> None:
    chart = deadline_chart(LINES, AS_OF)
    may = next(m for m in chart.months if m.start == date(2027, 5, 1))
    bottom, top = may.segments
    assert (bottom.status, top.status) == ("on_track", "complete")
    assert bottom.y + bottom.height == pytest.approx(chart.baseline)
    assert top.y + top.height == pytest.approx(bottom.y)
    assert may.top == top.y and top.y == pytest.approx(24)  # the tallest reaches the top
    january = next(m for m in chart.months if m.start == date(2027, 1, 1))
    assert january.segments[0].height == pytest.approx(bottom.height)  # 1 of 2: half of it
    empty = next(m for m in chart.months if m.start == date(2026, 12, 1))
    assert empty.segments == () and empty.top == HEIGHT - 40
    narrow = deadline_chart(LINES, AS_OF, NARROW)
    assert narrow.width == NARROW and narrow.months[-1].x + narrow.months[-1].width < NARROW
    assert chart.months[-1].x + chart.months[-1].width < WIDTH
    assert all(m.width > 0 for m in narrow.months)


def test_no_deadlines_make_an_empty_chart_not_a_division_by_zero() -> None:
    chart = deadline_chart([], AS_OF)
    assert chart.total == 0 and chart.statuses == () and all(not m.segments for m in chart.months)


def _sent(kind: str, rung: str, state: str, **more: object) -> SentNotice:
    fields: dict[str, object] = {
        "body": "AAPC", "kind": kind, "rung": rung, "cycle_end": date(2027, 1, 31),
        "due_on": date(2026, 11, 2), "state": state,
        "updated_at": datetime(2026, 11, 2, 14, tzinfo=UTC), "sent_at": None,
        "last_error": None, "bounced": None,
    }  # fmt: skip
    fields.update(more)
    return SentNotice(**fields)  # type: ignore[arg-type]


def test_a_notice_is_named_with_its_rung_in_days() -> None:
    assert what(_sent("deadline", "90", "sent")) == "Reminder before the due date, 90 days before"
    assert what(_sent("overdue", "1", "sent")) == "Overdue notice, 1 day after"
    assert what(_sent("dues", "30", "sent")) == "Membership dues reminder, 30 days before"
    assert what(_sent("shortfall", "2026-11-02", "sent")) == "Behind pace"
    assert what(_sent("lapsed", "lapsed", "sent")) == "Lapse notice"


def test_what_became_of_a_notice_in_the_readers_zone() -> None:
    chicago = ZoneInfo("America/Chicago")
    late = datetime(2026, 11, 3, 3, tzinfo=UTC)  # still November 2 in Chicago
    assert outcome(_sent("deadline", "90", "sent", sent_at=late), chicago) == (
        "Sent on November 2, 2026",
        True,
    )
    bounced = outcome(_sent("deadline", "90", "sent", sent_at=late, bounced="hard"), chicago)
    assert bounced == ("Sent on November 2, 2026, then bounced: the address does not take mail",
                       False)  # fmt: skip
    failed = outcome(_sent("deadline", "90", "failed", last_error="550 no such user"), chicago)
    assert failed == ("Not delivered: 550 no such user", False)
    assert outcome(_sent("deadline", "90", "retry", last_error="421 busy"), chicago) == (
        "Being retried: 421 busy",
        None,
    )
    assert outcome(_sent("deadline", "90", "queued"), chicago) == ("Waiting to go out", None)
    assert outcome(_sent("deadline", "90", "skipped"), chicago)[0].startswith(
        "Not sent: a more urgent reminder"
    )
    assert outcome(_sent("deadline", "90", "cancelled"), chicago)[0].startswith(
        "Not sent: it no longer applied"
    )
    lines = history([_sent("overdue", "30", "expired")], chicago)
    assert lines[0].due == "November 2, 2026" and lines[0].outcome.startswith("Not sent: its")


def test_the_view_keeps_its_scope_day_and_order_and_sorts_teams_whatever_their_case() -> None:
    order = order_of("-name")
    view = scope_view("Org", AS_OF, LINES, order)
    assert (view.scope, view.as_of, view.order) == ("Org", AS_OF, order)
    lines = [_line("h-1", "A", teams=("beta",)), _line("h-2", "B", teams=("Alpha", "Gamma"))]
    assert [t.team for t in team_counts(lines)] == ["Alpha", "beta", "Gamma"]


def test_the_bars_count_every_line_and_sit_where_the_drawing_says() -> None:
    two = [_line("h-1", "A", "behind", date(2027, 1, 31)), _line("h-2", "B", "behind",
           date(2027, 1, 15)), _line("h-3", "C", "on_track", date(2027, 2, 28))]  # fmt: skip
    chart = deadline_chart(two, AS_OF)
    january, february = chart.months[2], chart.months[3]
    assert january.total == 2 and january.segments[0].count == 2
    assert january.segments[0].height == 196.0  # the tallest: the whole plot, 260 - 24 - 40
    assert february.segments[0].height == 98.0 and february.segments[0].y == 122.0
    # Twelve slots of (720 - 16) / 12 units; each bar 62% of its slot, in its middle.
    first = chart.months[0]
    assert (first.x, first.width) == (19.15, 36.37)
    assert (chart.months[1].x, chart.months[11].x) == (77.81, 664.48)
    assert first.centre == pytest.approx(19.15 + 36.37 / 2)


def test_a_notice_of_an_unknown_kind_or_state_is_named_as_stored() -> None:
    chicago = ZoneInfo("America/Chicago")
    assert what(_sent("mystery", "7", "sent")) == "mystery"
    assert what(_sent("lapsed", "30", "sent")) == "Lapse notice"  # days only for the ladders
    assert outcome(_sent("deadline", "90", "mystery"), chicago) == ("mystery", None)
    late = datetime(2026, 11, 3, 3, tzinfo=UTC)
    # A failure recorded after a send (a bounce handled as a failure) is a failure.
    assert outcome(_sent("deadline", "90", "failed", sent_at=late), chicago) == (
        "Not delivered: the mail server refused it",
        False,
    )
    assert outcome(_sent("deadline", "90", "retry"), chicago) == (
        "Being retried: the mail server did not take it yet",
        None,
    )
    [line] = history([_sent("overdue", "30", "sent", sent_at=late)], chicago)
    assert line == NoticeLine("AAPC", "Overdue notice, 30 days after", "November 2, 2026",
                              "Sent on November 2, 2026", True)  # fmt: skip
