"""`reminders status`: evaluations as the JSON of interfaces.md, or as a table to read."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from rich.console import Console
from rich.markup import escape

from reminders.rules.evaluate import CENTS, Evaluation

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
    ("holder", 12, "left"),
    ("body", 6, "left"),
    ("credentials", 18, "left"),
    ("cycle end", 10, "left"),
    ("required", 8, "right"),
    ("earned", 8, "right"),
    ("remaining", 9, "right"),
    ("days left", 9, "right"),
    ("status", 8, "left"),
)


def _cell(text: str, width: int, align: str) -> str:
    text = text if len(text) <= width else text[: width - 1] + "…"
    return text.ljust(width) if align == "left" else text.rjust(width)


def table(console: Console, evaluations: Iterable[Evaluation], explain: bool) -> int:
    """Print one line per holder and body, as they come; returns how many."""
    console.print(
        "  ".join(_cell(name, width, align) for name, width, align in COLUMNS), style="bold"
    )
    count = 0
    for e in evaluations:
        cells = (
            e.holder_id, e.body, ", ".join(e.credentials), e.cycle_end.isoformat(),
            str(number(e.required)), str(number(e.earned)), str(number(e.remaining)),
            str(e.days_left),
        )  # fmt: skip
        line = "  ".join(
            escape(_cell(cell, width, align))
            for cell, (_, width, align) in zip(cells, COLUMNS[:-1], strict=True)
        )
        console.print(f"{line}  [{STYLES[e.status]}]{e.status}[/]", highlight=False)
        for minimum in e.minimums:
            console.print(
                f"    {minimum.category}: {number(minimum.earned)} of {number(minimum.required)}",
                highlight=False,
            )
        if explain:
            for reason in e.explanation:
                console.print(f"    · {escape(reason)}", highlight=False, style="dim")
        count += 1
    return count
