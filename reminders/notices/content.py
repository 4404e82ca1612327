"""What a notice says: the figures and sentences the templates show, as plain values. Pure.

Everything here is data for the templates, never template code: a holder's name or a course
title is a string the template prints, escaped in HTML.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from reminders.mail.ical import Deadline
from reminders.notices.ladder import BodyLadder, Ladder
from reminders.rules.explain import CENTS, ceus
from reminders.rules.results import Evaluation
from reminders.words import day
from reminders.words import days as plural

MONTH_DAYS = 31
"""Fewer days left than this: the pace is said as the whole remainder in the days left."""

RUNG_WORDS = {
    "deadline": "the reminder {rung} before the due date",
    "overdue": "the notice {rung} after the due date",
    "unrenewed": "the notice {rung} after the renewal date",
    "dues": "the reminder {rung} before the membership renews",
}
LATE_WORDS = {
    # A rung sent after its day (a catch-up after downtime, a holder added late, a send window)
    # says so, and never claims a timing that is not true.
    "deadline": "{left} before the due date (the reminder for {rung} before it could not"
    " reach you in time)",
    "overdue": "the due date passed {days} ago (the notice for {rung} after it could not reach"
    " you in time)",
    "unrenewed": "the renewal date passed {days} ago (the notice for {rung} after it could not"
    " reach you in time)",
    "dues": "{left} before the membership renews (the reminder for {rung} before it could"
    " not reach you in time)",
}
KIND_WORDS = {
    "shortfall": "your CEUs are more than a month behind the pace that finishes them on time"
    " (at most one such mail a month)",
    "lapsed": "the window before revocation has closed",
    "complete": "the cycle's requirements are met (one mail per cycle)",
}


def _reason(kind: str, rung: str, e: Evaluation, as_of: date) -> str:
    if kind not in RUNG_WORDS:
        return KIND_WORDS[kind]
    if kind == "deadline":
        days = e.days_left
    elif kind == "overdue":
        days = (as_of - (e.unrenewed or e.cycle_end)).days
        kind = "unrenewed" if e.unrenewed else kind
    else:
        days = (e.renews_on - as_of).days if e.renews_on is not None else int(rung)
    on_time = days == int(rung)
    words = (RUNG_WORDS if on_time else LATE_WORDS)[kind]
    left = f"{plural(days)} {'is' if days == 1 else 'are'} left"
    return words.format(rung=plural(int(rung)), days=plural(days), left=left)


def pace_words(cents: int | None) -> str:
    """CEUs a month as people plan them: rounded up to a half (12.39 is "12.5")."""
    if cents is None:
        return "0"
    halves = -(-cents // (CENTS // 2))
    return ceus(halves * (CENTS // 2))


def _pace(e: Evaluation) -> str:
    if 0 < e.days_left < MONTH_DAYS:
        return f"all {ceus(e.remaining)} CEUs in the {plural(e.days_left)} left"
    return f"about {pace_words(e.pace_per_month)} CEUs a month"


@dataclass(frozen=True)
class NoticeView:
    kind: str
    rung: str
    body: str
    credentials: str
    cycle_end: str
    deadline: str
    renews_on: str
    submission_opens: str
    submission_open: bool
    """Submission opened on `submission_opens` or before the mail's day: no future tense."""
    days_left: int
    days_to_revocation: int
    required: str
    earned: str
    remaining: str
    pace_per_month: str
    pace: str
    """What finishing on time takes, in words: "about 12.5 CEUs a month", or with less than
    a month left, "all 18.5 CEUs in the 15 days left" (a month's figure would hide the rush)."""
    minimums: tuple[dict[str, str], ...]
    why: str
    ceu_page: str
    unrenewed: str = ""
    """The membership renewal date that passed unrenewed, if that is why it is overdue or
    lapsed ("" otherwise): the mail then speaks of the membership first."""
    cycle_ended: bool = False
    """The cycle the figures are of has ended (unmet, when overdue or lapsed)."""
    cycle: str = ""
    """The cycle's end as an ISO date, for the link that says it is submitted."""


def notice_view(
    kind: str,
    rung: str,
    evaluation: Evaluation,
    ladder: BodyLadder,
    as_of: date,
    category_words: Callable[[str], str],
) -> NoticeView:
    """`category_words` names a CEU category for people (Rulebook.category_words)."""
    e = evaluation
    minimums = tuple(
        {
            "category": category_words(m.category),
            "required": ceus(m.required),
            "earned": ceus(m.earned),
            "short": ceus(max(0, m.required - m.earned)) if m.earned < m.required else "",
            "met": "met" if m.earned >= m.required else "",
        }
        for m in e.minimums
    )
    opens = e.submission_opens
    return NoticeView(
        kind=kind,
        rung=rung,
        body=e.body,
        credentials=", ".join(e.credentials),
        cycle_end=day(e.cycle_end),
        deadline=day(e.deadline),
        renews_on=day(e.renews_on),
        submission_opens=day(opens),
        submission_open=opens is not None and opens <= as_of,
        unrenewed=day(e.unrenewed),
        cycle_ended=e.days_left < 0,
        cycle=e.cycle_end.isoformat(),
        days_left=max(e.days_left, 0),
        days_to_revocation=max((e.deadline - as_of).days, 0),
        required=ceus(e.required),
        earned=ceus(e.earned),
        remaining=ceus(e.remaining),
        pace_per_month=pace_words(e.pace_per_month),
        pace=_pace(e),
        minimums=minimums,
        why=f"{_reason(kind, rung, e, as_of)}.",
        ceu_page=ladder.ceu_page,
    )


def ceus_due(holder_id: str, e: Evaluation, page: str) -> Deadline:
    """The calendar event of a cycle's due date. The one place its UID is made: the file
    attached to a deadline mail and the subscribable feed carry the same event, so a coder who
    opens one and subscribes to the other sees it once."""
    credentials = ", ".join(e.credentials)
    summary = f"{e.body} CEUs due ({credentials})"
    to_go = f"{ceus(e.remaining)} of {ceus(e.required)} {e.body} CEUs still to earn"
    if e.status == "complete":
        about = f"Your {e.body} CEUs are complete: {ceus(e.earned)} of {ceus(e.required)}."
    elif e.unrenewed is not None and e.status in ("overdue", "lapsed"):
        # The membership is what was missed; the CEUs' date may still be to come.
        if e.days_left < 0:
            summary = f"{e.body} CEUs were due ({credentials}): {e.status}"
        renewal = f"the membership due for renewal on {day(e.unrenewed)} is not renewed"
        if e.status == "overdue":
            about = f"Overdue: {renewal}; {e.body} cancels it after {day(e.deadline)}. {to_go}."
        else:
            about = f"Lapsed: {renewal}; {e.body} cancelled it after {day(e.deadline)}."
    elif e.status == "overdue":
        # A date that has passed must not read as one to come.
        summary = f"{e.body} CEUs were due ({credentials}): overdue"
        about = f"Overdue: {to_go}; {e.body} revokes the credential after {day(e.deadline)}."
    elif e.status == "lapsed":
        summary = f"{e.body} CEUs were due ({credentials}): lapsed"
        about = f"Lapsed: {e.body} revoked the credential after {day(e.deadline)}."
    else:
        about = f"{to_go}."
    return Deadline(
        f"{holder_id}-{e.body}-{e.cycle_end}-ceus@reminders",
        summary,
        e.cycle_end,
        page,
        f"{about} Your CEU page: {page}" if page else about,
    )


def feed_events(
    holder_id: str, evaluations: Iterable[Evaluation], ladder: Ladder
) -> list[Deadline]:
    """A holder's events in the subscribable feed: each body's CEU due date (the same event as
    a deadline mail's attachment), the last day before revocation once it is overdue, and the
    membership's renewal."""
    found = []
    for e in evaluations:
        ref = f"{holder_id}-{e.body}"
        page = ladder.bodies[e.body].ceu_page if e.body in ladder.bodies else ""
        credentials = ", ".join(e.credentials)
        found.append(ceus_due(holder_id, e, page))
        if e.status == "overdue":
            found.append(
                Deadline(f"{ref}-{e.cycle_end}-revocation@reminders",
                         f"Last day before {e.body} revokes {credentials}", e.deadline, page)
            )  # fmt: skip
        if e.renews_on is not None:
            found.append(
                Deadline(f"{ref}-{e.renews_on}-dues@reminders",
                         f"{e.body} membership renewal", e.renews_on, page)
            )  # fmt: skip
    return found


def standing_notes(evaluations: Iterable[Evaluation], mentioned: Container[str]) -> tuple[str, ...]:
    """A line for each credential overdue or lapsed with a body the mail does not otherwise
    speak of: a lapse gets one notice, and must not be forgotten in every mail after it while
    it lasts. Computed from the data as it is when the mail goes out, so a solved problem is
    never mentioned."""
    notes = []
    for e in evaluations:
        if e.body in mentioned:
            continue
        credentials = ", ".join(e.credentials)
        renewal = day(e.unrenewed)
        if renewal and e.status == "lapsed":
            notes.append(
                f"Your {e.body} membership ({credentials}) was due for renewal on {renewal} and"
                f" no renewal was recorded by {day(e.deadline)}, when {e.body} cancels it. Ask"
                f" {e.body} how to reinstate it."
            )
        elif renewal and e.status == "overdue":
            also = (
                f" and complete the {ceus(e.remaining)} CEUs still to earn"
                if e.days_left < 0
                else ""
            )
            notes.append(
                f"Your {e.body} membership ({credentials}) was due for renewal on {renewal}: renew"
                f" it{also} before {day(e.deadline)}, when {e.body} cancels it and the credentials"
                " with it."
            )
        elif e.status == "lapsed":
            notes.append(
                f"Your {e.body} credentials ({credentials}) lapsed: the CEUs due on"
                f" {day(e.cycle_end)} were not met by {day(e.deadline)}. Ask {e.body} how to"
                " reinstate them."
            )
        elif e.status == "overdue":
            notes.append(
                f"Your {e.body} CEUs ({credentials}) are overdue since {day(e.cycle_end)}:"
                f" {ceus(e.remaining)} still to earn before {day(e.deadline)}, when {e.body}"
                " revokes the credential."
            )
    return tuple(notes)


def message_views(
    notices: Iterable[tuple[str, str, str]],
    evaluations: Mapping[str, Evaluation],
    ladder: Ladder,
    category_words: Callable[[str, str], str],
    as_of: date,
) -> tuple[list[NoticeView], tuple[str, ...]]:
    """The views of one mail's notices, each (kind, rung, body), and its notes on the bodies
    it does not speak of: what delivery renders, and what `reminders simulate` shows."""
    views = []
    bodies = set()
    for kind, rung, body in notices:
        e = evaluations[body]
        words = functools.partial(category_words, body)
        views.append(notice_view(kind, rung, e, ladder.bodies[body], as_of, words))
        bodies.add(body)
    return views, standing_notes(evaluations.values(), bodies)
