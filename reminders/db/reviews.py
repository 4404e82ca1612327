"""The store side of the next-review index (notices/review.py works the days out): each
holder's day, written with their plan; the holders whose day has come; the holders with CEUs dated
ahead (a scan reads CEUs up to its day only); and the index's state."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, delete, func, insert, select

from reminders.db.engine import conflict_insert
from reminders.db.models import CeuRecord, HolderReview, ReviewIndex
from reminders.notices.ladder import Ladder
from reminders.notices.review import REVIEW_WITHIN
from reminders.rules.loader import Rulebook

CHUNK = 1_000


_FINGERPRINTS: dict[tuple[int, int], tuple[Rulebook, Ladder, str]] = {}


def fingerprint(rulebook: Rulebook, ladder: Ladder) -> str:
    """What the review days depend on besides the records: the rules, the pace, the reading of
    missing history, the ladder. Another fingerprint makes every stored day suspect. Worked
    out once per rulebook and ladder (the change job asks for it every time it re-plans; the
    objects are kept with it, so that their ids stay theirs)."""
    found = _FINGERPRINTS.get((id(rulebook), id(ladder)))
    if found is None:
        found = _FINGERPRINTS[(id(rulebook), id(ladder))] = (
            rulebook,
            ladder,
            _work_out(rulebook, ladder),
        )
    return found[2]


def _work_out(rulebook: Rulebook, ladder: Ladder) -> str:
    parts = {
        "bodies": {code: body.model_dump(mode="json") for code, body in rulebook.bodies.items()},
        "pace": [rulebook.pace.slack_days, rulebook.pace.grace_days],
        "missing": rulebook.missing_history,
        "ladder": ladder.model_dump(mode="json"),
        "within": REVIEW_WITHIN,
    }
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def write(connection: Connection, days: Sequence[tuple[int, date]], rules: str) -> None:
    """Each holder's next review day (replacing what was there)."""
    for start in range(0, len(days), CHUNK):
        chunk = days[start : start + CHUNK]
        pks = [pk for pk, _ in chunk]
        connection.execute(delete(HolderReview).where(HolderReview.holder_pk.in_(pks)))
        connection.execute(
            insert(HolderReview),
            [{"holder_pk": pk, "review_on": day, "rules": rules} for pk, day in chunk],
        )


def due(connection: Connection, as_of: date) -> list[int]:
    """The holders whose review day has come by `as_of` (an index range: what is due only)."""
    query = select(HolderReview.holder_pk).where(HolderReview.review_on <= as_of)
    return list(connection.execute(query.order_by(HolderReview.holder_pk)).scalars())


def dated_ahead(connection: Connection, as_of: date) -> dict[int, date]:
    """The holders with a CEU dated after `as_of`, and the earliest such day: a scan loads the
    CEUs up to its day only (credentials and memberships it loads whole)."""
    c = CeuRecord
    query = select(c.holder_pk, func.min(c.completed_on)).where(c.completed_on > as_of)
    return {pk: day for pk, day in connection.execute(query.group_by(c.holder_pk))}


@dataclass(frozen=True, slots=True)
class State:
    rules: str
    planned_as_of: date


def state(connection: Connection) -> State | None:
    row = connection.execute(select(ReviewIndex.rules, ReviewIndex.planned_as_of)).first()
    return None if row is None else State(*row)


def set_state(connection: Connection, rules: str, planned_as_of: date) -> None:
    table = ReviewIndex.__table__
    statement = conflict_insert(connection, table).values(
        id=1, rules=rules, planned_as_of=planned_as_of
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["id"], set_={"rules": rules, "planned_as_of": planned_as_of}
        )
    )
