"""What a notice says: the figures and sentences the templates show, as plain values. Pure.

Everything here is data for the templates, never template code: a holder's name or a course
title is a string the template prints, escaped in HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reminders.notices.ladder import BodyLadder
from reminders.rules.evaluate import CENTS, Evaluation

RUNG_WORDS = {
    "deadline": "the reminder {rung} days before the due date",
    "overdue": "the notice {rung} days after the due date",
    "dues": "the reminder {rung} days before the membership renews",
}
KIND_WORDS = {
    "shortfall": "your CEUs are more than a month behind the pace that finishes them on time (at most one such mail a month)",
    "lapsed": "the window before revocation has closed",
    "complete": "the cycle's requirements are met (one mail per cycle)",
}


def ceus(cents: int) -> str:
    whole, part = divmod(cents, CENTS)
    return str(whole) if not part else f"{whole}.{part:02d}".rstrip("0")


def day(value: date | None) -> str:
    return "" if value is None else f"{value:%B} {value.day}, {value.year}"


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
    days_left: int
    days_to_revocation: int
    required: str
    earned: str
    remaining: str
    pace_per_month: str
    minimums: tuple[dict[str, str], ...]
    why: str
    ceu_page: str


def notice_view(
    kind: str, rung: str, evaluation: Evaluation, ladder: BodyLadder, as_of: date, rule: str
) -> NoticeView:
    e = evaluation
    pace = e.pace_per_month
    reason = RUNG_WORDS[kind].format(rung=rung) if kind in RUNG_WORDS else KIND_WORDS[kind]
    minimums = tuple(
        {
            "category": m.category,
            "required": ceus(m.required),
            "earned": ceus(m.earned),
            "short": ceus(max(0, m.required - m.earned)) if m.earned < m.required else "",
        }
        for m in e.minimums
    )
    return NoticeView(
        kind=kind,
        rung=rung,
        body=e.body,
        credentials=", ".join(e.credentials),
        cycle_end=day(e.cycle_end),
        deadline=day(e.deadline),
        renews_on=day(e.renews_on),
        submission_opens=day(e.submission_opens),
        days_left=max(e.days_left, 0),
        days_to_revocation=max((e.deadline - as_of).days, 0),
        required=ceus(e.required),
        earned=ceus(e.earned),
        remaining=ceus(e.remaining),
        pace_per_month=ceus(pace) if pace is not None else "0",
        minimums=minimums,
        why=f"{reason}; rules {rule}.",
        ceu_page=ladder.ceu_page,
    )
