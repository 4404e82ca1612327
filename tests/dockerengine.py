"""A Docker engine for the image tests: the one that answers, or one started here and stopped
after (`dockerd` from Debian's docker.io; there is no systemd on these machines).

An engine started here has no bridge network and no iptables rules: every container of the tests
uses the host's network on 127.0.0.1, so no test traffic goes to any other address.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

# The legacy builder: it needs no buildx plugin, and builds FROM local images with no registry.
ENV = {**os.environ, "DOCKER_BUILDKIT": "0", "COMPOSE_DOCKER_CLI_BUILD": "0"}


class DockerUnavailable(RuntimeError):
    pass


def docker(*args: str | Path, timeout: float = 600, check: bool = True) -> str:
    """Run the docker client; its output, or an AssertionError that quotes it."""
    result = subprocess.run(
        ["docker", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, env=ENV, check=False,
    )  # fmt: skip
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(map(str, args))}: {result.stdout}{result.stderr}")
    return result.stdout


def answers() -> bool:
    try:
        result = subprocess.run(
            ["docker", "version", "--format", "{{.Server.Version}}"],
            capture_output=True, text=True, timeout=20, env=ENV, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return False
    # Without an engine the client still prints its own part and exits 1.
    return result.returncode == 0 and result.stdout.strip() != ""


@contextmanager
def engine(log: Path) -> Iterator[None]:
    """A Docker engine that answers for the duration; one started here is stopped after."""
    if shutil.which("docker") is None:
        raise DockerUnavailable("no docker client: `make docker-test` installs Debian's docker.io")
    if answers():
        yield
        return
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        raise DockerUnavailable("no dockerd: `make docker-test` installs Debian's docker.io")
    with log.open("ab") as out:
        process = subprocess.Popen(
            [dockerd, "--storage-driver", "overlay2", "--bridge", "none", "--iptables=false"],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not answers():
            if process.poll() is not None or time.monotonic() > deadline:
                raise DockerUnavailable(f"dockerd did not start: {log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def compose(project: str, files: Sequence[Path], env: dict[str, str], *args: str) -> str:
    """docker-compose (1.29, Debian's) or the compose plugin, on the given files."""
    command = ["docker-compose"] if shutil.which("docker-compose") else ["docker", "compose"]
    for file in files:
        command += ["-f", str(file)]
    result = subprocess.run(
        [*command, "-p", project, *args],
        capture_output=True, text=True, timeout=600, env={**ENV, **env}, check=False,
        cwd=files[0].parent,
    )  # fmt: skip
    if result.returncode != 0:
        raise AssertionError(f"compose {' '.join(args)}: {result.stdout}{result.stderr}")
    return result.stdout + result.stderr
