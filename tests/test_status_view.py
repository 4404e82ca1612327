"""The personal status page's content, pure: every CEU's fate in the cycle shown, and the
notices still to come. Cases from the rules reference, each reason written out by hand."""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import date

from reminders.notices.ladder import load_ladder
from reminders.notices.preferences import ladder_for
from reminders.notices.status_view import holder_view
from reminders.notices.upcoming import Upcoming, upcoming
from reminders.resources import config_dir
from reminders.rules.evaluate import evaluate
from reminders.rules.facts import HolderFacts
from reminders.rules.ledger import ledger, outside
from tests.rules_helpers import RULES, ceu, cred, d, holder, member, only

LADDER = load_ladder(config_dir() / "notices.yaml")


def _fates(facts: HolderFacts, as_of: str) -> list[tuple[str, bool, str]]:
    e = only(facts, as_of)
    words = functools.partial(RULES.category_words, "AAPC")
    return [
        (str(line.ceu.completed_on), line.counts, line.why)
        for line in ledger(facts, e, d(as_of), words)
    ]


def test_each_ceu_says_whether_it_counts_and_why_not() -> None:
    """Certified 2025-09-20 (AAPC states the pro-rated 27), as of 2026-11-24 (§4.2, §4.3)."""
    facts = holder(
        [cred("CPC", "2025-09-20")],
        [
            ceu("2025-03-12", 1),  # before certification
            ceu("2025-11-05", 2),
            ceu("2026-06-01", 10),
            ceu("2026-12-15", 3),  # after the day of the evaluation
            ceu("2027-03-01", 2, bodies="AHIMA"),  # for another body: not AAPC's
        ],
        AAPC=member("2027-01-31", cycle_ends_on="2027-01-31", required=27),
    )
    assert _fates(facts, "2026-11-24") == [
        ("2026-12-15", False, "dated after today: it counts from that day"),
        ("2026-06-01", True, ""),
        ("2025-11-05", True, ""),
        ("2025-03-12", False, "completed before you were certified on September 20, 2025"),
    ]
    evaluations, _ = evaluate(facts, RULES, d("2026-11-24"))
    assert [c.completed_on for c in outside(facts, evaluations)] == [d("2027-03-01")]


def test_ceus_of_an_earlier_cycle_say_which() -> None:
    """§4.4: the cycle that ended 2025-03-31 is settled (renewed to 2027): its CEUs are its own."""
    facts = holder(
        [cred("CPC", "2015-01-10")],
        [ceu("2024-06-01", 30), ceu("2025-03-10", 6), ceu("2025-04-15", 2), ceu("2015-01-10", 1)],
        AAPC=member("2027-03-31"),
    )
    before = "completed before this cycle began on April 1, 2025"
    assert _fates(facts, "2025-05-01") == [
        ("2025-04-15", True, ""),
        ("2025-03-10", False, before),
        ("2024-06-01", False, before),
        ("2015-01-10", False, before),  # on the day of certification: it is not before it
    ]
    # Late CEUs complete an ended cycle that needs them (choice late-ceus): with 20 of 36 by
    # 2025-03-31 and 18 in April, the ended cycle takes the April CEUs; the new one has none.
    # The first of them is dated the new cycle's first day, the last the day of the evaluation.
    late = holder(
        [cred("CPC", "2015-01-10")],
        [ceu("2024-06-01", 20), ceu("2025-04-01", 16), ceu("2025-05-01", 2)],
        AAPC=member("2025-03-31"),
    )
    [e], _ = evaluate(late, replace(RULES, missing_history="settled"), d("2025-05-01"))
    assert (e.cycle_start, e.earned, e.status) == (d("2025-04-01"), 0, "on_track")
    taken = "counted toward the cycle that ended on March 31, 2025, which needed it"
    assert [(line.counts, line.why) for line in ledger(late, e, d("2025-05-01"))] == [
        (False, taken),
        (False, taken),
        (False, "completed before this cycle began on April 1, 2025"),
    ]


def test_a_lapsed_cycle_leaves_the_ceus_after_its_window_to_the_next() -> None:
    """20 of 36 by 2025-03-31; the 90 days after it closed on 2025-06-29: lapsed, and the CEU
    of July is the new cycle's."""
    facts = holder(
        [cred("CPC", "2015-01-10")],
        [ceu("2024-06-01", 20), ceu("2025-07-15", 3)],
        AAPC=member("2025-03-31"),
    )
    [e], _ = evaluate(facts, replace(RULES, missing_history="settled"), d("2025-08-01"))
    assert (e.status, e.cycle_end) == ("lapsed", d("2025-03-31"))
    assert [(line.counts, line.why) for line in ledger(facts, e, d("2025-08-01"))] == [
        (False, "completed after this cycle ended on March 31, 2025: it goes to the next"),
        (True, ""),
    ]


def test_an_overdue_cycle_counts_its_late_ceus_and_leaves_the_next_ones_to_the_next() -> None:
    """20 of 36 by 2025-03-31; as of 2025-05-01 the ended cycle is shown, overdue. A CEU of
    April counts for it (late CEUs complete the ended cycle while they can)."""
    facts = holder(
        [cred("CPC", "2015-01-10")],
        [ceu("2024-06-01", 20), ceu("2025-04-15", 2), ceu("2025-04-20", 1, title="second")],
        AAPC=member("2025-03-31"),
    )
    e = only(facts, "2025-05-01")
    assert (e.status, e.cycle_end, e.earned) == ("overdue", d("2025-03-31"), 2300)
    assert all(line.counts for line in ledger(facts, e, d("2025-05-01")))
    # Two records of one course on one day are two CEUs: both count, neither is lost.
    twice = replace(facts, ceus=(*facts.ceus, facts.ceus[1]))
    lines = ledger(twice, only(twice, "2025-05-01"), d("2025-05-01"))
    assert [line.counts for line in lines] == [True, True, True, True]


def test_ceus_are_listed_newest_first_and_by_title_within_a_day() -> None:
    facts = holder(
        [cred("CPC", "2015-01-10")],
        [
            ceu("2025-05-01", 2, title="A course"),
            ceu("2025-05-01", 1, title="B course"),
            ceu("2025-06-01", 1, title="C course"),
            ceu("2025-04-01", 2, bodies="AHIMA", title="X"),  # more CEUs, yet after Y
            ceu("2025-04-01", 1, bodies="AHIMA", title="Y"),
            ceu("2025-07-01", 1, bodies="AHIMA", title="Z"),
        ],
        AAPC=member("2027-03-31"),
    )
    e = only(facts, "2026-11-24")
    titles = [line.ceu.title for line in ledger(facts, e, d("2026-11-24"))]
    assert titles == ["C course", "B course", "A course"]
    assert [c.title for c in outside(facts, [e])] == ["Z", "Y", "X"]


def test_what_fills_a_minimum_and_what_only_the_total() -> None:
    facts = holder(
        [cred("CPC", "2015-01-10"), cred("CPMA", "2016-01-10")],
        [ceu("2025-05-01", 8, categories="auditing"), ceu("2025-06-01", 4)],
        AAPC=member("2027-03-31"),
    )
    assert [why for _, _, why in _fates(facts, "2026-11-24")] == [
        "toward the total, not toward a minimum (not tagged for one)",
        "toward the minimum for auditing too",
    ]
    both = holder(
        [cred("CPC", "2015-01-10"), cred("CPMA", "2016-01-10"), cred("CPCO", "2016-01-10")],
        [ceu("2025-05-01", 8, categories="auditing;compliance")],
        AAPC=member("2027-03-31"),
    )
    [(_, _, why)] = _fates(both, "2026-11-24")
    assert why == "toward the minimum for auditing, compliance too"


def test_the_notices_still_to_come_follow_the_ladder_and_the_preference() -> None:
    facts = holder([cred("CPC", "2015-01-10")], [ceu("2025-05-01", 4)], AAPC=member("2027-03-31"))
    e = only(facts, "2026-11-24")
    assert e.status == "behind"
    assert upcoming(e, LADDER, d("2026-11-24")) == [
        Upcoming(d("2026-12-31"), "a reminder that your AAPC CEUs are due in 90 days"),
        Upcoming(d("2027-02-14"), "a reminder that your AAPC CEUs are due in 45 days"),
        Upcoming(d("2027-03-01"), "a reminder that your AAPC membership dues are due"),
        Upcoming(d("2027-03-16"), "a reminder that your AAPC CEUs are due in 15 days"),
    ]
    # A rung already past is not to come; "only the final notices" keeps the last one.
    assert upcoming(e, LADDER, d("2027-01-01"))[0].on == d("2027-02-14")
    final = upcoming(e, ladder_for(LADDER, "final"), d("2026-11-24"))
    assert [u.on for u in final] == [d("2027-03-01"), d("2027-03-16")]
    view = holder_view("Ann", facts, RULES, LADDER, d("2026-11-24"))
    [body] = view.bodies
    assert body.behind == "while you are behind pace, a reminder at most every 30 days"
    # 32 CEUs left over 127 days (4.17 months): 7.67 a month, rounded up to a half: 8.
    assert body.pace == "about 8 CEUs a month"


def test_an_overdue_credential_lists_its_notices_up_to_the_revocation() -> None:
    """AHIMA: the cycle from the RHIT exam ended 2026-08-29 unmet; notices 1, 90 and 165 days
    after, then the lapse the day after the last day (2027-02-25)."""
    facts = holder([cred("RHIT", "2016-08-30")], [ceu("2024-10-21", 5, bodies="AHIMA")])
    e = only(facts, "2026-11-24")
    assert (e.status, e.deadline) == ("overdue", d("2027-02-25"))
    assert upcoming(e, LADDER, d("2026-11-24")) == [
        Upcoming(d("2026-11-27"), "a notice that your AHIMA credential is overdue"),
        Upcoming(d("2027-02-10"), "a notice that your AHIMA credential is overdue"),
        Upcoming(
            d("2027-02-26"),
            "the notice that AHIMA revokes your credential, if it is still not done",
        ),
    ]
    complete = holder(
        [cred("RHIT", "2016-08-30")], [ceu("2025-01-10", 20, bodies="AHIMA", categories="hiim")]
    )
    done = only(complete, "2025-11-24")
    assert done.status == "complete" and upcoming(done, LADDER, date(2025, 11, 24)) == []
