"""Requirements: what a rule version asks of a set of credentials. Pure.

Which version governs, the CEUs per cycle, and the minimums inside them, each with its reason.
They depend only on the rules and the credentials held, so each is worked out once (_Memo).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from reminders.rules.explain import CENTS, ceus, cite
from reminders.rules.facts import CredentialFact
from reminders.rules.holding import rule_code
from reminders.rules.model import (
    SPECIALTY_PREFIX,
    BodyFile,
    ByCount,
    Minimum,
    PerCredential,
    Version,
)


class _Memo:
    """Results that depend only on a body's rules and a holder's set of credentials: the same
    few sets come up again and again in a scan, so each is worked out once. Keyed by the rule
    objects' identity (hashing a whole rule file per lookup would cost more than it saves)."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self.found: dict[tuple[int, int, object], tuple[BodyFile, Version, object]] = {}

    def get(self, body: BodyFile, version: Version, key: object) -> object | None:
        hit = self.found.get((id(body), id(version), key))
        if hit is not None and hit[0] is body and hit[1] is version:
            return hit[2]
        return None

    def put(self, body: BodyFile, version: Version, key: object, value: object) -> None:
        if len(self.found) >= self.limit:
            self.found.clear()
        self.found[(id(body), id(version), key)] = (body, version, value)


_REQUIREMENTS = _Memo()
_MINIMUMS = _Memo()


def requirement(body: BodyFile, version: Version, codes: tuple[str, ...]) -> tuple[int, str]:
    """The cycle's requirement for these credentials (rule codes), and why."""
    found = _REQUIREMENTS.get(body, version, codes)
    if found is None:
        found = _work_out_requirement(body, version, codes)
        _REQUIREMENTS.put(body, version, codes, found)
    return found  # type: ignore[return-value]


def _work_out_requirement(
    body: BodyFile, version: Version, codes: tuple[str, ...]
) -> tuple[int, str]:
    rule = f"{version.id}.requirement"
    table = version.requirement
    if isinstance(table, ByCount):
        figure = table.by_count[min(len(codes), len(table.by_count)) - 1]
        count = f"{len(codes)} {body.body} credential{'s' if len(codes) != 1 else ''}"
        reason = f"{count} ({', '.join(codes)}): {figure} CEUs per cycle"
        return int(figure * CENTS), f"{reason} {cite(rule, version.sources)}"
    return _per_credential(version, table, list(codes))


def _per_credential(version: Version, table: PerCredential, codes: list[str]) -> tuple[int, str]:
    rule = f"{version.id}.requirement"
    superseded = {old for new in codes for old in table.supersedes.get(new, ())}
    kept = [code for code in codes if code not in superseded]
    figures = {code: table.per_credential[code] for code in kept if code in table.per_credential}
    top = max(figures.values(), default=min(table.per_credential.values()))
    total = min(table.cap, top + table.additional * (len(kept) - 1))
    parts = [f"{code} {figures.get(code, '?')}" for code in kept]
    reason = f"{', '.join(parts)}: the highest, {top}"
    if len(kept) > 1:
        others = "the other one" if len(kept) == 2 else f"each of the {len(kept) - 1} others"
        reason += f", plus {table.additional} for {others}"
        reason += f" (at most {table.cap})" if total == table.cap else ""
    reason += f": {total} CEUs per cycle"
    dropped = sorted(superseded & set(codes))
    if dropped:
        if len(dropped) == 1:
            reason += f"; {dropped[0]} is superseded and needs no CEUs of its own"
        else:
            reason += f"; {', '.join(dropped)} are superseded and need no CEUs of their own"
    return int(total * CENTS), f"{reason} {cite(rule, version.sources)}"


Spec = tuple[Minimum | None, str, str, int, date, str]
"""A minimum that applies: (rule, id, category, cents, counts from, reason)."""
_Template = tuple[Minimum | None, str, str, int, tuple[str, ...], str]
"""A minimum before the holder's dates are known: the credentials it counts from."""


def minimum_specs(
    body: BodyFile, version: Version, held: Sequence[CredentialFact], required: int
) -> list[Spec]:
    """Each minimum that applies, counting from the day its credential was earned."""
    dates = {rule_code(body, c.code): c.earned_on for c in held}
    key = (tuple(dates), required)
    found = _MINIMUMS.get(body, version, key)
    if found is None:
        found = _minimum_templates(body, version, tuple(dates), required)
        _MINIMUMS.put(body, version, key, found)
    templates: list[_Template] = found  # type: ignore[assignment]
    if not templates:
        return []
    certified = min(dates.values())
    return [
        (minimum, spec_id, category, cents, min((dates[c] for c in since), default=certified), why)
        for minimum, spec_id, category, cents, since, why in templates
    ]


def _minimum_templates(
    body: BodyFile, version: Version, codes: tuple[str, ...], required: int
) -> list[_Template]:
    specs: list[_Template] = []
    for minimum in version.minimums:
        holders_of = tuple(code for code in minimum.credentials if code in codes)
        if minimum.credentials and not holders_of:
            continue
        if minimum.percent is not None:
            cents = math.ceil(required * minimum.percent / 100)
            amount = f"{minimum.percent}% of the {ceus(required)} CEUs, {ceus(cents)}"
        else:
            assert minimum.ceus is not None
            figure = minimum.ceus
            if minimum.only_credential_ceus is not None and len(codes) == 1:
                figure = minimum.only_credential_ceus
            cents = int(figure * CENTS)
            amount = f"{ceus(cents)} CEUs"
        who = f"{'/'.join(holders_of)}: " if holders_of else ""
        where = f" from {', '.join(minimum.providers)}" if minimum.providers else ""
        reason = f"{who}{amount} tagged {minimum.category}{where}, inside the total"
        citation = cite(f"{version.id}.minimum.{minimum.id}", minimum.sources)
        specs.append(
            (minimum, minimum.id, minimum.category, cents, holders_of, f"{reason} {citation}")
        )
    if version.specialty is not None:
        for code in codes:
            spec = body.credential(code)
            if spec is not None and spec.kind == "specialty":
                cents = int(version.specialty.ceus * CENTS)
                citation = cite(f"{version.id}.specialty", version.specialty.sources)
                reason = f"{code}: {ceus(cents)} CEUs tagged specialty:{code}, inside the total"
                specs.append(
                    (None, code, SPECIALTY_PREFIX + code, cents, (code,), f"{reason} {citation}")
                )
    return specs


def governs(body: BodyFile, version: Version) -> str:
    found = _REQUIREMENTS.get(body, version, "governs")
    if found is None:
        found = (
            f"{body.body} rules {version.id} ({version.title}) govern {version.applies.describe()} "
            f"{cite(version.id, version.sources)}"
        )
        _REQUIREMENTS.put(body, version, "governs", found)
    return found  # type: ignore[return-value]
