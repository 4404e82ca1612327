"""A coder's word that the cycle is submitted (issue 15, part 3), as planning takes it: the
reminders of that cycle wait while the pause lasts; a lapse or a complete cycle is told anyway;
the employer digest says it is self-reported, not yet confirmed. Pure."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from reminders.digests.content import build_digest, line_of
from reminders.notices.planning import plan
from reminders.rules.facts import Submitted
from tests.rules_helpers import cred, d, holder, member, only
from tests.test_planning import LADDER, brief, ev, known


def _said(on: str, days: int = 30) -> Submitted:
    return Submitted(d(on), d(on) + timedelta(days=days))


def test_the_word_pauses_deadline_overdue_dues_and_pace_reminders_for_a_while() -> None:
    behind = replace(ev("behind", renews_on="2027-03-31"), submitted=_said("2026-12-20"))
    assert plan([behind], LADDER, d("2027-01-01"), {}).due == []  # 90-day rung and dues held
    assert plan([behind], LADDER, d("2027-01-18"), {}).due == []  # the pause's last day
    # The pause over, the most urgent rung that still applies goes out (the 90-day one).
    assert brief(plan([behind], LADDER, d("2027-01-19"), {}).due) == [
        ("deadline", "90", "2026-12-31")
    ]
    overdue = replace(ev("overdue"), submitted=_said("2027-04-01"))
    assert plan([overdue], LADDER, d("2027-04-02"), {}).due == []
    assert brief(plan([replace(overdue, submitted=None)], LADDER, d("2027-04-02"), {}).due) == [
        ("overdue", "1", "2027-04-01")
    ]


def test_the_word_never_holds_back_a_lapse_or_a_complete_cycle() -> None:
    lapsed = replace(ev("lapsed"), submitted=_said("2027-06-20", 60))
    assert [n.kind for n in plan([lapsed], LADDER, d("2027-06-30"), {}).due] == ["lapsed"]
    done = replace(ev("complete"), submitted=_said("2027-01-01"))
    assert [n.kind for n in plan([done], LADDER, d("2027-01-02"), {}).due] == ["complete"]
    # A shortfall reminder already sent does not come back early when the pause ends.
    behind = ev("behind")
    sent = plan([behind], LADDER, d("2027-02-20"), {}).due
    assert plan([behind], LADDER, d("2027-02-25"), known(*sent)).due == []


def test_the_digest_says_self_reported_not_yet_confirmed_until_the_records_settle_it() -> None:
    overdue = replace(ev("overdue"), days_left=-10, submitted=_said("2027-04-05"))
    line = line_of("Maria Alvarez", overdue)
    digest = build_digest("Org", "p", d("2027-04-10"), [line], [line])
    [flagged] = digest.exceptions
    assert flagged.reasons[-1] == "self-reported as submitted on April 5, 2027, not yet confirmed"
    complete = replace(overdue, status="complete", remaining=0)
    assert line_of("Maria Alvarez", complete).self_reported is None


def test_one_body_paused_leaves_the_others_to_their_reminders() -> None:
    paused = replace(ev("behind"), submitted=_said("2026-12-20"))
    other = ev("behind", body="AHIMA", cycle_end="2027-03-31")
    assert brief(plan([paused, other], LADDER, d("2027-01-01"), {}).due) == [
        ("deadline", "90", "2026-12-31")
    ]
    assert [n.body for n in plan([paused, other], LADDER, d("2027-01-01"), {}).due] == ["AHIMA"]


def test_the_word_reaches_the_evaluation_of_that_cycle_only() -> None:
    said = _said("2026-12-20")
    facts = holder([cred("CPC", "2015-01-10")], [], AAPC=member("2027-03-31"))
    mine = replace(facts, submitted={("AAPC", d("2027-03-31")): said})
    assert only(mine, "2026-12-21").submitted == said
    earlier = replace(facts, submitted={("AAPC", d("2025-03-31")): said})
    assert only(earlier, "2026-12-21").submitted is None
    assert only(facts, "2026-12-21").submitted is None
