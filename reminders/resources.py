"""Where the files that ship with the package live: `templates/` and `config/`.

In a checkout they are the repository's top-level folders, where operators look for them; a built
wheel carries them inside the package as `reminders/templates` and `reminders/config` (see
`[tool.setuptools]` in pyproject.toml), so an installed service finds them from any directory.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def _shipped(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the {name}/ folder is missing from the installation at {_PACKAGE}")


def config_dir() -> Path:
    return _shipped("config")


def templates_dir() -> Path:
    return _shipped("templates")


def bodies_dir() -> Path:
    return config_dir() / "bodies"


def demo_dir() -> Path:
    return config_dir() / "demo"
