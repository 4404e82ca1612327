"""Reads `config/bodies/*.yaml` into a `Rulebook`; a bad file is a `RulebookError` that names
the file and the path inside it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from reminders.rules.model import BodyFile
from reminders.rules.pace import Pace

Model = TypeVar("Model", bound=BaseModel)
MissingHistory = Literal["lapsed", "settled"]
"""How a date the body showed that has passed unmoved reads (REMINDERS_MISSING_HISTORY)."""


class RulebookError(Exception):
    """A body file cannot be read or does not validate."""


@dataclass(frozen=True)
class Rulebook:
    """Every body's rules, looked up by body code (AAPC, AHIMA)."""

    bodies: Mapping[str, BodyFile]
    pace: Pace = field(default_factory=Pace)
    """When a cycle counts as behind (REMINDERS_PACE_*); the defaults of interfaces.md."""
    missing_history: MissingHistory = "lapsed"
    """A membership renewal date or a stated cycle end that has passed with nothing recorded
    after it: "lapsed" reads it as the bodies' rules do (not renewed, not met: overdue, then
    lapsed); "settled" as history the roster lacks (REMINDERS_MISSING_HISTORY, docs/rules.md)."""

    def credential_index(self) -> dict[str, str]:
        """Credential code -> body code."""
        return dict(self.credential_bodies)

    @cached_property
    def credential_bodies(self) -> Mapping[str, str]:
        """Credential code -> body code, worked out once (the evaluation asks per holder)."""
        return {c.code: code for code, body in self.bodies.items() for c in body.credentials}

    def categories_of(self, body_code: str) -> frozenset[str]:
        return self.bodies[body_code].category_codes()

    def category_words(self, body_code: str, code: str) -> str:
        """A CEU category as people read it: "HIIM domains", "CEMC specialty"."""
        if code.startswith("specialty:"):
            return f"{code.removeprefix('specialty:')} specialty"
        for category in self.bodies[body_code].categories:
            if category.code == code:
                return category.words
        return code.replace("-", " ")


def error_location(loc: Iterable[int | str], data: object) -> str:
    """A pydantic error location as a path a person can find in the YAML file."""
    parts: list[str] = []
    node = data
    steps = list(loc)
    for position, step in enumerate(steps):
        if position + 1 < len(steps) and steps[position + 1] == step:
            continue  # the tag of a union (requirement.by_count.by_count)
        if isinstance(step, int):
            label = f"[{step}]"
            if isinstance(node, list) and step < len(node):
                node = node[step]
                if isinstance(node, dict):
                    name = node.get("code") or node.get("id")
                    label = f"[{step}] ({name})" if name else label
            parts.append(label)
        else:
            parts.append(f".{step}" if parts else step)
            node = node.get(step) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


def load_yaml(path: Path, model: type[Model]) -> Model:
    """A YAML file validated into `model`; any problem is a RulebookError naming the file and
    the path inside it."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RulebookError(f"{path}: cannot read: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = error_location(first["loc"], data)
        message = str(first["msg"]).removeprefix("Value error, ")
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise RulebookError(f"{path}: {where}: {message}{more}") from exc


def load_body_file(path: Path) -> BodyFile:
    return load_yaml(path, BodyFile)


def load_rulebook(directory: Path) -> Rulebook:
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise RulebookError(f"{directory}: no body files (*.yaml)")
    bodies: dict[str, BodyFile] = {}
    owner: dict[str, Path] = {}
    for path in files:
        body = load_body_file(path)
        if body.body in bodies:
            raise RulebookError(
                f"{path}: body {body.body} is already defined in {owner[body.body]}"
            )
        for credential in body.credentials:
            for other, other_body in bodies.items():
                if other_body.credential(credential.code) is not None:
                    raise RulebookError(
                        f"{path}: credential {credential.code} is already a credential of {other}"
                    )
        bodies[body.body] = body
        owner[body.body] = path
    return Rulebook(bodies=bodies)
