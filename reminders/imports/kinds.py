"""The six import files: their columns, how a row is checked, and where it is staged.

Each `Kind` says which columns the file has (docs: interfaces.md, "Import files"), how a row's
cells become a staged row, and what the row's natural key is. `reminders.imports.apply` then
checks what needs the database (holders that exist, keys repeated in the file) and upserts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache, partial
from typing import Any

from sqlalchemy import Column as SqlColumn
from sqlalchemy import Date, Integer, String
from sqlalchemy.types import TypeEngine

from reminders.db import base, models
from reminders.imports import fields
from reminders.imports.fields import FieldError
from reminders.rules.loader import Rulebook

Row = tuple[Any, ...]


class RowError(Exception):
    """A problem with one cell found after the cells were parsed (a rule across columns)."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    parse: Callable[[str], Any]


@dataclass(frozen=True)
class Staged:
    """A column of the staging table; each import builds fresh SQLAlchemy columns from these."""

    name: str
    type: TypeEngine[Any]
    nullable: bool = True

    def column(self) -> SqlColumn[Any]:
        return SqlColumn(self.name, self.type, nullable=self.nullable)


@dataclass(frozen=True)
class Kind:
    """One import file.

    `build` turns the parsed cells (in `columns` order) into the staged row (in `staged` order).
    `key` names the staged columns that make the file's natural key; `key_column` is the CSV
    column an error about a repeated key points at, or a function of the key's last value that
    says which one.
    """

    name: str
    columns: tuple[Column, ...]
    staged: tuple[Staged, ...]
    build: Callable[[Sequence[Any]], Row]
    key: tuple[str, ...]
    key_column: str | Callable[[Any], str]
    holder_ref: str | None = None
    """The staged column that names a holder who must exist."""

    def column_of_key(self, last_key_value: Any) -> str:
        if isinstance(self.key_column, str):
            return self.key_column
        return self.key_column(last_key_value)

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"


ORDER = ("holders", "credentials", "memberships", "ceus", "teams", "subscriptions")


def _text(max_length: int) -> Callable[[str], str]:
    return partial(fields.text, max_length=max_length)


def _optional_text(max_length: int) -> Callable[[str], str | None]:
    return partial(fields.optional_text, max_length=max_length)


def _holder_ref() -> Column:
    return Column("holder_id", True, partial(fields.identifier, max_length=base.ID_LENGTH))


def _identity(cells: Sequence[Any]) -> Row:
    return tuple(cells)


def _str(name: str, length: int, nullable: bool = False) -> Staged:
    return Staged(name, String(length), nullable)


def _holders() -> Kind:
    return Kind(
        name="holders",
        columns=(
            _holder_ref(),
            Column("full_name", True, fields.person_name),
            Column("email", True, fields.email),
            Column("timezone", False, fields.timezone),
        ),
        staged=(
            _str("holder_id", base.ID_LENGTH),
            _str("full_name", base.NAME_LENGTH),
            _str("email", base.EMAIL_LENGTH),
            _str("timezone", 64, nullable=True),
        ),
        build=_identity,
        key=("holder_id",),
        key_column="holder_id",
    )


def _credentials(rulebook: Rulebook) -> Kind:
    body_of = rulebook.credential_index()

    def build(cells: Sequence[Any]) -> Row:
        holder, code, earned_on = cells
        return holder, code, body_of[code], earned_on

    return Kind(
        name="credentials",
        columns=(
            _holder_ref(),
            Column("credential", True, fields.choice(body_of, "credential")),
            Column("earned_on", True, fields.iso_date),
        ),
        staged=(
            _str("holder_ref", base.ID_LENGTH),
            _str("code", models.CODE_LENGTH),
            _str("body", models.CODE_LENGTH),
            Staged("earned_on", Date(), False),
        ),
        build=build,
        key=("holder_ref", "code"),
        key_column="credential",
        holder_ref="holder_ref",
    )


def _memberships(rulebook: Rulebook) -> Kind:
    return Kind(
        name="memberships",
        columns=(
            _holder_ref(),
            Column("body", True, fields.choice(rulebook.bodies, "body")),
            Column("member_id", False, _optional_text(base.ID_LENGTH)),
            Column("renews_on", False, fields.optional_date),
            Column("cycle_ends_on", False, fields.optional_date),
            Column("required_ceus", False, fields.optional_ceus_cents),
        ),
        staged=(
            _str("holder_ref", base.ID_LENGTH),
            _str("body", models.CODE_LENGTH),
            _str("member_id", base.ID_LENGTH, nullable=True),
            Staged("renews_on", Date()),
            Staged("cycle_ends_on", Date()),
            Staged("required_ceus", Integer()),
        ),
        build=_identity,
        key=("holder_ref", "body"),
        key_column="body",
        holder_ref="holder_ref",
    )


@lru_cache(maxsize=4096)
def _joined(codes: tuple[str, ...]) -> str:
    return ";".join(codes)


def ceu_natural_key(index_number: str | None, completed_on: date, title: str) -> str:
    """The import key of a CEU inside a holder: a course with an index number counts once."""
    if index_number is not None:
        return f"i:{index_number}"
    return f"d:{completed_on.isoformat()}|{title}"


def _ceus(rulebook: Rulebook) -> Kind:
    vocabulary = {body: rulebook.categories_of(body) for body in rulebook.bodies}
    every_category = frozenset().union(*vocabulary.values())

    # A file repeats a handful of distinct lists a million times: parse each once.
    @lru_cache(maxsize=4096)
    def parse_bodies(value: str) -> tuple[str, ...]:
        return fields.code_list(value, rulebook.bodies, "body", required=True)

    @lru_cache(maxsize=4096)
    def parse_categories(value: str) -> tuple[str, ...]:
        return fields.code_list(value, every_category, "category", required=False)

    @lru_cache(maxsize=64)
    def accepted_by(bodies: tuple[str, ...]) -> frozenset[str]:
        return frozenset().union(*(vocabulary[body] for body in bodies))

    def build(cells: Sequence[Any]) -> Row:
        holder, completed_on, hours, title, provider, index_number, bodies, categories = cells
        accepted = accepted_by(bodies)
        stray = [category for category in categories if category not in accepted]
        if stray:
            raise RowError(
                "categories",
                f"{', '.join(stray)} is not a category of {' or '.join(bodies)}, "
                "the bodies this CEU is for",
            )
        key = ceu_natural_key(index_number, completed_on, title)
        return (
            holder,
            key,
            completed_on,
            hours,
            title,
            provider,
            index_number,
            _joined(bodies),
            _joined(categories),
        )

    return Kind(
        name="ceus",
        columns=(
            _holder_ref(),
            Column("completed_on", True, fields.iso_date),
            Column("hours", True, fields.ceus_cents),
            Column("title", True, _text(models.TITLE_LENGTH)),
            Column("provider", False, _optional_text(base.NAME_LENGTH)),
            Column("index_number", False, _optional_text(base.ID_LENGTH)),
            Column("bodies", True, parse_bodies),
            Column("categories", False, parse_categories),
        ),
        staged=(
            _str("holder_ref", base.ID_LENGTH),
            _str("natural_key", models.TITLE_LENGTH + 16),
            Staged("completed_on", Date(), False),
            Staged("hours", Integer(), False),
            _str("title", models.TITLE_LENGTH),
            _str("provider", base.NAME_LENGTH, nullable=True),
            _str("index_number", base.ID_LENGTH, nullable=True),
            _str("bodies", 64),
            _str("categories", models.TITLE_LENGTH),
        ),
        build=build,
        key=("holder_ref", "natural_key"),
        key_column=lambda key: "index_number" if key.startswith("i:") else "title",
        holder_ref="holder_ref",
    )


def _teams() -> Kind:
    return Kind(
        name="teams",
        columns=(
            Column("org", True, partial(fields.name, max_length=base.NAME_LENGTH)),
            Column("team", True, partial(fields.name, max_length=base.NAME_LENGTH)),
            _holder_ref(),
        ),
        staged=(
            _str("org", base.NAME_LENGTH),
            _str("team", base.NAME_LENGTH),
            _str("holder_ref", base.ID_LENGTH),
        ),
        build=_identity,
        key=("org", "team", "holder_ref"),
        key_column="holder_id",
        holder_ref="holder_ref",
    )


FREQUENCIES = ("weekly", "monthly")
ALERTS = ("none", "daily", "immediate")


def _alerts(value: str) -> str:
    """none (also empty), daily or immediate."""
    return fields.choice(ALERTS, "alerts")(value) if value.strip() else "none"


def _subscriptions() -> Kind:
    return Kind(
        name="subscriptions",
        columns=(
            Column("org", True, partial(fields.name, max_length=base.NAME_LENGTH)),
            Column("team", False, partial(fields.optional_name, max_length=base.NAME_LENGTH)),
            Column("email", True, fields.email),
            Column("frequency", True, fields.choice(FREQUENCIES, "frequency")),
            Column("timezone", False, fields.timezone),
            Column("alerts", False, _alerts),
        ),
        staged=(
            _str("org", base.NAME_LENGTH),
            _str("team", base.NAME_LENGTH, nullable=True),
            _str("email", base.EMAIL_LENGTH),
            _str("frequency", 16),
            _str("timezone", 64, nullable=True),
            _str("alerts", 16),
        ),
        build=_identity,
        key=("org", "team", "email"),
        key_column="email",
    )


def make_kinds(rulebook: Rulebook) -> dict[str, Kind]:
    kinds = (
        _holders(),
        _credentials(rulebook),
        _memberships(rulebook),
        _ceus(rulebook),
        _teams(),
        _subscriptions(),
    )
    return {kind.name: kind for kind in kinds}


__all__ = ["ORDER", "Column", "FieldError", "Kind", "RowError", "make_kinds"]
