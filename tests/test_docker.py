"""The image and the compose stack as an operator gets them: the base images (built from a Debian
mirror where no registry answers, docker/base-images.sh), the image built from the unmodified
Dockerfile, and the stack of docker-compose.yml started, fed the demo roster as the README says,
and stopped. Run by `make docker-test`; each test is one of its checks.

The build context is a copy of the source with this machine's extra CA certificates in
docker/ca-certificates/, as the README tells an operator behind a TLS-inspecting proxy to do.
Every container and volume made here is removed at the end; the images stay, as a cache.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.dockerengine import DockerUnavailable, compose, docker, engine
from tests.webserver import free_port, http_get

ROOT = Path(__file__).resolve().parent.parent
IMAGE = "reminders:test"
SECRET = "docker-test-secret-key-0123456789abcdef"
LOCAL_CAS = Path("/usr/local/share/ca-certificates")

pytestmark = pytest.mark.docker


def _report(line: str) -> None:
    print(f"\n    {line}", end="")


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The engine running, the base images present, and the project's image built."""
    base = tmp_path_factory.mktemp("docker")
    try:
        with engine(base / "dockerd.log"):
            started = time.monotonic()
            subprocess.run(["sh", ROOT / "docker" / "base-images.sh"], check=True, timeout=1800)
            context = base / "context"
            shutil.copytree(ROOT, context, ignore=shutil.ignore_patterns(".git", ".venv", "var"))
            for certificate in LOCAL_CAS.glob("**/*.crt"):
                shutil.copy(certificate, context / "docker" / "ca-certificates")
            previous = docker("image", "inspect", "--format", "{{.Id}}", IMAGE, check=False)
            docker("build", "--network", "host", "--quiet", "--tag", IMAGE, context, timeout=1800)
            built = docker("image", "inspect", "--format", "{{.Id}}", IMAGE)
            if previous.strip() and previous != built:
                docker("rmi", previous.strip(), check=False)  # not a dangling image a run
            _report(f"base images and image built in {time.monotonic() - started:.0f} s")
            yield IMAGE
    except DockerUnavailable as exc:
        pytest.fail(str(exc))


@pytest.fixture
def volume(image: str) -> Iterator[str]:
    name = f"reminders-test-{uuid.uuid4().hex[:8]}"
    docker("volume", "create", name)
    yield name
    docker("volume", "rm", "--force", name, check=False)


def _health(container: str) -> str:
    return docker("inspect", "--format", "{{.State.Health.Status}}", container).strip()


def _until_healthy(container: str, seconds: float = 120) -> float:
    started = time.monotonic()
    while (status := _health(container)) != "healthy":
        if status == "unhealthy" or time.monotonic() - started > seconds:
            logs = docker("logs", "--tail", "30", container, check=False)
            raise AssertionError(f"{container} is {status}: {logs}")
        time.sleep(0.5)
    return time.monotonic() - started


def _stop(container: str) -> float:
    started = time.monotonic()
    docker("stop", "--time", "10", container)
    return time.monotonic() - started


def test_the_image_answers_help_and_runs_as_a_user_of_its_own(image: str) -> None:
    out = docker("run", "--rm", "--network", "host", image, "--help")
    assert "Usage: reminders" in out and "catcher" in out
    config = json.loads(docker("image", "inspect", "--format", "{{json .Config}}", image))
    assert config["User"] == "reminders"
    assert config["Volumes"] == {"/data": {}}
    uid = docker("run", "--rm", "--network", "host", "--entrypoint", "id", image, "-u")
    assert uid.strip() == "999"
    size = int(docker("image", "inspect", "--format", "{{.Size}}", image))
    _report(f"image size: {size / 1e6:.0f} MB")


def test_a_new_named_volume_holds_the_database_without_a_chown(image: str, volume: str) -> None:
    """`init` on a new volume, then the daemon on it: healthy, as uid 999, and `docker stop`
    ends it within 10 s with status 0."""
    out = docker("run", "--rm", "--network", "host", "-v", f"{volume}:/data", image, "init")
    assert "created database sqlite:////data/reminders.db" in out
    port = free_port()
    container = docker(
        "run", "--detach", "--network", "host", "-v", f"{volume}:/data",
        "-e", f"REMINDERS_HTTP_PORT={port}", "-e", f"REMINDERS_SECRET_KEY={SECRET}",
        image, "run",
    ).strip()  # fmt: skip
    try:
        waited = _until_healthy(container)
        _report(f"daemon on SQLite healthy after {waited:.1f} s")
        status, body = http_get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and json.loads(body)["database"] is True
        top = docker("top", container, "-o", "pid,uid,args")
        daemon_line = next(line for line in top.splitlines() if "reminders run" in line)
        assert daemon_line.split()[1] == "999"
        took = _stop(container)
        _report(f"docker stop took {took:.1f} s")
        assert took < 10
        assert docker("inspect", "--format", "{{.State.ExitCode}}", container).strip() == "0"
    finally:
        docker("rm", "--force", container, check=False)


def _host_network_files(folder: Path) -> list[Path]:
    """docker-compose.yml as it is but for its published ports, which Docker refuses beside the
    host's network (and which that network makes moot), then the override that puts each service
    on 127.0.0.1 (tests/compose.host-network.yml)."""
    stack = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for service in stack["services"].values():
        service.pop("ports", None)
        if "build" in service:
            service["build"] = str(ROOT)
    unpublished = folder / "docker-compose.yml"
    unpublished.write_text(yaml.safe_dump(stack, sort_keys=False))
    return [unpublished, ROOT / "tests" / "compose.host-network.yml"]


@pytest.fixture
def stack(image: str, tmp_path: Path) -> Iterator[tuple[str, list[Path], dict[str, str]]]:
    """The compose stack on the host's network; taken down with its volumes after."""
    files = _host_network_files(tmp_path)
    project = f"reminderstest{uuid.uuid4().hex[:8]}"
    env = {
        "REMINDERS_SECRET_KEY": SECRET,
        "POSTGRES_HOST": "127.0.0.1",
        "POSTGRES_PORT": str(free_port()),
        "CATCHER_HOST": "127.0.0.1",
        "CATCHER_SMTP_PORT": str(free_port()),
        "CATCHER_HTTP_PORT": str(free_port()),
        "REMINDERS_HTTP_PORT": str(free_port()),
    }
    try:
        yield project, files, env
    finally:
        compose(project, files, env, "down", "--volumes", "--remove-orphans", "--timeout", "10")


def test_compose_migrates_runs_and_delivers_the_demo_to_its_catcher(
    stack: tuple[str, list[Path], dict[str, str]],
) -> None:
    project, files, env = stack
    started = time.monotonic()
    compose(project, files, env, "up", "--detach", "--no-build")
    daemon = f"{project}_reminders_1"
    waited = _until_healthy(daemon)
    _report(f"compose stack up and healthy after {time.monotonic() - started:.1f} s")
    assert waited < 120
    assert "exited (0)" in docker("ps", "-a", "--filter", f"name={project}_cli_1",
                                  "--format", "{{.Status}}").lower()  # fmt: skip
    # The README's import, as written there.
    out = compose(
        project, files, env,
        "run", "--rm", "-v", f"{ROOT / 'config' / 'demo'}:/roster:ro", "cli",
        "import", "all", "/roster",
    )  # fmt: skip
    assert "/roster/holders.csv: 8 added" in out
    catcher = f"http://127.0.0.1:{env['CATCHER_HTTP_PORT']}"
    deadline = time.monotonic() + 60
    caught: list[dict[str, str]] = []
    while not caught and time.monotonic() < deadline:
        status, body = http_get(f"{catcher}/mail.json")
        caught = json.loads(body) if status == 200 else []
        time.sleep(0.5)
    assert caught, "no notice reached the compose stack's catcher"
    _report(f"{len(caught)} mails in the catcher, e.g. {caught[0]['subject']!r}")
    subjects = " | ".join(message["subject"] for message in caught)
    assert "Overdue: AHIMA CEUs" in subjects
    status, body = http_get(f"http://127.0.0.1:{env['REMINDERS_HTTP_PORT']}/healthz")
    assert status == 200, body
    took = _stop(daemon)
    _report(f"docker stop of the daemon took {took:.1f} s")
    assert took < 10
    assert docker("inspect", "--format", "{{.State.ExitCode}}", daemon).strip() == "0"
