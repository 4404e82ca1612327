"""Assessment: what the CEUs of one cycle come to under the version that governs it. Pure.

The requirement (or the figure the body states for the cycle), the minimums with the CEUs
allocated to them group by group, what remains, and the reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from reminders.rules.allocation import allocate
from reminders.rules.cycles import Window
from reminders.rules.explain import Reason, ceus
from reminders.rules.facts import CeuFact, CredentialFact, MembershipFact
from reminders.rules.holding import rule_code
from reminders.rules.model import BodyFile, Minimum, Version
from reminders.rules.requirements import Spec, governs, minimum_specs, requirement
from reminders.rules.results import MinimumResult


@dataclass
class Assessment:
    window: Window
    version: Version
    held: tuple[CredentialFact, ...]
    required: int
    required_stated: bool
    earned: int
    remaining: int
    minimums: tuple[MinimumResult, ...]
    counted: Sequence[CeuFact]
    reasons: list[Reason] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.remaining == 0


def assess(
    body: BodyFile,
    held: tuple[CredentialFact, ...],
    membership: MembershipFact,
    window: Window,
    certified: date,
    counted: Sequence[CeuFact],
) -> Assessment:
    version = body.version_for(window.start, window.end)
    assert version is not None, f"{body.body}: no rule version covers {window}"
    reasons: list[Reason] = [governs(body, version)]
    codes = tuple(rule_code(body, c.code) for c in held)
    required, requirement_reason = requirement(body, version, codes)
    stated = membership.required_cents is not None and (
        membership.cycle_ends_on is None or membership.cycle_ends_on == window.end
    )
    if stated:
        assert membership.required_cents is not None
        required = membership.required_cents
        reasons.append(
            lambda: f"{body.body} states {ceus(required)} CEUs for this cycle, which wins"
        )
    else:
        reasons.append(requirement_reason)
        if certified > window.start and body.cycle.anchor == "membership":
            reasons.append(
                lambda: (
                    f"first cycle after certification on {certified}: {body.body} pro-rates it "
                    "and publishes no formula; record the figure it shows as required_ceus "
                    "(choice Q4)"
                )
            )
    specs = minimum_specs(body, version, held, required)
    earned = sum(c.cents for c in counted)
    remaining = max(required - earned, 0)
    results: list[MinimumResult] = []
    if specs:
        results = _allocate(version, specs, counted)
        groups: dict[str, int] = {}
        for (minimum, *_), result in zip(specs, results, strict=True):
            group = _group(version, minimum)
            groups[group] = groups.get(group, 0) + max(0, result.required - result.earned)
        remaining = max(remaining, *groups.values())
        reasons.extend(spec[5] for spec in specs)
    return Assessment(
        window, version, held, required, stated, earned, remaining, tuple(results), counted,
        reasons,
    )  # fmt: skip


def _group(version: Version, minimum: Minimum | None) -> str:
    """The group of a minimum, or of the specialty minimums (`minimum` None)."""
    if minimum is not None:
        return minimum.group
    assert version.specialty is not None  # a specialty spec comes only from a version with one
    return version.specialty.group


def _allocate(
    version: Version, specs: Sequence[Spec], counted: Sequence[CeuFact]
) -> list[MinimumResult]:
    """Allocate the CEUs to the minimums, group by group (a CEU fills one minimum a group)."""
    filled: dict[str, int] = {}
    groups: dict[str, list[int]] = {}
    for position, (minimum, *_) in enumerate(specs):
        group = _group(version, minimum)
        groups.setdefault(group, []).append(position)
    for positions in groups.values():
        needs = {specs[p][1]: specs[p][3] for p in positions}
        categories = {specs[p][2] for p in positions}
        items = []
        for ceu in counted:
            if categories.isdisjoint(ceu.categories):
                continue  # tagged for none of the group's minimums
            eligible = frozenset(
                specs[p][1]
                for p in positions
                if specs[p][2] in ceu.categories
                and ceu.completed_on >= specs[p][4]
                and _provider_ok(specs[p][0], ceu)
            )
            if eligible:
                items.append((ceu.cents, eligible))
        filled.update(allocate(items, needs).filled)
    return [
        MinimumResult(spec_id, category, cents, filled[spec_id])  # allocate fills every need
        for _, spec_id, category, cents, _, _ in specs
    ]


def _provider_ok(minimum: Minimum | None, ceu: CeuFact) -> bool:
    if minimum is None or not minimum.providers:
        return True
    if not ceu.provider:
        return False  # a minimum that names its providers takes only CEUs that name one
    provider = ceu.provider.casefold()
    return any(vendor.casefold() in provider for vendor in minimum.providers)
