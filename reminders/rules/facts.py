"""What the evaluation knows of a holder: plain, immutable data with CEUs in integer cents."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class CredentialFact:
    code: str
    earned_on: date


@dataclass(frozen=True, slots=True)
class MembershipFact:
    """What the body's own portal shows; each field, when given, overrides what is computed."""

    renews_on: date | None = None
    cycle_ends_on: date | None = None
    required_cents: int | None = None


class CeuFact(NamedTuple):
    """One CEU record. A named tuple rather than a dataclass: a scan makes ten million of them,
    and a tuple is made in a third of the time."""

    completed_on: date
    cents: int
    title: str
    bodies: frozenset[str]
    categories: frozenset[str] = frozenset()
    provider: str | None = None
    index_number: str | None = None


@dataclass(frozen=True, slots=True)
class Submitted:
    """The holder said, on `reported_on`, that they have submitted the cycle (renewed): the
    reminders for it pause until `pause_until`, unless the records settle it first."""

    reported_on: date
    pause_until: date


@dataclass(frozen=True)
class HolderFacts:
    holder_id: str
    credentials: tuple[CredentialFact, ...]
    memberships: Mapping[str, MembershipFact] = field(default_factory=dict)
    ceus: tuple[CeuFact, ...] = ()
    owner: str = ""
    """Whose holder_id this is: '' for the operator's roster, else the organisation that owns
    the holder (organisations may use the same ids). Part of each notice's key."""
    submitted: Mapping[tuple[str, date], Submitted] = field(default_factory=dict)
    """What the holder self-reported as submitted, by (body, end of the cycle)."""
