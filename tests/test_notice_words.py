"""The words of a notice are true on the day it goes out: the rung it names agrees with the days
left, no future tense about a past date, categories by name, CEUs a month as people plan them,
met minimums shown as met, and a subject that names everything the mail says."""

from __future__ import annotations

import functools
from dataclasses import replace

from reminders.mail.render import Renderer
from reminders.notices.content import (
    NoticeView,
    ceus_due,
    notice_view,
    pace_words,
    standing_notes,
)
from reminders.notices.ladder import load_ladder
from reminders.resources import config_dir, templates_dir
from reminders.rules.evaluate import evaluate
from reminders.rules.facts import HolderFacts
from reminders.rules.results import Evaluation
from reminders.words import day
from tests.rules_helpers import RULES, ceu, cred, d, holder, member, only

LADDER = load_ladder(config_dir() / "notices.yaml")
# Maria (docs/rules.md): CPC and CPMA, AAPC CEUs due 2027-03-31, 21.5 earned, 10 of 16 auditing.
MARIA = holder(
    [cred("CPC", "2019-03-14"), cred("CPMA", "2021-06-02")],
    [
        ceu("2025-05-01", 2, categories="auditing"),
        ceu("2025-09-10", 1.5),
        ceu("2026-02-19", 8, categories="auditing"),
        ceu("2026-06-01", 10),
    ],
    AAPC=member("2027-03-31"),
)


def settled(facts: HolderFacts, as_of: str) -> Evaluation:
    """Read with REMINDERS_MISSING_HISTORY=settled: Maria's CEUs alone, not her membership
    (due for renewal with them, and by default overdue with them)."""
    [evaluation], _ = evaluate(facts, replace(RULES, missing_history="settled"), d(as_of))
    return evaluation


def view(kind: str, rung: str, evaluation: Evaluation, as_of: str) -> NoticeView:
    words = functools.partial(RULES.category_words, evaluation.body)
    ladder = LADDER.bodies[evaluation.body]
    return notice_view(kind, rung, evaluation, ladder, d(as_of), words)


def test_a_rung_on_its_day_names_it_and_a_late_one_says_how_many_days_are_left() -> None:
    on_time = view("deadline", "90", only(MARIA, "2026-12-31"), "2026-12-31")
    assert on_time.why == "the reminder 90 days before the due date."
    late = view("deadline", "90", only(MARIA, "2027-01-31"), "2027-01-31")
    assert late.why == (
        "59 days are left before the due date (the reminder for 90 days before it could not"
        " reach you in time)."
    )
    assert "90 days before the due date." not in late.why


def test_a_late_overdue_notice_counts_the_days_since_the_due_date() -> None:
    # AHIMA: the CEUs were due at the cycle's end, 2027-03-31 (the exam anniversary is 1 April).
    priya = holder([cred("RHIA", "2019-04-01")], AHIMA=member(cycle_ends_on="2027-03-31"))
    overdue = only(priya, "2027-04-10")
    assert (overdue.status, overdue.unrenewed) == ("overdue", None)
    assert view("overdue", "1", overdue, "2027-04-10").why == (
        "the due date passed 10 days ago (the notice for 1 day after it could not reach you in"
        " time)."
    )


def test_a_late_notice_of_an_unrenewed_membership_counts_the_days_since_the_renewal_date() -> None:
    # Maria's membership was due for renewal with her CEUs on 2027-03-31: neither is recorded.
    overdue = only(MARIA, "2027-04-10")
    assert (overdue.status, overdue.unrenewed) == ("overdue", d("2027-03-31"))
    v = view("overdue", "1", overdue, "2027-04-10")
    assert v.why == (
        "the renewal date passed 10 days ago (the notice for 1 day after it could not reach you"
        " in time)."
    )
    assert (v.unrenewed, v.cycle_ended) == ("March 31, 2027", True)


def test_categories_by_name_and_met_minimums_marked() -> None:
    priya = holder(
        [cred("RHIA", "2019-06-15"), cred("CCS", "2023-03-01")],
        [
            ceu("2025-07-01", 20, "AHIMA", "hiim;ahima-source"),
            ceu("2025-08-01", 10, "AHIMA", "hiim"),
        ],
    )
    v = view("deadline", "90", only(priya, "2027-03-16"), "2027-03-16")
    assert [(m["category"], m["earned"], m["required"], m["met"]) for m in v.minimums] == [
        ("HIIM domains", "30", "32", ""),
        ("from AHIMA sources", "20", "16", "met"),
    ]
    rendered = Renderer(templates_dir()).render(
        "Priya", [v], "https://x/u", "https://x/c.ics", status_url="https://x/s"
    )
    assert "of which from AHIMA sources: 20 of 16 (met)" in rendered.text
    assert "of which HIIM domains: 30 of 32 (2 to go)" in rendered.text
    for code in ("hiim", "ahima-source", "ahima-20", "rules "):
        assert code not in rendered.text.lower().replace("hiim domains", "")


def test_ceus_a_month_are_rounded_up_to_a_half() -> None:
    assert [pace_words(c) for c in (1239, 1250, 1251, 1200, 1, None)] == [
        "12.5", "12.5", "13", "12", "0.5", "0",
    ]  # fmt: skip


def test_with_less_than_a_month_left_the_pace_is_the_whole_remainder_in_the_days_left() -> None:
    renderer = Renderer(templates_dir())
    far = view("deadline", "90", only(MARIA, "2026-12-31"), "2026-12-31")
    assert far.pace == "about 6.5 CEUs a month"  # 18.5 over 90 days: 6.17 a month, rounded up
    near = view("deadline", "15", only(MARIA, "2027-03-16"), "2027-03-16")
    text = renderer.render(
        "Maria", [near], "https://x/u", "https://x/c.ics", status_url="https://x/s"
    ).text
    assert "To finish on time: all 18.5 CEUs in the 15 days left." in text
    assert "a month" not in text.split("To finish on time:")[1].split("\n")[0]


def test_a_due_date_today_or_tomorrow_reads_as_such_and_a_day_is_singular() -> None:
    renderer = Renderer(templates_dir())
    for as_of, words in (("2027-03-31", "today"), ("2027-03-30", "tomorrow")):
        v = view("deadline", "15", only(MARIA, as_of), as_of)
        r = renderer.render(
            "Maria", [v], "https://x/u", "https://x/c.ics", status_url="https://x/s"
        )
        assert f"your CEUs are due on March 31, 2027, {words}." in r.text
        assert r.subject.startswith(f"AAPC CEUs due {words}:")
        assert "in 0 days" not in r.text and "in 1 days" not in r.text
    assert (
        "in the 1 day left" in view("deadline", "15", only(MARIA, "2027-03-30"), "2027-03-30").pace
    )


def test_submission_that_opened_already_is_not_in_the_future_tense() -> None:
    # AAPC opens submission a month before the due date: on 2027-02-28 for 2027-03-31.
    before = view("deadline", "90", only(MARIA, "2026-12-31"), "2026-12-31")
    after = view("deadline", "15", only(MARIA, "2027-03-10"), "2027-03-10")
    assert (before.submission_open, after.submission_open) == (False, True)
    renderer = Renderer(templates_dir())
    text = renderer.render(
        "Maria", [before], "https://x/u", "https://x/c.ics", status_url="https://x/s"
    ).text
    assert "Submission opens on February 28, 2027." in text
    text = renderer.render(
        "Maria", [after], "https://x/u", "https://x/c.ics", status_url="https://x/s"
    ).text
    assert "Submission opens" not in text
    assert "Submission is open: send your CEUs to AAPC by March 31, 2027." in text


def test_the_subject_names_every_notice_of_the_mail() -> None:
    due = view("deadline", "90", only(MARIA, "2026-12-31"), "2026-12-31")
    done = holder(
        [cred("CCS", "2025-02-01")], [ceu("2026-01-01", 20, "AHIMA", "hiim;ahima-source")]
    )
    complete = view("complete", "0", only(done, "2026-12-31"), "2026-12-31")
    rendered = Renderer(templates_dir()).render(
        "Ana", [due, complete], "https://x/u", "https://x/c", status_url="https://x/s"
    )
    assert rendered.subject.endswith("(also: AHIMA CEUs complete)")
    assert "more)" not in rendered.subject


def test_a_due_date_that_passed_does_not_read_as_one_to_come_in_the_calendar() -> None:
    page = "https://example.org/ceus"
    upcoming = ceus_due("h-1", only(MARIA, "2026-12-31"), page)
    assert upcoming.summary == "AAPC CEUs due (CPC, CPMA)"
    assert upcoming.description == f"18.5 of 40 AAPC CEUs still to earn. Your CEU page: {page}"
    overdue = settled(MARIA, "2027-04-10")  # the CEUs alone: see the unrenewed test below
    event = ceus_due("h-1", overdue, page)
    assert event.summary == "AAPC CEUs were due (CPC, CPMA): overdue"
    assert event.description.startswith(
        f"Overdue: 18.5 of 40 AAPC CEUs still to earn; AAPC revokes the credential after"
        f" {day(overdue.deadline)}."
    )
    lapsed = only(MARIA, "2028-01-10")
    assert lapsed.status == "lapsed"
    event = ceus_due("h-1", lapsed, page)
    assert event.summary == "AAPC CEUs were due (CPC, CPMA): lapsed"
    assert event.uid == upcoming.uid == "h-1-AAPC-2027-03-31-ceus@reminders"


def test_the_calendar_is_offered_as_a_subscription() -> None:
    due = view("deadline", "90", only(MARIA, "2026-12-31"), "2026-12-31")
    feed = "https://reminders.example.org/ics/abc.ics"
    rendered = Renderer(templates_dir()).render(
        "Maria", [due], "https://x/u", feed, status_url="https://x/s"
    )
    for part in (rendered.text, rendered.html):
        assert "webcal://reminders.example.org/ics/abc.ics" in part and feed in part


def test_standing_notes_name_what_is_overdue_or_lapsed_elsewhere_and_nothing_solved() -> None:
    overdue = settled(MARIA, "2027-04-10")
    expected = (
        "Your AAPC CEUs (CPC, CPMA) are overdue since March 31, 2027: 18.5 still to earn before"
        f" {day(overdue.deadline)}, when AAPC revokes the credential."
    )
    assert standing_notes([overdue], {"AHIMA"}) == (expected,)
    assert standing_notes([overdue], {"AAPC"}) == ()  # the mail's own notice speaks of it
    on_track = only(MARIA, "2026-12-31")
    assert standing_notes([on_track], set()) == ()


def test_an_unrenewed_membership_is_said_in_the_calendar_and_in_other_mails() -> None:
    """Renewal due 2025-03-31 and not made; the CEU cycle runs to 2027-03-31. The CEUs' event
    must not read as overdue, and a mail about AHIMA must mention the membership."""
    lee = holder([cred("CPC", "2015-01-10")], AAPC=member("2026-03-31"))
    e = only(lee, "2026-05-01")
    assert (e.status, e.unrenewed, e.cycle_end) == ("overdue", d("2026-03-31"), d("2027-03-31"))
    event = ceus_due("h-1", e, "https://aapc.example")
    assert event.summary == "AAPC CEUs due (CPC)"
    assert event.description.startswith(
        "Overdue: the membership due for renewal on March 31, 2026 is not renewed; AAPC cancels"
        " it after June 29, 2026. 36 of 36 AAPC CEUs still to earn."
    )
    assert standing_notes([e], ()) == (
        (
            "Your AAPC membership (CPC) was due for renewal on March 31, 2026: renew it before June"
            " 29, 2026, when AAPC cancels it and the credentials with it."
        ),
    )
    lapsed = only(lee, "2026-07-01")
    assert standing_notes([lapsed], ()) == (
        (
            "Your AAPC membership (CPC) was due for renewal on March 31, 2026 and no renewal was"
            " recorded by June 29, 2026, when AAPC cancels it. Ask AAPC how to reinstate it."
        ),
    )

    # Due for renewal with the CEUs, and neither done: both are said.
    maria = only(MARIA, "2027-04-10")
    assert standing_notes([maria], ()) == (
        (
            "Your AAPC membership (CPC, CPMA) was due for renewal on March 31, 2027: renew it and"
            " complete the 18.5 CEUs still to earn before June 29, 2027, when AAPC cancels it and the"
            " credentials with it."
        ),
    )
