"""What an employer is alerted to and how it reads: pure functions of evaluations and lines."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from reminders.alerts.content import build_alert, told
from reminders.alerts.events import BEHIND, LAPSED, OVERDUE, Event, events_of, still_true
from reminders.digests.content import line_of
from reminders.rules.facts import Submitted
from reminders.rules.results import Evaluation
from tests.rules_helpers import d

AS_OF = d("2027-01-10")


def ev(
    status: str,
    cycle_end: str = "2027-03-31",
    body: str = "AAPC",
    unrenewed: str | None = None,
    days_left: int | None = None,
) -> Evaluation:
    end = d(cycle_end)
    return Evaluation(
        holder_id="h-1", body=body, credentials=("CPC",), cycle_start=date(2025, 4, 1),
        cycle_end=end, required=3600, earned=1000, remaining=2600, minimums=(), status=status,
        days_left=(end - AS_OF).days if days_left is None else days_left, version="aapc-2015",
        deadline=end + timedelta(days=90), required_stated=False, explanation=(),
        unrenewed=d(unrenewed) if unrenewed else None,
    )  # fmt: skip


def test_each_kind_is_an_event_keyed_by_its_cycle_and_dated_when_it_began() -> None:
    found = events_of(
        [
            ev("overdue", "2026-12-31"),
            ev("lapsed", "2026-06-30", body="AHIMA"),
            ev("behind", "2027-03-31", body="X"),
        ],
        AS_OF,
        behind_days=90,
    )
    assert found == [
        Event("AAPC", d("2026-12-31"), OVERDUE, d("2027-01-01")),
        Event("AHIMA", d("2026-06-30"), LAPSED, d("2026-09-29")),  # the day after the deadline
        Event("X", d("2027-03-31"), BEHIND, AS_OF),
    ]


def test_an_unrenewed_membership_is_the_date_missed() -> None:
    [event] = events_of([ev("overdue", "2027-12-31", unrenewed="2026-12-31")], AS_OF, 90)
    assert (event.cycle, event.happened_on) == (d("2026-12-31"), d("2027-01-01"))


def test_behind_is_news_only_near_the_deadline_and_the_rest_never() -> None:
    assert events_of([ev("behind", days_left=90)], AS_OF, 90) != []
    assert events_of([ev("behind", days_left=91)], AS_OF, 90) == []
    for status in ("on_track", "complete"):
        assert events_of([ev(status, days_left=10)], AS_OF, 90) == []


def test_an_event_holds_until_solved_or_turned_into_another() -> None:
    overdue = ev("overdue", "2026-12-31")
    assert still_true(OVERDUE, d("2026-12-31"), overdue)
    assert not still_true(OVERDUE, d("2026-12-31"), replace(overdue, status="complete"))
    assert not still_true(OVERDUE, d("2026-12-31"), replace(overdue, status="lapsed"))
    assert not still_true(OVERDUE, d("2025-12-31"), overdue), "another cycle's"
    assert not still_true(OVERDUE, d("2026-12-31"), None), "the body is gone"
    unrenewed = ev("overdue", "2027-12-31", unrenewed="2026-12-31")
    assert still_true(OVERDUE, d("2026-12-31"), unrenewed)
    assert not still_true(OVERDUE, d("2027-12-31"), unrenewed)
    behind = ev("behind")
    assert still_true(BEHIND, d("2027-03-31"), behind)
    # Behind is keyed by the cycle's end even beside an unrenewed membership date.
    assert still_true(BEHIND, d("2027-03-31"), replace(behind, unrenewed=d("2026-12-31")))
    assert not still_true(BEHIND, d("2027-03-31"), replace(behind, status="on_track"))
    # A digest's line answers the same as the evaluation it came from.
    assert still_true(OVERDUE, d("2026-12-31"), line_of("Ann", unrenewed))


def test_the_words_say_what_happened_when_and_what_it_takes() -> None:
    overdue = told(line_of("Ann Lee", ev("overdue", "2026-12-31")), OVERDUE, d("2027-01-01"))
    assert overdue.reasons == (
        "overdue since January 1, 2027",
        "26 of 36 CEUs still to earn",
        "revoked after March 31, 2027 unless completed",
    )
    membership = ev("overdue", "2027-12-31", unrenewed="2026-12-31")
    renewal = told(line_of("Ann Lee", membership), OVERDUE, d("2027-01-01"))
    assert renewal.reasons == (
        "overdue since January 1, 2027",
        "membership not renewed since December 31, 2026",
        "revoked after March 30, 2028 unless renewed",
    )
    said = replace(ev("behind"), submitted=Submitted(d("2027-01-05"), d("2027-02-04")))
    behind = told(line_of("Ann Lee", said, bouncing=d("2027-01-02")), BEHIND, AS_OF)
    assert behind.reasons == (
        "behind pace as of January 10, 2027",
        "26 of 36 CEUs still to earn",
        "due March 31, 2027 (in 80 days)",
        "self-reported as submitted on January 5, 2027, not yet confirmed",
        "address bouncing since January 2, 2027: reminders do not reach them",
    )
    lapsed = told(line_of("Bo Ek", ev("lapsed", "2026-06-30")), LAPSED, d("2026-09-29"))
    assert lapsed.reasons[0] == "lapsed: revoked since September 29, 2026"


def test_an_alert_puts_the_most_urgent_first_and_counts_each_kind() -> None:
    behind = told(line_of("Ann", ev("behind")), BEHIND, AS_OF)
    overdue = told(line_of("Zed", ev("overdue", "2026-12-31")), OVERDUE, AS_OF)
    lapsed = told(line_of("Max", ev("lapsed", "2026-06-30")), LAPSED, AS_OF)
    alert = build_alert("Acme", AS_OF, [behind, overdue, lapsed])
    assert [item.line.name for item in alert.items] == ["Max", "Zed", "Ann"]
    assert alert.counts == (("lapsed", 1), ("overdue", 1), ("behind", 1))
    assert alert.members == 1, "one holder id, h-1, in every line"
