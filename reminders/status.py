"""`reminders status`: evaluations as the JSON of interfaces.md, or as a table to read."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from rich.console import Console
from rich.markup import escape

from reminders.rules.explain import CENTS
from reminders.rules.results import Evaluation

STYLES = {
    "complete": "green",
    "on_track": "cyan",
    "behind": "yellow",
    "overdue": "bold red",
    "lapsed": "bold magenta",
}


def number(cents: int) -> int | float:
    """JSON numbers: 40, 22.5."""
    whole, part = divmod(cents, CENTS)
    return whole if not part else cents / CENTS


def as_json(evaluation: Evaluation) -> dict[str, Any]:
    """The object of interfaces.md ("status --format json"), with extra fields after it."""
    e = evaluation
    pace = e.pace_per_month
    return {
        "holder_id": e.holder_id,
        "body": e.body,
        "credentials": list(e.credentials),
        "cycle_start": e.cycle_start.isoformat(),
        "cycle_end": e.cycle_end.isoformat(),
        "required": number(e.required),
        "earned": number(e.earned),
        "remaining": number(e.remaining),
        "minimums": [
            {"category": m.category, "required": number(m.required), "earned": number(m.earned)}
            for m in e.minimums
        ],
        "status": e.status,
        "days_left": e.days_left,
        "deadline": e.deadline.isoformat(),
        "unrenewed": e.unrenewed.isoformat() if e.unrenewed else None,
        "pace_per_month": None if pace is None else number(pace),
        "required_stated": e.required_stated,
        "rules": e.version,
        "explanation": list(e.explanation),
    }


def json_pieces(objects: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A JSON array, a piece at a time, so that a million objects never sit in memory."""
    yield "["
    first = True
    for item in objects:
        yield ("\n" if first else ",\n") + json.dumps(item)
        first = False
    yield "\n]\n" if not first else "]\n"


def json_array(evaluations: Iterable[Evaluation]) -> Iterator[str]:
    return json_pieces(as_json(evaluation) for evaluation in evaluations)


COLUMNS = (
    ("holder", 24, "left"),
    ("body", 5, "left"),
    ("due", 10, "left"),
    ("earned", 9, "right"),
    ("to go", 6, "right"),
    ("days", 5, "right"),
    ("status", 8, "left"),
)
"""79 columns in all: a line fits a terminal of 80."""


def _cell(text: str, width: int, align: str) -> str:
    text = text if len(text) <= width else text[: width - 1] + "…"
    return text.ljust(width) if align == "left" else text.rjust(width)


def _minimum(words: str, earned: int, required: int) -> str:
    to_go = f"{number(required - earned)} to go" if earned < required else "met"
    return f"of which {words}: {number(earned)} of {number(required)} ({to_go})"


def table(
    console: Console,
    rows: Iterable[tuple[str, Evaluation]],
    explain: bool,
    category_words: Callable[[str, str], str],
) -> int:
    """Print each holder's name and evaluation per body, as they come, in lines that fit 80
    columns; the credentials and each minimum go on lines beneath. Returns how many.
    `category_words(body, code)` names a CEU category for people."""
    console.print(
        "  ".join(_cell(name, width, align) for name, width, align in COLUMNS), style="bold"
    )
    count = 0
    for name, e in rows:
        cells = (
            f"{e.holder_id} {name}", e.body, e.cycle_end.isoformat(),
            f"{number(e.earned)}/{number(e.required)}", str(number(e.remaining)), str(e.days_left),
        )  # fmt: skip
        line = "  ".join(
            escape(_cell(cell, width, align))
            for cell, (_, width, align) in zip(cells, COLUMNS[:-1], strict=True)
        )
        console.print(f"{line}  [{STYLES[e.status]}]{e.status}[/]", highlight=False)
        details = [", ".join(e.credentials)] + [
            _minimum(category_words(e.body, m.category), m.earned, m.required) for m in e.minimums
        ]
        if e.unrenewed is not None:  # why it is overdue or lapsed while the cycle may run on
            details.append(
                f"membership not renewed since {e.unrenewed.isoformat()}: cancelled after"
                f" {e.deadline.isoformat()}"
            )
        for detail in details:
            console.print(f"    {escape(detail)}", highlight=False, style="dim")
        if explain:
            for reason in e.explanation:
                console.print(f"    · {escape(reason)}", highlight=False, style="dim")
        count += 1
    return count
