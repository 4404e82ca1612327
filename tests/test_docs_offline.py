"""The API's documentation works on a network without the internet: the pages name no outside
host, and Chromium, with every request off this machine refused, renders the operations from
the files shipped in the package."""

from __future__ import annotations

import re
from datetime import date

import httpx
from playwright.sync_api import Route, expect

from reminders.app import App
from reminders.settings import load_settings
from reminders.web.server import build
from tests.conftest import CommandLine
from tests.smtpserver import SmtpServer
from tests.test_browser import chromium
from tests.webserver import serving


def test_the_docs_pages_name_no_outside_host(site: httpx.Client) -> None:
    for path in ("/docs", "/redoc"):
        page = site.get(path)
        assert page.status_code == 200
        assert not re.findall(r"https?://", page.text), path
        for asset in re.findall(r'(?:src|href)="(/[^"]+)"', page.text) + re.findall(
            r"url: '(/[^']+)'", page.text
        ):
            assert site.get(asset).status_code == 200, asset
    assert (
        site.get("/docs/static/swagger-ui-bundle.js")
        .headers["content-type"]
        .startswith("text/javascript")
    )


def test_chromium_renders_the_operations_with_the_network_cut_off(
    cli: CommandLine, roster: str, mail_env: SmtpServer
) -> None:
    cli.use(roster)
    app = App(load_settings(), as_of=date(2026, 11, 24))
    refused: list[str] = []
    try:
        with serving(build(app)) as base, chromium() as browser:
            context = browser.new_context()

            def only_here(route: Route) -> None:
                if route.request.url.startswith(base):
                    route.continue_()
                else:
                    refused.append(route.request.url)
                    route.abort()

            context.route("**/*", only_here)
            page = context.new_page()
            page.goto(base + "/docs")
            operations = page.locator(".opblock")
            expect(operations.first).to_be_visible()
            assert operations.count() > 20
            expect(page.get_by_text("/api/v1/holders").first).to_be_visible()
            page.goto(base + "/redoc")
            expect(page.get_by_role("heading", name=re.compile("reminders"))).to_be_visible()
            expect(page.get_by_text("/api/v1/holders").first).to_be_attached()
            context.close()
    finally:
        app.close()
    assert refused == []
