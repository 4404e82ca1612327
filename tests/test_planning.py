"""Notice planning: the ladder, catch-up after a gap, keys, and each kind's once-only rules."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from reminders.notices.ladder import BodyLadder, Ladder, load_ladder
from reminders.notices.planning import ONE_DAY, Known, Notice, plan
from reminders.notices.preferences import Ladders, kinds_for, wanted
from reminders.resources import config_dir
from reminders.rules.results import Evaluation
from tests.rules_helpers import d, examples

LADDER = load_ladder(config_dir() / "notices.yaml")


def ev(
    status: str,
    cycle_end: str = "2027-03-31",
    body: str = "AAPC",
    renews_on: str | None = None,
    days_after: int = 90,
) -> Evaluation:
    end = d(cycle_end)
    return Evaluation(
        holder_id="h-1", body=body, credentials=("CPC",), cycle_start=date(2025, 4, 1),
        cycle_end=end, required=3600, earned=1000, remaining=2600, minimums=(), status=status,
        days_left=0, version="aapc-2015", deadline=end + timedelta(days=days_after),
        required_stated=False, explanation=(), renews_on=d(renews_on) if renews_on else None,
    )  # fmt: skip


def known(*notices: Notice) -> dict[str, Known]:
    return {n.key: Known(n.key, n.due_on) for n in notices}


def test_a_recent_deadline_notice_stands_in_for_the_shortfall() -> None:
    deadline = plan([ev("behind")], LADDER, d("2027-01-01"), {}).due
    assert plan([ev("behind")], LADDER, d("2027-01-02"), known(*deadline)).due == []
    later = plan([ev("behind")], LADDER, d("2027-02-01"), known(*deadline)).due
    assert brief(later) == [("shortfall", "2027-02-01", "2027-02-01")]


def brief(notices: list[Notice]) -> list[tuple[str, str, str]]:
    return [(n.kind, n.rung, n.due_on.isoformat()) for n in notices]


def test_the_first_rung_falls_due_90_days_before() -> None:
    result = plan([ev("behind")], LADDER, d("2027-01-01"), {})
    # 2027-03-31 - 90 days = 2026-12-31; the deadline notice carries the shortfall's numbers.
    assert brief(result.due) == [("deadline", "90", "2026-12-31")]
    assert result.skipped == []
    [notice] = result.due
    assert notice.key == "h-1|AAPC|2027-03-31|deadline|90"
    assert notice.expires_on == d("2027-02-14")  # the 45-day rung's day


def test_after_a_gap_only_the_most_urgent_rung_goes_out() -> None:
    result = plan([ev("on_track")], LADDER, d("2027-03-20"), {})
    assert brief(result.due) == [("deadline", "15", "2027-03-16")]
    assert brief(result.skipped) == [
        ("deadline", "90", "2026-12-31"),
        ("deadline", "45", "2027-02-14"),
    ]


def test_a_rung_already_known_is_not_planned_again() -> None:
    first = plan([ev("on_track")], LADDER, d("2027-03-20"), {})
    again = plan([ev("on_track")], LADDER, d("2027-03-25"), known(*first.due, *first.skipped))
    assert again.due == [] and again.skipped == []


def test_changing_the_ladder_does_not_resend_a_rung() -> None:
    sent = plan([ev("on_track")], LADDER, d("2027-01-05"), {}).due  # the 90-day rung
    changed = Ladder(
        shortfall_interval_days=30, lapsed_valid_days=30,
        bodies={"AAPC": BodyLadder(before=(90, 60, 15), after=(1,), ceu_page="https://aapc.example")},
    )  # fmt: skip
    on_day_89 = plan([ev("on_track")], changed, d("2027-01-06"), known(*sent))
    assert on_day_89.due == []
    on_day_58 = plan([ev("on_track")], changed, d("2027-02-01"), known(*sent))
    assert brief(on_day_58.due) == [("deadline", "60", "2027-01-30")]


def test_a_new_cycle_has_new_keys() -> None:
    old = plan([ev("on_track", "2025-03-31")], LADDER, d("2025-01-01"), {}).due
    new = plan([ev("on_track", "2027-03-31")], LADDER, d("2027-01-01"), known(*old)).due
    assert [n.key for n in new] == ["h-1|AAPC|2027-03-31|deadline|90"]


def test_overdue_rungs_run_until_revocation() -> None:
    # Due 2025-03-31; 31 days later the 30-day rung is due, the 1-day one is skipped.
    result = plan([ev("overdue", "2025-03-31")], LADDER, d("2025-05-01"), {})
    assert brief(result.due) == [("overdue", "30", "2025-04-30")]
    assert brief(result.skipped) == [("overdue", "1", "2025-04-01")]
    assert result.due[0].expires_on == d("2025-06-14")  # the final, 75-day rung


def test_ahima_overdue_rungs_fit_its_180_days() -> None:
    result = plan(
        [ev("overdue", "2026-08-29", "AHIMA", days_after=180)], LADDER, d("2027-02-15"), {}
    )
    assert brief(result.due) == [("overdue", "165", "2027-02-10")]
    assert result.due[0].expires_on == d("2027-02-26")  # the day after revocation


def test_lapse_is_told_once_and_not_months_later() -> None:
    lapsed = ev("lapsed", "2025-03-31")  # window closed 2025-06-29
    result = plan([lapsed], LADDER, d("2025-07-02"), {})
    assert brief(result.due) == [("lapsed", "lapse", "2025-06-30")]
    assert plan([lapsed], LADDER, d("2025-07-03"), known(*result.due)).due == []
    assert plan([lapsed], LADDER, d("2025-08-15"), {}).due == []  # expired on 2025-07-30


def test_complete_is_told_once_per_cycle() -> None:
    result = plan([ev("complete")], LADDER, d("2026-11-24"), {})
    assert brief(result.due) == [("complete", "cycle", "2026-11-24")]
    assert plan([ev("complete")], LADDER, d("2026-12-24"), known(*result.due)).due == []


def test_dues_before_each_renewal() -> None:
    result = plan([ev("complete", renews_on="2027-03-31")], LADDER, d("2027-03-05"), {})
    assert brief(result.due) == [("dues", "30", "2027-03-01"), ("complete", "cycle", "2027-03-05")]
    assert result.due[0].key == "h-1|AAPC|2027-03-31|dues|30"


def test_shortfall_at_most_once_per_interval() -> None:
    first = plan([ev("behind")], LADDER, d("2026-11-10"), {}).due
    assert brief(first) == [("shortfall", "2026-11-10", "2026-11-10")]
    assert plan([ev("behind")], LADDER, d("2026-11-24"), known(*first)).due == []
    later = plan([ev("behind")], LADDER, d("2026-12-10"), known(*first)).due
    assert brief(later) == [("shortfall", "2026-12-10", "2026-12-10")]


def test_nothing_for_a_coder_on_track_between_rungs() -> None:
    assert plan([ev("on_track")], LADDER, d("2026-11-24"), {}).due == []


def test_notices_of_two_bodies_come_most_pressing_first() -> None:
    result = plan(
        [ev("complete"), ev("overdue", "2026-08-29", "AHIMA", days_after=180)],
        LADDER,
        d("2026-11-24"),
        {},
    )
    assert [(n.body, n.kind) for n in result.due] == [("AHIMA", "overdue"), ("AAPC", "complete")]


def _walk(level: str, status: str, days: list[str]) -> list[tuple[str, str, str]]:
    """Plan every day in turn as the daemon would, remembering what went out."""
    ladders = Ladders(LADDER)
    sent: dict[str, Known] = {}
    out = []
    for day in days:
        due = plan([ev(status)], ladders[level], d(day), sent, kinds_for(level)).due
        sent |= known(*due)
        out += brief(due)
    return out


MONTHS = [f"{year}-{month:02d}-{day:02d}" for year, month in ((2026, 12), (2027, 1), (2027, 2),
          (2027, 3), (2027, 4), (2027, 5), (2027, 6)) for day in (1, 8, 15, 22, 28)]  # fmt: skip


def test_fewer_keeps_the_first_and_the_final_rung_and_slows_the_shortfall_notes() -> None:
    every = _walk("all", "behind", MONTHS)
    fewer = _walk("fewer", "behind", MONTHS)
    assert [n for n in every if n[0] == "deadline"] == [
        ("deadline", "90", "2026-12-31"), ("deadline", "45", "2027-02-14"),
        ("deadline", "15", "2027-03-16"),
    ]  # fmt: skip
    assert [n for n in fewer if n[0] == "deadline"] == [
        ("deadline", "90", "2026-12-31"), ("deadline", "15", "2027-03-16"),
    ]  # fmt: skip
    assert len([n for n in fewer if n[0] == "shortfall"]) < len(
        [n for n in every if n[0] == "shortfall"]
    )


def test_final_keeps_only_the_last_notice_before_and_after_a_due_date() -> None:
    before = _walk("final", "behind", MONTHS)
    assert before == [("deadline", "15", "2027-03-16")]  # no shortfall notes either
    after = _walk("final", "overdue", ["2027-04-01", "2027-05-01", "2027-06-15", "2027-06-25"])
    assert after == [("overdue", "75", "2027-06-14")]  # AAPC's last warning before revocation
    assert _walk("final", "complete", ["2027-01-01"]) == []


def test_a_notice_planned_before_the_choice_is_kept_only_if_still_wanted() -> None:
    ladders = Ladders(LADDER)
    assert wanted("deadline", "15", "AAPC", ladders["final"], "final")
    assert not wanted("deadline", "90", "AAPC", ladders["final"], "final")
    assert not wanted("shortfall", "2027-01-01", "AAPC", ladders["final"], "final")
    assert wanted("deadline", "90", "AAPC", ladders["fewer"], "fewer")
    assert not wanted("deadline", "45", "AAPC", ladders["fewer"], "fewer")
    assert all(
        wanted(kind, "45", "AAPC", ladders["all"], "all") for kind in ("deadline", "complete")
    )


# The ladder replayed day by day (hypothesis): whatever the rungs and whatever day the scans
# begin, each rung goes out on its own day (or, for rungs already past when the scans begin,
# only the most urgent of them, at once), never twice, and each expires the day the next one
# falls due. A comparison one off at a rung's day or its expiry changes one of these.

RUNGS = st.lists(st.integers(1, 120), min_size=1, max_size=5, unique=True)


def _replay(
    evaluation: Evaluation, ladder: Ladder, first: date, last: date
) -> tuple[dict[str, tuple[date, Notice]], set[str]]:
    """Plan every day from `first` to `last`, recording what goes out (as a scan does):
    {key: (the day it went, the notice)}, and the keys skipped."""
    sent: dict[str, tuple[date, Notice]] = {}
    skipped: set[str] = set()
    day = first
    while day <= last:
        seen = {k: Known(k, n.due_on) for k, (_, n) in sent.items()}
        seen |= {k: Known(k, day) for k in skipped}
        result = plan([evaluation], ladder, day, seen)
        for notice in result.due:
            assert notice.key not in sent, (notice, day)
            sent[notice.key] = (day, notice)
        skipped |= {n.key for n in result.skipped}
        day += timedelta(days=1)
    return sent, skipped


@settings(max_examples=examples(60), deadline=None)
@given(before=RUNGS, late=st.integers(0, 130))
def test_each_rung_before_the_due_date_goes_out_on_its_day_once(
    before: list[int], late: int
) -> None:
    rungs = sorted(before, reverse=True)
    ladder = _one_body_ladder(before=tuple(rungs))
    evaluation = ev("on_track")
    end = evaluation.cycle_end
    first = end - timedelta(days=max(rungs) + 5) + timedelta(days=late)
    sent, skipped = _replay(evaluation, ladder, first, end + timedelta(days=3))
    due = {days: end - timedelta(days=days) for days in rungs}
    expected = {days: day for days, day in due.items() if day >= first}
    passed = [days for days, day in due.items() if day < first]  # gone by the first scan
    skipped_rungs = set(passed)
    if passed and not any(day == first for day in due.values()) and first <= end:
        expected[min(passed)] = first  # the most urgent of them, at once
        skipped_rungs.discard(min(passed))
    if first > end:
        expected, skipped_rungs = {}, set()  # nothing before a due date that has gone
    assert {int(n.rung): day for day, n in sent.values()} == expected
    for _, notice in sent.values():
        position = rungs.index(int(notice.rung))
        following = rungs[position + 1] if position + 1 < len(rungs) else None
        assert notice.due_on == due[int(notice.rung)]
        assert notice.expires_on == (end + timedelta(days=1) if following is None
                                     else due[following])  # fmt: skip
    assert {int(k.split("|")[-1]) for k in skipped} == skipped_rungs


@settings(max_examples=examples(40), deadline=None)
@given(after=RUNGS, window=st.integers(1, 150))
def test_each_overdue_rung_goes_out_on_its_day_until_revocation(
    after: list[int], window: int
) -> None:
    ladder = _one_body_ladder(after=tuple(after))
    evaluation = ev("overdue", days_after=window)
    end = evaluation.cycle_end
    sent, skipped = _replay(evaluation, ladder, end + timedelta(days=1), end + timedelta(200))
    inside = sorted(days for days in after if days <= window)
    assert {int(n.rung): day for day, n in sent.values()} == {
        days: end + timedelta(days=days) for days in inside
    }
    assert not skipped
    for _, notice in sent.values():
        later = [days for days in inside if days > int(notice.rung)]
        expiry = end + timedelta(days=min(later)) if later else evaluation.deadline + ONE_DAY
        assert notice.expires_on == expiry


def _one_body_ladder(before: tuple[int, ...] = (90,), after: tuple[int, ...] = (1,)) -> Ladder:
    aapc = LADDER.bodies["AAPC"].model_copy(
        update={"before": before, "after": tuple(sorted(after, reverse=True)), "dues_before": ()}
    )
    return LADDER.model_copy(update={"bodies": {"AAPC": aapc}})
