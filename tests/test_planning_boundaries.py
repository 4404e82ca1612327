"""Notice planning on the days where one day more or less changes what goes out (a rung's own
day, the renewal day, the cycle's last day, a notice's expiry), with holders an organisation
owns, and with several bodies at once. Found untested by `make mutation` (docs/mutation.md).
"""

from __future__ import annotations

from dataclasses import replace

from reminders.notices.ladder import BodyLadder, Ladder
from reminders.notices.planning import plan
from tests.rules_helpers import d
from tests.test_planning import LADDER, brief, ev, known

# AAPC's ladder without rungs before the due date: shortfall notices alone, near the end too.
NO_RUNGS = Ladder(
    shortfall_interval_days=30,
    lapsed_valid_days=30,
    bodies={"AAPC": BodyLadder(before=(), after=(1,), ceu_page="https://aapc.example")},
)


def test_the_notices_of_an_organisations_holder_carry_it_in_their_keys() -> None:
    """Two organisations may both have an h-1: each kind's key names the owner."""
    owned = [replace(ev("behind"), owner="org3")]
    deadline = plan(owned, LADDER, d("2027-01-01"), {}).due
    shortfall = plan(owned, LADDER, d("2026-06-01"), {}).due
    complete = plan([replace(ev("complete"), owner="org3")], LADDER, d("2026-06-01"), {}).due
    assert [n.key for n in deadline + shortfall + complete] == [
        "org3:h-1|AAPC|2027-03-31|deadline|90",
        "org3:h-1|AAPC|2027-03-31|shortfall|2026-06-01",
        "org3:h-1|AAPC|2027-03-31|complete|cycle",
    ]
    # The organisation's own deadline notice stands in for the interval's shortfall.
    assert plan(owned, LADDER, d("2027-01-02"), known(*deadline)).due == []


def test_a_body_without_a_ladder_leaves_the_next_body_planned() -> None:
    other = replace(ev("on_track"), body="ABC")  # no ladder: no notices of its own
    result = plan([other, ev("on_track")], LADDER, d("2027-01-01"), {})
    assert [(n.body, n.kind) for n in result.due] == [("AAPC", "deadline")]


def test_one_bodys_deadline_notice_does_not_silence_anothers_shortfall() -> None:
    aapc = ev("on_track")  # 90 days before 2027-03-31: a deadline notice
    ahima = ev("behind", cycle_end="2028-01-31", body="AHIMA")
    result = plan([aapc, ahima], LADDER, d("2027-01-01"), {})
    assert [(n.body, n.kind) for n in result.due] == [("AAPC", "deadline"), ("AHIMA", "shortfall")]


def test_kinds_a_holder_does_not_want_are_neither_sent_nor_recorded_as_skipped() -> None:
    # After a gap, on 2027-03-20: the 15-day rung is due, the 90 and 45 skipped.
    deadline_only = plan([ev("on_track")], LADDER, d("2027-03-20"), {}, frozenset({"deadline"}))
    assert brief(deadline_only.due) == [("deadline", "15", "2027-03-16")]
    assert [n.rung for n in deadline_only.skipped] == ["90", "45"]
    none = plan([ev("on_track")], LADDER, d("2027-03-20"), {}, frozenset({"shortfall"}))
    assert (none.due, none.skipped) == ([], [])


def test_no_notice_is_planned_on_its_expiry_day() -> None:
    """The deadline rungs expire the day after the cycle's end: an evaluation still on track
    then (the day it is planned for is past its end) gets nothing."""
    assert plan([ev("on_track")], LADDER, d("2027-04-01"), {}).due == []
    assert brief(plan([ev("on_track")], LADDER, d("2027-03-31"), {}).due) == [
        ("deadline", "15", "2027-03-16")
    ]


def test_a_ladder_without_rungs_before_the_due_date_plans_no_deadline_notice() -> None:
    assert plan([ev("on_track")], NO_RUNGS, d("2027-03-20"), {}).due == []


def test_a_shortfall_notice_expires_with_its_interval_or_the_cycle() -> None:
    [mid] = plan([ev("behind")], NO_RUNGS, d("2026-06-01"), {}).due
    assert (mid.kind, mid.expires_on) == ("shortfall", d("2026-07-01"))  # 30 days on
    [late] = plan([ev("behind")], NO_RUNGS, d("2027-03-20"), {}).due
    assert (late.kind, late.expires_on) == ("shortfall", d("2027-04-01"))  # the cycle's end


def test_the_lapse_notice_may_go_out_for_30_days() -> None:
    """Lapsed after a deadline of 2027-06-29: the notice is due 2027-06-30 and may go out
    until 30 days on; on 2027-07-30 it has expired."""
    lapsed = ev("lapsed")
    [notice] = plan([lapsed], LADDER, d("2027-07-29"), {}).due
    assert (notice.kind, notice.due_on, notice.expires_on) == (
        "lapsed", d("2027-06-30"), d("2027-07-30"),
    )  # fmt: skip
    assert plan([lapsed], LADDER, d("2027-07-30"), {}).due == []


def test_the_complete_notice_goes_out_until_the_cycles_last_day() -> None:
    [notice] = plan([ev("complete")], LADDER, d("2027-03-31"), {}).due
    assert (notice.kind, notice.expires_on) == ("complete", d("2027-04-01"))
    assert plan([ev("complete")], LADDER, d("2027-04-01"), {}).due == []


def test_the_dues_notice_from_its_rungs_day_through_the_renewal_day() -> None:
    """Dues 30 days before a renewal on 2026-08-15: from 2026-07-16 through 2026-08-15."""
    renewing = ev("on_track", renews_on="2026-08-15")
    assert plan([renewing], LADDER, d("2026-07-15"), {}).due == []
    [first] = plan([renewing], LADDER, d("2026-07-16"), {}).due
    assert (first.kind, first.due_on, first.expires_on) == (
        "dues", d("2026-07-16"), d("2026-08-16"),
    )  # fmt: skip
    [last] = plan([renewing], LADDER, d("2026-08-15"), {}).due
    assert last.key == first.key
    assert plan([renewing], LADDER, d("2026-08-16"), {}).due == []


def test_a_ladder_without_dues_rungs_sends_no_dues_notice() -> None:
    renewing = ev("on_track", renews_on="2026-08-15")
    assert plan([renewing], NO_RUNGS, d("2026-08-01"), {}).due == []


def test_an_unrenewed_membership_has_its_own_overdue_rungs_and_lapse() -> None:
    """Renewal due 2025-02-28 and not made, while the CEU cycle runs to 2026-02-28: the rungs
    after the due date count from the renewal, and the keys name it (one missed renewal, one
    set of notices)."""
    missed = replace(
        ev("overdue", cycle_end="2026-02-28"), unrenewed=d("2025-02-28"), deadline=d("2025-05-29")
    )
    [first] = plan([missed], LADDER, d("2025-03-01"), {}).due
    assert (first.rung, first.due_on, first.expires_on, first.key) == (
        "1", d("2025-03-01"), d("2025-03-30"), "h-1|AAPC|2025-02-28|overdue|1",
    )  # fmt: skip
    [lapse] = plan([replace(missed, status="lapsed")], LADDER, d("2025-05-30"), {}).due
    assert (lapse.due_on, lapse.key) == (d("2025-05-30"), "h-1|AAPC|2025-02-28|lapsed|lapse")
