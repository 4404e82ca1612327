"""What an operator gets from a plain `pip install`: the wheel, installed with its declared
dependencies and nothing else into a new virtual environment, runs every command from an empty
directory, the daemon and its demo mail catcher included.

The dependencies come from a wheelhouse that `make wheelhouse` fills once (pip wheel with the
pinned versions), so the test itself needs no network; pip reads no configuration of this
machine's, so nothing but that wheelhouse can satisfy a dependency.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.webserver import free_port, http_get

ROOT = Path(__file__).resolve().parent.parent
WHEELHOUSE = ROOT / "var" / "wheelhouse"
SOURCE_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "var", "build", "dist", "*.egg-info", "__pycache__", ".mypy_cache",
    ".ruff_cache", ".pytest_cache",
)  # fmt: skip

pytestmark = pytest.mark.slow


def _clean_env(home: Path, **extra: str) -> dict[str, str]:
    """Only what a shell on a fresh machine has: no PIP_* or PYTHON* variables, no pip.conf."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    env |= {"PIP_CONFIG_FILE": os.devnull, "PYTHONNOUSERSITE": "1"}
    return env | extra


def _run(*command: str | Path, cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with the wheel and its dependencies; returns its bin folder."""
    if not (WHEELHOUSE / ".complete").is_file():
        pytest.fail(f"no wheelhouse at {WHEELHOUSE}: run `make wheelhouse` (it needs PyPI once)")
    base = tmp_path_factory.mktemp("package")
    env = _clean_env(base)
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=SOURCE_IGNORE)
    wheels = base / "wheels"
    pip = [sys.executable, "-m", "pip"]
    _run(
        *pip, "wheel", "--no-deps", "--no-build-isolation", "-w", wheels, source, cwd=base, env=env
    )
    [wheel] = wheels.glob("reminders-*.whl")
    venv = base / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=base, env=env)
    venv_pip: list[str | Path] = [
        venv / "bin" / "python",
        "-m",
        "pip",
        "--disable-pip-version-check",
    ]
    _run(*venv_pip, "install", "--no-index", "--find-links", WHEELHOUSE, wheel, cwd=base, env=env)
    _run(*venv_pip, "check", cwd=base, env=env)
    return venv / "bin"


def test_the_wheel_ships_templates_and_config(installed: Path, tmp_path: Path) -> None:
    code = (
        "import reminders, reminders.resources as r; "
        "print(reminders.__file__); print(r.config_dir()); print(r.templates_dir()); "
        "print(sorted(p.name for p in r.bodies_dir().glob('*.yaml'))); "
        "print(sorted(p.name for p in r.demo_dir().glob('*.csv')))"
    )
    module, config, templates, bodies, demo = _run(
        installed / "python", "-c", code, cwd=tmp_path, env=_clean_env(tmp_path)
    ).splitlines()
    venv = str(installed.parent)
    assert module.startswith(venv), "the installed copy must be the one imported"
    assert config.startswith(venv) and templates.startswith(venv)
    assert (Path(config) / "example.env").is_file()
    assert any(Path(templates).iterdir())
    assert bodies == "['aapc.yaml', 'ahima.yaml']"
    kinds = ["ceus", "credentials", "holders", "memberships", "subscriptions", "teams"]
    assert demo == str([f"{kind}.csv" for kind in kinds])


# Every command and subcommand's --help, in one process of the installed package: listing the
# commands imports each one's module (as running it would), so one process sees every import a
# process per command would, in a second rather than forty.
HELP_ALL = """
import contextlib, io, sys
import click
from reminders.cli import cli, main

def paths(group, prefix):
    context = click.Context(group)
    for name in group.list_commands(context):
        yield [*prefix, name]
        command = group.get_command(context, name)
        if isinstance(command, click.Group):
            yield from paths(command, [*prefix, name])

for path in paths(cli, []):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        main([*path, "--help"])
    print(" ".join(path), "->", "ok" if "Usage: reminders" in out.getvalue() else "NO HELP")
"""


def test_every_command_answers_help(installed: Path, tmp_path: Path) -> None:
    """Each command imports its modules on --help: a dependency missing from the declared ones
    fails here with ModuleNotFoundError."""
    env = _clean_env(tmp_path)
    out = _run(installed / "reminders", "--help", cwd=tmp_path, env=env)
    commands = [line.split()[0] for line in out.split("Commands:")[1].splitlines() if line.strip()]
    assert {"init", "import", "run", "catcher", "web", "digest", "mail"} <= set(commands)
    answers = dict(
        line.split(" -> ")
        for line in _run(installed / "python", "-c", HELP_ALL, cwd=tmp_path, env=env).splitlines()
    )
    assert set(commands) <= set(answers) and {"mail log", "org webhook add"} <= set(answers)
    assert [path for path, answer in answers.items() if answer != "ok"] == []


def test_the_installed_command_imports_a_roster_from_an_empty_directory(
    installed: Path, tmp_path: Path
) -> None:
    work = tmp_path / "empty"
    work.mkdir()
    env = _clean_env(tmp_path)
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


def test_the_installed_daemon_runs_the_demo_from_an_empty_directory(
    installed: Path, tmp_path: Path
) -> None:
    """`reminders run --demo` after `init` and a demo import: healthy, the notices it sends
    arrive in its own mail catcher, and SIGTERM ends it with status 0."""
    work = tmp_path / "empty"
    work.mkdir()
    http, smtp = free_port(), free_port()
    env = _clean_env(tmp_path, REMINDERS_HTTP_PORT=str(http), REMINDERS_SMTP_PORT=str(smtp))
    reminders = installed / "reminders"
    _run(reminders, "init", cwd=work, env=env)
    _run(reminders, "import", "all", ROOT / "config" / "demo", cwd=work, env=env)
    daemon = subprocess.Popen(
        [reminders, "run", "--demo", "--as-of", "2026-11-24"],
        cwd=work, env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        caught: list[dict[str, str]] = []
        while time.monotonic() < deadline and daemon.poll() is None:
            status, body = http_get(f"http://127.0.0.1:{http}/mail.json")
            caught = json.loads(body) if status == 200 else []
            if caught:
                break
            time.sleep(0.2)
        assert caught, "no mail reached the demo's catcher"
        assert all(message["to"] and message["subject"] for message in caught)
        status, body = http_get(f"http://127.0.0.1:{http}/healthz")
        assert status == 200, body
        assert json.loads(body)["status"] == "ok"
        assert list((work / "var" / "mail").glob("*.eml"))
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, log = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, log
    assert "Traceback" not in log, log
