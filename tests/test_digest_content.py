"""The digest's pure core: when a digest is due in the subscriber's time zone, and what it says
given what its members look like now and what the previous digest showed."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from reminders.digests.content import Line, build_digest, csv_bytes, dump_lines, load_lines
from reminders.digests.schedule import latest_period, title_of
from reminders.mail.render import Renderer
from reminders.resources import templates_dir

NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")


def _utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "expected_day"),
    [
        (_utc(2026, 11, 30, 12, 59), date(2026, 11, 23)),  # 07:59 EST on Monday: not yet
        (_utc(2026, 11, 30, 13, 0), date(2026, 11, 30)),  # 08:00 EST
        (_utc(2026, 12, 6, 23, 0), date(2026, 11, 30)),  # Sunday evening
        # The Monday after clocks go back (1 November 2026): 08:00 EST is 13:00 UTC...
        (_utc(2026, 11, 2, 12, 30), date(2026, 10, 26)),
        (_utc(2026, 11, 2, 13, 0), date(2026, 11, 2)),
        # ...and after they go forward (8 March 2026): 08:00 EDT is 12:00 UTC.
        (_utc(2026, 3, 9, 11, 59), date(2026, 3, 2)),
        (_utc(2026, 3, 9, 12, 0), date(2026, 3, 9)),
    ],
)
def test_a_weekly_digest_is_due_at_eight_on_monday_in_the_subscribers_zone(
    now: datetime, expected_day: date
) -> None:
    period = latest_period("weekly", NEW_YORK, now)
    assert period.day == expected_day
    assert period.day.weekday() == 0
    assert period.moment.astimezone(NEW_YORK).hour == 8
    assert period.moment <= now


def test_a_monthly_digest_is_due_on_the_first_at_eight_local_time() -> None:
    # 08:00 on 1 December in Sydney (UTC+11 in summer) is 21:00 UTC on 30 November.
    assert latest_period("monthly", SYDNEY, _utc(2026, 11, 30, 20, 59)).label == "2026-11"
    period = latest_period("monthly", SYDNEY, _utc(2026, 11, 30, 21, 0))
    assert (period.label, period.next_day) == ("2026-12", date(2027, 1, 1))
    january = latest_period("monthly", NEW_YORK, _utc(2027, 1, 1, 13, 0))
    assert (january.label, january.title) == ("2027-01", "January 2027")
    assert latest_period("monthly", NEW_YORK, _utc(2027, 1, 1, 12, 59)).label == "2026-12"


def test_periods_have_stable_labels_and_readable_titles() -> None:
    period = latest_period("weekly", NEW_YORK, _utc(2027, 1, 4, 15, 0))
    assert (period.label, period.title) == ("2027-W01", "week of January 4, 2027")
    assert title_of("2026-W49") == "week of November 30, 2026"
    assert period.next_day == date(2027, 1, 11)


def test_the_schedule_refuses_what_it_cannot_place() -> None:
    with pytest.raises(ValueError, match="frequency"):
        latest_period("daily", NEW_YORK, _utc(2026, 11, 30, 12))
    with pytest.raises(ValueError, match="aware"):
        latest_period("weekly", NEW_YORK, datetime(2026, 11, 30, 12))


AS_OF = date(2026, 11, 30)


def _line(
    holder: str, status: str, earned: int = 1_000, days_left: int = 200, body: str = "AAPC",
    name: str | None = None, cycle_end: date = date(2027, 6, 18),
) -> Line:  # fmt: skip
    return Line(
        holder, name or f"Name {holder}", body, ("CPC",), status, 3_600, earned,
        max(3_600 - earned, 0), cycle_end, days_left,
    )  # fmt: skip


def test_the_first_digest_lists_everyone_in_trouble_and_nothing_as_changed() -> None:
    lines = [
        _line("h-1", "complete", 3_600),
        _line("h-2", "behind", 500, days_left=45),
        _line("h-3", "lapsed", days_left=-300),
        _line("h-4", "on_track", 2_000, days_left=30),
        _line("h-5", "on_track", 2_000),
    ]
    digest = build_digest("Org", "week of November 30, 2026", AS_OF, lines, None)
    assert digest.first and not digest.quiet
    assert [line.holder_id for line in digest.lines] == ["h-3", "h-2", "h-4", "h-5", "h-1"]
    assert [(f.line.holder_id, f.reasons) for f in digest.exceptions] == [
        ("h-3", ("lapsed",)),
        ("h-2", ("behind", "due in 45 days")),
        ("h-4", ("due in 30 days",)),
    ]
    assert digest.newly_complete == () and digest.changes == ()
    assert dict(digest.counts) == {
        "lapsed": 1, "overdue": 0, "behind": 1, "on_track": 2, "complete": 1,
    }  # fmt: skip
    assert digest.members == 5


def test_the_next_digest_tells_what_changed_since_the_previous_one() -> None:
    previous = [
        _line("h-1", "on_track", 3_000),
        _line("h-2", "on_track", 1_000),
        _line("h-3", "behind", 500),
        _line("h-4", "on_track", 2_000),
        _line("h-9", "on_track", 2_000, name="Left Behind"),
    ]
    now = [
        _line("h-1", "complete", 3_600),
        _line("h-2", "behind", 1_000),
        _line("h-3", "behind", 500),  # still behind: not news, not an exception
        _line("h-4", "on_track", 2_000),  # unchanged
        _line("h-5", "overdue", 100, days_left=-3),  # joined the team, overdue
    ]
    digest = build_digest("Org, Team", "week of December 7, 2026", AS_OF, now, previous)
    assert not digest.first
    assert [(f.line.holder_id, f.reasons) for f in digest.exceptions] == [
        ("h-5", ("newly overdue",)),
        ("h-2", ("newly behind",)),
    ]
    assert [line.holder_id for line in digest.newly_complete] == ["h-1"]
    assert [(c.line.holder_id, c.what) for c in digest.changes] == [
        ("h-5", "newly listed"),
        ("h-2", "on track → behind"),
        ("h-1", "+6 CEUs, on track → complete"),
        ("h-9", "no longer listed"),
    ]


def test_a_new_cycle_is_a_change_and_not_a_gain() -> None:
    before = [_line("h-1", "complete", 3_600, cycle_end=date(2026, 11, 29))]
    after = [_line("h-1", "on_track", 0, cycle_end=date(2028, 11, 30))]
    digest = build_digest("Org", "p", AS_OF, after, before)
    assert [c.what for c in digest.changes] == [
        "new cycle, due November 30, 2028, complete → on track"
    ]


def test_a_week_without_news_is_quiet() -> None:
    lines = [_line("h-1", "on_track", 2_000), _line("h-2", "complete", 3_600)]
    digest = build_digest("Org", "p", AS_OF, lines, lines)
    assert digest.quiet
    assert digest.exceptions == () and digest.changes == () and digest.newly_complete == ()


def test_what_a_digest_showed_is_kept_exactly() -> None:
    lines = [
        _line("h-1", "behind", 1_234, name="Zoë «Ünïcode» O'Brien"),
        replace(_line("h-2", "overdue", days_left=300), unrenewed=date(2026, 10, 31)),
        replace(_line("h-3", "complete", 3_600), bouncing=date(2026, 11, 2)),
    ]
    assert load_lines(dump_lines(lines)) == lines


def test_a_membership_not_renewed_is_listed_as_such_until_it_is() -> None:
    """Overdue with 300 days left on the CEU cycle: the reason has to be said, or the line
    contradicts itself."""
    unrenewed = replace(
        _line("h-2", "overdue", days_left=300),
        unrenewed=date(2026, 10, 31),
        deadline=date(2027, 1, 29),
    )
    digest = build_digest("Org", "p", AS_OF, [unrenewed], [unrenewed])
    assert [f.reasons for f in digest.exceptions] == [
        ("overdue", "membership not renewed since October 31, 2026",
         "revoked after January 29, 2027 unless renewed"),
    ]  # fmt: skip
    [row] = csv.DictReader(io.StringIO(csv_bytes([unrenewed]).decode("utf-8-sig")))
    assert (row["status"], row["days_left"], row["days_overdue"], row["unrenewed_since"]) == (
        "overdue", "300", "", "2026-10-31",
    )  # fmt: skip
    renewed = replace(unrenewed, status="on_track", unrenewed=None, deadline=None)
    assert build_digest("Org", "p", AS_OF, [renewed], [unrenewed]).exceptions == ()


def test_an_address_that_bounces_is_listed_whatever_the_status_until_it_is_fixed() -> None:
    """A complete or on-track coder whose mail bounces gets no reminder of the next deadline:
    the employer is the one who can correct the address."""
    bouncing = [
        replace(_line("h-1", "complete", 3_600), bouncing=date(2026, 11, 2)),
        replace(_line("h-2", "behind", 500, days_left=45), bouncing=date(2026, 11, 30)),
    ]
    digest = build_digest("Org", "p", AS_OF, bouncing, bouncing)
    assert [(f.line.holder_id, f.reasons) for f in digest.exceptions] == [
        ("h-2", ("due in 45 days",
                 "address bouncing since November 30, 2026: reminders do not reach them")),
        ("h-1", ("address bouncing since November 2, 2026: reminders do not reach them",)),
    ]  # fmt: skip
    assert not digest.quiet
    rows = list(csv.DictReader(io.StringIO(csv_bytes(bouncing).decode("utf-8-sig"))))
    assert [row["bouncing_since"] for row in rows] == ["2026-11-02", "2026-11-30"]
    fixed = [replace(line, bouncing=None) for line in bouncing]
    assert [
        f.line.holder_id for f in build_digest("Org", "p", AS_OF, fixed, bouncing).exceptions
    ] == ["h-2"]


def test_the_csv_opens_in_a_spreadsheet_with_every_line_and_no_formulas() -> None:
    lines = [
        _line("h-1", "behind", 1_250, name="Zoë Ørsted"),
        _line("=HYPERLINK(1)", "on_track", 0, name="+cmd|' /C calc'!A0"),
        _line("h-3", "on_track", 0, name='\uff1dHYPERLINK("x")'),  # a full-width "="
    ]
    data = csv_bytes(lines)
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads UTF-8
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0] == {
        "holder_id": "h-1", "name": "Zoë Ørsted", "email": "", "teams": "", "body": "AAPC",
        "credentials": "CPC", "status": "behind", "required": "36", "earned": "12.5",
        "remaining": "23.5", "unmet_minimums": "", "cycle_end": "2027-06-18",
        "days_left": "200", "days_overdue": "", "revoked_after": "", "last_ceu_on": "",
        "unrenewed_since": "",
        "bouncing_since": "",
        "self_reported_on": "",
    }  # fmt: skip
    assert rows[1]["holder_id"] == "'=HYPERLINK(1)"
    assert rows[1]["name"].startswith("'+")
    assert rows[2]["name"].startswith("'\uff1d")


def _render(lines: list[Line], previous: list[Line] | None) -> tuple[str, str, str]:
    digest = build_digest("Riverside Health", "week of November 30, 2026", AS_OF, lines, previous)
    rendered = Renderer(templates_dir()).render_digest(
        digest, "lead@example.org", "weekly", "https://r.example/u/token"
    )
    return rendered.subject, rendered.text, rendered.html


def test_the_rendered_digest_puts_the_exceptions_first() -> None:
    lines = [_line("h-1", "on_track", 2_000), _line("h-2", "behind", 500, name="Bea <b>Old")]
    subject, text, html = _render(lines, [_line("h-2", "on_track", 500, name="Bea <b>Old")])
    assert subject == ("Riverside Health: CEU compliance, week of November 30, 2026: 1 to act on")
    assert (
        text.index("NEEDS ATTENTION (1)")
        < text.index("CHANGED SINCE")
        < text.index("EVERYONE, MOST URGENT FIRST")
    )
    assert "Bea <b>Old (h-2), AAPC CPC: newly behind." in text
    assert "Bea &lt;b&gt;Old" in html and "Bea <b>Old" not in html
    assert html.index("Needs attention") < html.index("Everyone, most urgent first")
    assert "https://r.example/u/token" in text and "https://r.example/u/token" in html


def test_a_quiet_week_and_an_empty_team_each_say_so_in_one_line() -> None:
    lines = [_line("h-1", "on_track", 2_000)]
    subject, text, _ = _render(lines, lines)
    assert subject.endswith("(nothing new)")
    assert "Nothing new since the last digest, and nobody needs attention." in text
    assert "NEEDS ATTENTION" not in text
    subject, text, html = _render([], [])
    assert subject.endswith("(no members)")
    assert "Nobody is in Riverside Health yet" in text
    assert "EVERYONE" not in text and "<table" not in html


def test_overdue_and_lapsed_stay_listed_with_the_revocation_date_until_solved() -> None:
    overdue = replace(_line("h-1", "overdue", 500, days_left=-120), deadline=date(2027, 2, 25))
    lapsed = replace(_line("h-2", "lapsed", 500, days_left=-300), deadline=date(2026, 8, 31))
    previous = [overdue, lapsed, _line("h-3", "on_track", 2_000)]
    now = [overdue, lapsed, replace(_line("h-3", "overdue", 2_000), deadline=date(2027, 5, 1))]
    digest = build_digest("Org", "January 2027", AS_OF, now, previous)
    assert [(f.line.holder_id, f.reasons) for f in digest.exceptions] == [
        ("h-2", ("lapsed", "revoked since September 1, 2026")),
        ("h-1", ("overdue", "revoked after February 25, 2027 unless completed")),
        ("h-3", ("newly overdue", "revoked after May 1, 2027 unless completed")),
    ]
    assert not digest.quiet
    solved = replace(overdue, status="complete", earned=3_600, remaining=0)
    after = build_digest("Org", "February 2027", AS_OF, [solved, lapsed], now)
    assert [f.line.holder_id for f in after.exceptions] == ["h-2"]


def test_a_digest_stored_before_the_revocation_date_was_kept_still_loads() -> None:
    stored = '[["h-1","Name","AAPC",["CPC"],"overdue",3600,500,3100,"2026-08-31",-93]]'
    [line] = load_lines(stored)
    assert (line.status, line.deadline) == ("overdue", None)
    kept = replace(
        line, deadline=date(2027, 2, 25), email="a@example.org", teams=("HIM", "Coding"),
        unmet=("auditing: 1 of 16",), last_ceu_on=date(2026, 1, 5),
    )  # fmt: skip
    assert load_lines(dump_lines([kept])) == [kept]
