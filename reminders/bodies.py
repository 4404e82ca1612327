"""The certifying bodies' catalogues, loaded from `config/bodies/*.yaml` and validated at start.

This module holds what imports need to validate rows: the bodies, their credential codes and
the CEU category vocabulary. The rules engine extends the same files with requirement tables,
cycle anchors and rule versions. A bad file is a `CatalogueError` that names the file and the
path inside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

CODE_PATTERN = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"
SPECIALTY_PREFIX = "specialty:"


class CatalogueError(Exception):
    """A body file cannot be read or does not validate."""


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
    sources: tuple[str, ...] = ()
    note: str | None = None


class CategorySpec(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    description: str


class BodyFile(_Strict):
    body: str = Field(pattern=r"^[A-Z]+$")
    name: str
    website: str
    sources: tuple[Source, ...] = ()
    credentials: tuple[CredentialSpec, ...] = Field(min_length=1)
    categories: tuple[CategorySpec, ...] = ()
    specialty_categories: bool = Field(
        default=False, description="accept `specialty:<CODE>` tags for this body's specialties"
    )

    @model_validator(mode="after")
    def _unique_codes(self) -> BodyFile:
        for what, codes in (
            ("credentials", [c.code for c in self.credentials]),
            ("categories", [c.code for c in self.categories]),
        ):
            seen: set[str] = set()
            for code in codes:
                if code in seen:
                    raise ValueError(f"{what}: {code} is listed twice")
                seen.add(code)
        known_sources = {s.id for s in self.sources}
        for credential in self.credentials:
            for source in credential.sources:
                if source not in known_sources:
                    raise ValueError(f"credential {credential.code}: unknown source {source}")
        return self


@dataclass(frozen=True)
class Catalogue:
    """Every body's credentials and CEU categories, looked up by code."""

    bodies: Mapping[str, BodyFile]

    def body_of(self, credential: str) -> str | None:
        for code, body in self.bodies.items():
            if any(c.code == credential for c in body.credentials):
                return code
        return None

    def categories_of(self, body_code: str) -> frozenset[str]:
        body = self.bodies[body_code]
        plain = {c.code for c in body.categories}
        if body.specialty_categories:
            plain |= {SPECIALTY_PREFIX + c.code for c in body.credentials if c.kind == "specialty"}
        return frozenset(plain)

    def credential_index(self) -> dict[str, str]:
        """Credential code -> body code, for fast validation of many rows."""
        return {c.code: code for code, body in self.bodies.items() for c in body.credentials}


def _location(loc: Iterable[int | str], data: object) -> str:
    """Render a pydantic error location as a path a person can find in the YAML file."""
    parts: list[str] = []
    node = data
    for step in loc:
        if isinstance(step, int):
            label = f"[{step}]"
            if isinstance(node, list) and step < len(node):
                node = node[step]
                if isinstance(node, dict) and "code" in node:
                    label = f"[{step}] ({node['code']})"
            parts.append(label)
        else:
            parts.append(f".{step}" if parts else step)
            node = node.get(step) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


def load_body_file(path: Path) -> BodyFile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CatalogueError(f"{path}: cannot read: {exc}") from exc
    try:
        return BodyFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _location(first["loc"], data)
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise CatalogueError(f"{path}: {where}: {first['msg']}{more}") from exc


def load_catalogue(directory: Path) -> Catalogue:
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise CatalogueError(f"{directory}: no body files (*.yaml)")
    bodies: dict[str, BodyFile] = {}
    owner: dict[str, Path] = {}
    for path in files:
        body = load_body_file(path)
        if body.body in bodies:
            raise CatalogueError(
                f"{path}: body {body.body} is already defined in {owner[body.body]}"
            )
        for credential in body.credentials:
            for other, other_body in bodies.items():
                if any(c.code == credential.code for c in other_body.credentials):
                    raise CatalogueError(
                        f"{path}: credential {credential.code} is already a credential of {other}"
                    )
        bodies[body.body] = body
        owner[body.body] = path
    return Catalogue(bodies=bodies)
