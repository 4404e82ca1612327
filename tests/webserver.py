"""The real application served by uvicorn on 127.0.0.1 in a thread, for real HTTP clients."""

from __future__ import annotations

import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie

import httpx
import uvicorn
from fastapi import FastAPI


def http_get(url: str, timeout: float = 5) -> tuple[int, str]:
    """The status and body of a GET; status 0 when nothing answers (yet)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        with exc:  # it holds the connection: an unclosed one warns when collected, anywhere
            return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def until(condition: Callable[[], object], seconds: float = 20) -> None:
    """Wait for `condition` to hold, checking every 50 ms; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve `app`; yields its base URL, and stops it after."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class Visitor:
    """A client that keeps the cookies the site sets, as a browser does: httpx's own jar sends
    no Secure cookie over the plain HTTP of the test server."""

    def __init__(self, site: httpx.Client) -> None:
        self.site = site
        self.cookies: dict[str, str] = {}
        self.set: list[str] = []
        """Every Set-Cookie header seen, as sent."""

    def _keep(self, response: httpx.Response) -> httpx.Response:
        for header in response.headers.get_list("set-cookie"):
            self.set.append(header)
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {**({"cookie": cookie} if cookie else {}), **(extra or {})}

    def get(self, path: str) -> httpx.Response:
        return self._keep(self.site.get(path, headers=self._headers(None)))

    def post(
        self, path: str, data: dict[str, str], headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return self._keep(self.site.post(path, data=data, headers=self._headers(headers)))


def csrf_of(page: httpx.Response) -> str:
    """The CSRF field of the page's (first) form."""
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)
