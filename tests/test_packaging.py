"""The built package carries templates/ and config/ and works from any directory.

The wheel is built from a copy of the source and installed into a new virtual environment; its
dependencies come from this environment (a path in a .pth file) so that the test needs no network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "var", "build", "dist", "*.egg-info", "__pycache__", ".mypy_cache",
    ".ruff_cache", ".pytest_cache",
)  # fmt: skip


def _run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with the wheel installed; returns its bin directory."""
    base = tmp_path_factory.mktemp("package")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=SOURCE_IGNORE)
    wheels = base / "wheels"
    pip = [sys.executable, "-m", "pip"]
    _run(*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", wheels, source, cwd=base)
    [wheel] = wheels.glob("reminders-*.whl")
    venv = base / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=base)
    python = venv / "bin" / "python"
    _run(*pip, "--python", python, "install", "--no-deps", "--no-index", wheel, cwd=base)
    purelib = _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=base)
    Path(purelib.strip(), "_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return venv / "bin"


def test_the_wheel_ships_templates_and_config(installed: Path, tmp_path: Path) -> None:
    code = (
        "import reminders, reminders.resources as r; "
        "print(reminders.__file__); print(r.config_dir()); print(r.templates_dir()); "
        "print(sorted(p.name for p in r.bodies_dir().glob('*.yaml'))); "
        "print(sorted(p.name for p in r.demo_dir().glob('*.csv')))"
    )
    module, config, templates, bodies, demo = _run(
        installed / "python", "-c", code, cwd=tmp_path
    ).splitlines()
    venv = str(installed.parent)
    assert module.startswith(venv), "the installed copy must be the one imported"
    assert config.startswith(venv) and templates.startswith(venv)
    assert (Path(config) / "example.env").is_file()
    assert any(Path(templates).iterdir())
    assert bodies == "['aapc.yaml', 'ahima.yaml']"
    assert demo == str(
        sorted(
            [
                "ceus.csv",
                "credentials.csv",
                "holders.csv",
                "memberships.csv",
                "subscriptions.csv",
                "teams.csv",
            ]
        )
    )


def test_the_installed_command_imports_a_roster_from_an_empty_directory(
    installed: Path, tmp_path: Path
) -> None:
    work = tmp_path / "empty"
    work.mkdir()
    env = {"PATH": f"{installed}:/usr/bin:/bin", "HOME": str(tmp_path)}
    demo = ROOT / "config" / "demo"
    reminders = installed / "reminders"
    assert "created database sqlite:///var/reminders.db" in _run(
        reminders, "init", cwd=work, env=env
    )
    kinds = ["holders", "credentials", "memberships", "ceus", "teams", "subscriptions"]
    for kind in kinds:
        out = _run(reminders, "import", kind, demo / f"{kind}.csv", cwd=work, env=env)
        assert " 0 changed, 0 unchanged" in out and " 0 added," not in out
    for kind in kinds:
        out = _run(reminders, "import", kind, demo / f"{kind}.csv", cwd=work, env=env)
        assert ": 0 added, 0 changed, " in out
    assert (work / "var" / "reminders.db").is_file()
    assert "8 holders, 13 credentials" in _run(reminders, "show", cwd=work, env=env)
    assert _run(installed / "python", "-m", "reminders", "check", cwd=work, env=env) == "ok\n"
    assert os.listdir(work) == ["var"]
