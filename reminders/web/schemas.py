"""The API's request and response bodies, and the checks on what a request may name.

Field-level checks beyond the types are the import columns' (reminders.imports.kinds): an API
write goes through the same checks as a CSV row.

(No `from __future__ import annotations`: pydantic and FastAPI read these annotations at run
time.)
"""

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, NoReturn

from fastapi import HTTPException, Query
from fastapi import Path as FastApiPath
from pydantic import BaseModel, ConfigDict, Field, field_validator

from reminders.db import scope
from reminders.imports.fields import CONTROL, FieldError
from reminders.imports.fields import email as email_rule
from reminders.imports.fields import name as name_rule

_UNSAFE = CONTROL  # the import columns' rule: one for CSV, API and command line


class Org(BaseModel):
    pk: int
    name: str


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _one_line(cls, value: Any) -> Any:
        """No control characters in any text: they are never valid data, and PostgreSQL
        refuses a NUL outright."""
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and _UNSAFE.search(text) for text in texts):
            raise ValueError("contains a control character; use one line of text")
        return value


class HolderIn(_In):
    holder_id: str = Field(min_length=1, max_length=64)
    full_name: str = Field(min_length=1, max_length=100)
    email: str = Field(min_length=3, max_length=254)
    timezone: str | None = Field(default=None, max_length=64)
    team: str = Field(min_length=1, max_length=200, description="the team the holder joins")


class HolderOut(BaseModel):
    holder_id: str
    full_name: str
    email: str
    timezone: str | None
    teams: list[str]
    shared: bool = Field(
        default=False,
        description="on the operator's roster and in another organisation's teams too: "
        "read-only here (its records come from the operator's imports)",
    )


class HolderPage(BaseModel):
    items: list[HolderOut]
    next: str | None = Field(description="pass as `after` for the next page; null at the end")


class CredentialIn(_In):
    credential: str = Field(min_length=1, max_length=16)
    earned_on: date


class CredentialOut(BaseModel):
    credential: str
    body: str
    earned_on: date


class MembershipIn(_In):
    body: str = Field(min_length=1, max_length=16)
    member_id: str | None = Field(default=None, max_length=64)
    renews_on: date | None = None
    cycle_ends_on: date | None = None
    required_ceus: Decimal | None = Field(default=None, ge=0, le=1000, decimal_places=2)


class MembershipOut(BaseModel):
    body: str
    member_id: str | None
    renews_on: date | None
    cycle_ends_on: date | None
    required_ceus: float | None


class CeuIn(_In):
    holder_id: str = Field(min_length=1, max_length=64)
    completed_on: date
    hours: Decimal = Field(ge=0, le=1000, decimal_places=2)
    title: str = Field(min_length=1, max_length=500)
    provider: str | None = Field(default=None, max_length=200)
    index_number: str | None = Field(default=None, max_length=64)
    bodies: str | list[str] = Field(description="AAPC, AHIMA or AAPC;AHIMA (or a list)")
    categories: str | list[str] | None = None


class CeuOut(BaseModel):
    id: int
    holder_id: str
    completed_on: date
    hours: float
    title: str
    provider: str | None
    index_number: str | None
    bodies: list[str]
    categories: list[str]


class CeuPage(BaseModel):
    items: list[CeuOut]
    next: int | None


class CeuBulk(BaseModel):
    items: list[CeuOut]


class TeamIn(_In):
    name: str = Field(min_length=1, max_length=200)

    @field_validator("name")
    @classmethod
    def _a_name(cls, value: str) -> str:
        try:
            return name_rule(value, 200)
        except FieldError as exc:
            raise ValueError(str(exc)) from None


class TeamOut(BaseModel):
    name: str
    members: int


class MemberIn(_In):
    holder_id: str = Field(min_length=1, max_length=64)


class SubscriptionIn(_In):
    team: str | None = Field(default=None, max_length=200, description="empty: the organisation")
    email: str = Field(min_length=3, max_length=254)
    frequency: Literal["weekly", "monthly"]
    timezone: str | None = Field(default=None, max_length=64)
    alerts: Literal["none", "daily", "immediate"] = Field(
        default="none",
        description="alerts when a member turns behind near a deadline, overdue or lapsed: "
        "none, daily (08:00 in the subscriber's zone) or immediate (at most one mail per "
        "REMINDERS_ALERT_INTERVAL_MINUTES)",
    )


class SubscriptionPatch(_In):
    paused: bool | None = None
    alerts: Literal["none", "daily", "immediate"] | None = None


class SubscriptionOut(BaseModel):
    id: int
    team: str | None
    email: str
    frequency: str
    timezone: str | None
    paused: bool
    alerts: str


Escalate = Literal["off", "final", "overdue"]


class OrganisationOut(BaseModel):
    name: str
    escalate: str = Field(
        description="what its team leads get a copy of: off; final (the final reminder before "
        "a due date and every notice after it); overdue (every notice after a missed due date)"
    )


class OrganisationPatch(_In):
    escalate: Escalate


class LeadIn(_In):
    email: str = Field(min_length=3, max_length=254)
    name: str | None = Field(default=None, max_length=200, description="as the coders see it")

    @field_validator("email")
    @classmethod
    def _an_address(cls, value: str) -> str:
        try:
            return email_rule(value)
        except FieldError as exc:
            raise ValueError(str(exc)) from exc


class LeadOut(BaseModel):
    email: str
    name: str | None
    unsubscribed: bool


class WebhookIn(_In):
    url: str = Field(min_length=8, max_length=2000, description="https only")
    format: Literal["slack", "teams", "json"] = "json"


class WebhookOut(BaseModel):
    id: int
    url: str
    format: str
    state: str = Field(description="active, failing or disabled")
    created_at: datetime
    failing_since: datetime | None
    disabled_at: datetime | None
    disabled_reason: str | None


class WebhookCreated(WebhookOut):
    secret: str = Field(
        description="signs every request (the Reminders-Signature header); shown only here"
    )


class DeliveryOut(BaseModel):
    id: str
    webhook: int
    created_at: datetime
    state: str
    attempts: int
    events: int
    last_status: int | None
    last_error: str | None
    sent_at: datetime | None


class NoticeOut(BaseModel):
    holder_id: str
    body: str
    kind: str
    key: str
    due_on: date
    to: str
    rung: str
    expires_on: date


def invalid(problems: Sequence[tuple[Sequence[str | int], str]]) -> NoReturn:
    raise HTTPException(
        422, [{"loc": ["body", *loc], "msg": msg, "type": "value_error"} for loc, msg in problems]
    )


def not_found(what: str) -> NoReturn:
    raise HTTPException(404, f"no {what}")


def ref(value: str, what: str) -> str:
    """A name or id from the path: one that no record can have is simply not found."""
    if not value or len(value) > 200 or _UNSAFE.search(value):
        not_found(what)
    return value


def dump(model: BaseModel) -> dict[str, Any]:
    return {
        name: (
            value.isoformat() if isinstance(value, date) else
            format(value, "f") if isinstance(value, Decimal) else value
        )
        for name, value in model.model_dump().items()
    }  # fmt: skip


def ceu_out(row: scope.CeuRow) -> CeuOut:
    return CeuOut(
        id=row.id, holder_id=row.holder_id, completed_on=row.completed_on, hours=float(row.hours),
        title=row.title, provider=row.provider, index_number=row.index_number,
        bodies=[b for b in row.bodies.split(";") if b],
        categories=[c for c in row.categories.split(";") if c],
    )  # fmt: skip


Limit = Annotated[int, Query(ge=1, le=1000, description="items per page")]
INT_MAX = 2**31 - 1  # the row ids' column type on both databases
RowId = Annotated[int, FastApiPath(ge=1, le=INT_MAX)]
After = Annotated[int, Query(ge=0, le=INT_MAX, description="the `next` of the previous page")]
