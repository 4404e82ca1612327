"""What the API takes from a client before it does any work, over real HTTP on both databases:
a body larger than allowed is refused (413) before it is read whole, a request without a valid
key is refused (401) before a byte of its body is read, an address that keeps trying keys is
slowed down (429), a 422 never echoes the input, and the rate limiter's table stays bounded."""

from __future__ import annotations

import contextlib
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from reminders.app import App
from reminders.db.engine import make_engine
from reminders.db.models import RateLimit
from reminders.settings import load_settings
from reminders.tokens import sign
from reminders.web.limits import SharedRateLimiter
from reminders.web.server import FAILED_KEYS_PER_MINUTE, build
from tests.conftest import SECRET, CommandLine, rows
from tests.processes import stop
from tests.webserver import serving

MAX_BODY = 100_000


@pytest.fixture
def site(
    cli: CommandLine, roster: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, str]]:
    """The application on a real port with a 100 kB body limit; its address and a key."""
    monkeypatch.setenv("REMINDERS_SECRET_KEY", SECRET)
    monkeypatch.setenv("REMINDERS_API_MAX_BODY_BYTES", str(MAX_BODY))
    cli.use(roster)
    made = cli("org", "create", "Riverside Health")
    key = made.out.splitlines()[-1]
    app = App(load_settings(), as_of=date(2026, 11, 24))
    with serving(build(app)) as base:
        yield base, key
    app.close()


def _raw(base: str, head: str, chunks: Iterator[bytes]) -> tuple[bytes, int]:
    """Send `head` then the chunks (HTTP/1.1 chunked) until the server answers; the answer and
    how many chunks went before it."""
    url = urlsplit(base)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(head.encode())
        sent = 0
        sock.settimeout(0.05)
        for chunk in chunks:
            try:
                answer = sock.recv(65536)
            except TimeoutError:
                answer = b""
            if answer:
                return answer, sent
            try:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            except OSError:
                break
            sent += 1
        sock.settimeout(10)
        return sock.recv(65536), sent


def _chunks(count: int, size: int = 10_000) -> Iterator[bytes]:
    yield b'[{"holder_id": "h-001", "title": "'
    for _ in range(count):
        yield b"x" * size


def test_a_body_declared_too_large_is_refused_before_it_is_sent(site: tuple[str, str]) -> None:
    base, key = site
    head = (
        "POST /api/v1/ceus/bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {key}\r\nContent-Length: 300000000\r\n\r\n"
    )
    answer, _ = _raw(base, head, iter([b"[" * 1000] * 3))
    assert answer.startswith(b"HTTP/1.1 413")


def test_a_request_without_a_valid_key_is_refused_before_its_body_is_read(
    site: tuple[str, str],
) -> None:
    """300 MB without a key once took the process to 1 GB before it answered 401."""
    base, _ = site
    for authorization in ("", "Authorization: Bearer rk_not-a-key\r\n"):
        head = (
            "POST /api/v1/ceus/bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"{authorization}Transfer-Encoding: chunked\r\n\r\n"
        )
        answer, sent = _raw(base, head, _chunks(3000))
        assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
        assert sent < 100  # answered long before the 30 MB were sent


def test_a_body_that_grows_too_large_is_refused_once_it_does(site: tuple[str, str]) -> None:
    base, key = site
    head = (
        "POST /api/v1/ceus/bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {key}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    answer, sent = _raw(base, head, _chunks(3000))
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 100


def test_a_422_names_the_field_and_does_not_echo_the_input(site: tuple[str, str]) -> None:
    base, key = site
    ceu = {"holder_id": "h-001", "completed_on": "2026-01-01", "hours": "x" * 20_000,
           "title": "y" * 20_000, "bodies": "AAPC"}  # fmt: skip
    answer = httpx.post(f"{base}/api/v1/ceus", json=ceu, headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 422
    assert len(answer.content) < 2_000 and "xxxxx" not in answer.text
    assert any(problem["loc"][-1] == "hours" for problem in answer.json()["detail"])


def test_an_address_trying_keys_is_slowed_down(site: tuple[str, str]) -> None:
    base, _ = site
    codes = []
    with httpx.Client(base_url=base) as client:
        for _ in range(FAILED_KEYS_PER_MINUTE + 5):
            headers = {"Authorization": f"Bearer rk_{uuid.uuid4().hex}"}
            codes.append(client.get("/api/v1/teams", headers=headers).status_code)
    assert set(codes[:FAILED_KEYS_PER_MINUTE]) == {401}
    assert codes[-1] == 429


def test_two_web_instances_share_one_limit(
    cli: CommandLine, roster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limit was kept in each process: every instance allowed the whole rate."""
    monkeypatch.setenv("REMINDERS_SECRET_KEY", SECRET)
    monkeypatch.setenv("REMINDERS_API_RATE_PER_MINUTE", "6")
    cli.use(roster)
    key = cli("org", "create", "Riverside Health").out.splitlines()[-1]
    first, second = App(load_settings()), App(load_settings())
    headers = {"Authorization": f"Bearer {key}"}
    with serving(build(first)) as one, serving(build(second)) as two:
        codes = [httpx.get(f"{base}/api/v1/teams", headers=headers).status_code
                 for base in [one, two] * 4]  # fmt: skip
    first.close()
    second.close()
    assert codes[:6] == [200] * 6 and codes[6:] == [429, 429]


def test_the_rate_limits_table_keeps_only_recent_buckets(initialised: str) -> None:
    """80,000 random keys once grew the process by 30 MB: each kept a bucket for ever."""
    engine = make_engine(initialised)
    now = [1_000_000.0]
    limiter = SharedRateLimiter(engine, 60, clock=lambda: now[0])
    limiter.PRUNE_EVERY = 50
    for n in range(49):
        assert limiter.wait(f"address:10.0.0.{n}") == 0
    now[0] += 2 * 3600  # two hours later: those buckets are idle
    limiter.wait("address:10.0.1.1")  # the 50th call prunes
    assert rows(initialised, select(RateLimit.key)) == [("address:10.0.1.1",)]
    engine.dispose()


def test_a_database_that_is_down_gets_503_with_retry_after_and_no_traceback(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """It was a 500 and a plain-text traceback in the middle of the JSON log."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    monkeypatch.setenv("REMINDERS_DATABASE_URL", f"postgresql://nobody@127.0.0.1:{closed}/none")
    monkeypatch.setenv("REMINDERS_SECRET_KEY", SECRET)
    app = App(load_settings(), as_of=date(2026, 11, 24))
    token = sign(SECRET.encode(), "ann@example.org", "notices", datetime.now(UTC) + timedelta(1))
    with serving(build(app)) as base, httpx.Client(base_url=base, timeout=30) as client:
        api = client.get("/api/v1/teams", headers={"Authorization": "Bearer rk_anything"})
        page = client.get(f"/u/{token}")
    app.close()
    assert api.status_code == 503 and api.headers["retry-after"] == "5"
    assert "database is not available" in api.json()["detail"]
    assert page.status_code == 503 and page.headers["retry-after"] == "5"
    assert "briefly unavailable" in page.text
    assert not [record for record in caplog.records if record.exc_info]


def _closed(sock: socket.socket) -> bool:
    """Whether the server has closed the connection (what it sent before is read and dropped)."""
    try:
        while data := sock.recv(65536):
            del data
    except BlockingIOError:
        return False
    except ConnectionError:
        return True
    return True


def test_request_headers_that_arrive_too_slowly_are_cut_off(
    cli: CommandLine, roster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection that sends nothing, one that sends a header byte now and then, and a
    kept-alive one that does the same after its first answer: each was kept open for as long
    as the client liked (300 such sockets held for 70 s and more), a file descriptor each."""
    import os
    import subprocess
    import sys
    import time

    from tests.webserver import free_port, http_get, until

    monkeypatch.setenv("REMINDERS_SECRET_KEY", SECRET)
    monkeypatch.setenv("REMINDERS_HTTP_HEADER_SECONDS", "1")
    cli.use(roster)
    port = free_port()
    command = [sys.executable, "-m", "reminders", "web", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=dict(os.environ))
    try:
        until(lambda: http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200)
        silent, trickling, kept = (socket.create_connection(("127.0.0.1", port)) for _ in "abc")
        kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert kept.recv(65536).startswith(b"HTTP/1.1 200")
        for sock in (silent, trickling, kept):
            sock.setblocking(False)
        header = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 1000
        started, closed_at = time.monotonic(), dict[str, float]()
        for sent in range(60):  # a byte every 0.1 s: more than enough to be kept open before
            if len(closed_at) == 3:
                break
            for name, sock in (("trickling", trickling), ("kept", kept)):
                if name not in closed_at:
                    with contextlib.suppress(OSError):
                        sock.send(header[sent : sent + 1])
            for name, sock in (("silent", silent), ("trickling", trickling), ("kept", kept)):
                if name not in closed_at and _closed(sock):
                    closed_at[name] = time.monotonic() - started
            time.sleep(0.1)
        for sock in (silent, trickling, kept):
            sock.close()
        assert set(closed_at) == {"silent", "trickling", "kept"}, closed_at
        assert all(0.5 < seconds < 3 for seconds in closed_at.values()), closed_at
        assert http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200  # the others are served
    finally:
        assert stop(process) == 0
