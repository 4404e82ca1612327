"""The shape of a certifying body's rule file (`config/bodies/*.yaml`), validated with pydantic.

Pure data: the loader (`reminders.rules.loader`) reads the files; the evaluation reads these
models. Every rule carries the ids of its sources, which the file lists with URL and date.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

CODE_PATTERN = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"
SPECIALTY_PREFIX = "specialty:"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    id: str
    url: str
    date: str = Field(description="the page's date, or how it was inferred")


class CredentialSpec(_Strict):
    code: str = Field(pattern=CODE_PATTERN)
    name: str
    kind: Literal["core", "specialty", "apprentice"] = "core"
    status: Literal["active", "retired"] = "active"
    verified: bool = True
    apprentice_of: str | None = None
    sources: tuple[str, ...] = ()


class CategorySpec(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    description: str
    label: str | None = None
    """A short name for people ("HIIM domains"); the code with spaces where it is missing."""

    @property
    def words(self) -> str:
        return self.label or self.code.replace("-", " ")


class Cycle(_Strict):
    id: str
    anchor: Literal["membership", "exam"]
    years: int = Field(ge=1, le=5)
    parity: Literal["membership-month"] | None = None
    renewal_month_ceus: Literal["either-cycle", "ending-cycle"]
    sources: tuple[str, ...] = Field(min_length=1)


class Membership(_Strict):
    id: str
    dues: Literal["annual"]
    grace_days: int = Field(ge=0)
    cancelled_after_days: int = Field(ge=0)
    sources: tuple[str, ...] = Field(min_length=1)


class Submission(_Strict):
    id: str
    opens_months_before: int = Field(ge=0)
    sources: tuple[str, ...] = Field(min_length=1)


class Applies(_Strict):
    """Which cycles a version governs; every condition given must hold."""

    cycle_ends_from: date | None = None
    cycle_ends_before: date | None = None
    cycle_starts_from: date | None = None

    def covers(self, start: date, end: date) -> bool:
        return (
            (self.cycle_ends_from is None or end >= self.cycle_ends_from)
            and (self.cycle_ends_before is None or end < self.cycle_ends_before)
            and (self.cycle_starts_from is None or start >= self.cycle_starts_from)
        )

    def describe(self) -> str:
        parts = []
        if self.cycle_starts_from:
            parts.append(f"cycles that begin on or after {self.cycle_starts_from}")
        if self.cycle_ends_from:
            parts.append(f"cycles that end on or after {self.cycle_ends_from}")
        if self.cycle_ends_before:
            parts.append(f"cycles that end before {self.cycle_ends_before}")
        return " and ".join(parts) or "every cycle"


class ByCount(_Strict):
    """CEUs by the number of credentials held: the n-th figure for n, the last for more."""

    by_count: tuple[Decimal, ...] = Field(min_length=1)


class PerCredential(_Strict):
    """The highest single-credential figure, plus `additional` per further credential, up to `cap`."""

    per_credential: dict[str, Decimal]
    additional: Decimal = Field(ge=0)
    cap: Decimal = Field(gt=0)
    supersedes: dict[str, tuple[str, ...]] = {}


class Minimum(_Strict):
    """CEUs of one category inside the total, for holders of one of `credentials` (all if empty).

    Either a fixed number of CEUs or a percentage of the requirement. Minimums of one `group`
    never share a CEU; a CEU may fill one minimum in each group.
    """

    id: str
    category: str
    credentials: tuple[str, ...] = ()
    ceus: Decimal | None = Field(default=None, gt=0)
    percent: Decimal | None = Field(default=None, gt=0, le=100)
    only_credential_ceus: Decimal | None = Field(default=None, gt=0)
    providers: tuple[str, ...] = ()
    group: str = "credential"
    sources: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_amount(self) -> Minimum:
        if (self.ceus is None) == (self.percent is None):
            raise ValueError("give either ceus or percent")
        return self


class Specialty(_Strict):
    ceus: Decimal = Field(gt=0)
    group: str = "specialty"
    sources: tuple[str, ...] = Field(min_length=1)


class AfterDeadline(_Strict):
    """How long after the cycle's end the credential survives unmet (overdue), then `then`."""

    days: int | None = Field(default=None, gt=0)
    months: int | None = Field(default=None, gt=0)
    then: Literal["revoked"]
    sources: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_length(self) -> AfterDeadline:
        if (self.days is None) == (self.months is None):
            raise ValueError("give either days or months")
        return self


def _requirement_kind(value: object) -> str:
    """Which table a requirement is, so that a mistake in one is reported against that one."""
    if isinstance(value, dict):
        return "per_credential" if "per_credential" in value else "by_count"
    return "per_credential" if isinstance(value, PerCredential) else "by_count"


class Version(_Strict):
    id: str
    title: str
    applies: Applies
    sources: tuple[str, ...] = Field(min_length=1)
    requirement: Annotated[
        Annotated[ByCount, Tag("by_count")] | Annotated[PerCredential, Tag("per_credential")],
        Discriminator(_requirement_kind),
    ]
    minimums: tuple[Minimum, ...] = ()
    specialty: Specialty | None = None
    after_deadline: AfterDeadline


class Choice(_Strict):
    id: str
    question: str
    choice: str
    why: str


class BodyFile(_Strict):
    body: str = Field(pattern=r"^[A-Z]+$")
    name: str
    website: str
    sources: tuple[Source, ...] = Field(min_length=1)
    credentials: tuple[CredentialSpec, ...] = Field(min_length=1)
    categories: tuple[CategorySpec, ...] = ()
    specialty_categories: bool = False
    cycle: Cycle
    membership: Membership | None = None
    submission: Submission | None = None
    versions: tuple[Version, ...] = Field(min_length=1)
    choices: tuple[Choice, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> BodyFile:
        _unique("credentials", [c.code for c in self.credentials])
        _unique("categories", [c.code for c in self.categories])
        _unique("versions", [v.id for v in self.versions])
        _unique("choices", [c.id for c in self.choices])
        self._check_references()
        return self

    def _check_references(self) -> None:
        sources = {s.id for s in self.sources}
        codes = {c.code for c in self.credentials}
        for credential in self.credentials:
            if credential.apprentice_of is not None and credential.apprentice_of not in codes:
                raise ValueError(
                    f"credential {credential.code}: unknown {credential.apprentice_of}"
                )
        for version in self.versions:
            self._check_version(version, codes)
        for where, ids in self._citations():
            missing = [source for source in ids if source not in sources]
            if missing:
                raise ValueError(f"{where}: unknown sources {missing}")

    def _check_version(self, version: Version, codes: set[str]) -> None:
        categories = {c.code for c in self.categories}
        if isinstance(version.requirement, PerCredential):
            unknown = set(version.requirement.per_credential) - codes
            if unknown:
                raise ValueError(f"version {version.id}: unknown credentials {sorted(unknown)}")
        for minimum in version.minimums:
            where = f"version {version.id} minimum {minimum.id}"
            if minimum.category not in categories:
                raise ValueError(f"{where}: unknown category {minimum.category}")
            unknown = set(minimum.credentials) - codes
            if unknown:
                raise ValueError(f"{where}: unknown credentials {sorted(unknown)}")

    def _citations(self) -> list[tuple[str, tuple[str, ...]]]:
        """(rule, the ids of its sources) for every rule that cites sources."""
        cited = [(f"credential {c.code}", c.sources) for c in self.credentials]
        cited.append((self.cycle.id, self.cycle.sources))
        for block in (self.membership, self.submission):
            if block is not None:
                cited.append((block.id, block.sources))
        for version in self.versions:
            cited.append((f"version {version.id}", version.sources))
            cited.append((f"version {version.id} after_deadline", version.after_deadline.sources))
            if version.specialty is not None:
                cited.append((f"version {version.id} specialty", version.specialty.sources))
            cited.extend(
                (f"version {version.id} minimum {m.id}", m.sources) for m in version.minimums
            )
        return cited

    def version_for(self, start: date, end: date) -> Version | None:
        """The version that governs a cycle: the last one in the file whose conditions hold."""
        chosen = None
        for version in self.versions:
            if version.applies.covers(start, end):
                chosen = version
        return chosen

    @cached_property
    def credentials_by_code(self) -> dict[str, CredentialSpec]:
        return {c.code: c for c in self.credentials}

    def credential(self, code: str) -> CredentialSpec | None:
        return self.credentials_by_code.get(code)

    def category_codes(self) -> frozenset[str]:
        plain = {c.code for c in self.categories}
        if self.specialty_categories:
            plain |= {SPECIALTY_PREFIX + c.code for c in self.credentials if c.kind == "specialty"}
        return frozenset(plain)


def _unique(what: str, codes: list[str]) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise ValueError(f"{what}: {code} is listed twice")
        seen.add(code)
