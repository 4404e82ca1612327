"""A real browser on the real pages: headless Chromium (Debian's package, installed by
`make test`) driven by Playwright, from the unsubscribe link of a real mail."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from playwright.sync_api import Browser, expect, sync_playwright
from sqlalchemy import select

from reminders.app import App
from reminders.db.models import Preference
from reminders.settings import load_settings
from reminders.web.server import build
from tests.conftest import CommandLine, rows
from tests.smtpserver import SmtpServer
from tests.webserver import serving

CHROMIUM = "/usr/bin/chromium"
# Headless on a machine with no way out: no background traffic, no first-run work.
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@contextmanager
def chromium() -> Iterator[Browser]:
    """Started after any `asyncio.run` of the test: Playwright's sync API keeps an event loop
    running in this thread while it is open."""
    assert shutil.which(CHROMIUM), f"{CHROMIUM} is missing: `make test` installs Debian's chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


def test_a_coder_unsubscribes_and_then_chooses_fewer_reminders_in_a_real_browser(
    cli: CommandLine, roster: str, mail_env: SmtpServer
) -> None:
    cli.use(roster)
    assert cli("send", "--as-of", "2026-11-24").code == 0
    address = "james.okafor@riverside.example"
    [mail] = [m for m in mail_env.inbox.messages if m["To"].addresses[0].addr_spec == address]
    link = str(mail["List-Unsubscribe"]).split(",")[0].strip("<>")
    path = link.split("reminders.example.org", 1)[1]
    app = App(load_settings(), as_of=date(2026, 11, 24))
    try:
        with serving(build(app)) as base, chromium() as browser:
            page = browser.new_page(java_script_enabled=False)  # the pages need none
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            page.goto(base + path)
            expect(page.get_by_role("heading", level=1)).to_contain_text(address)
            assert rows(roster, select(Preference.level)) == []  # opening it changed nothing
            page.get_by_role("button", name="Unsubscribe").click()
            expect(page.get_by_role("status")).to_contain_text("now gets only the final notices")
            assert rows(roster, select(Preference.email, Preference.level)) == [(address, "final")]
            page.get_by_role("link", name="Choose how many reminders you get").click()
            expect(page.get_by_label("Only the final notices")).to_be_checked()
            page.get_by_label("Fewer reminders").check()
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_role("status")).to_have_text("Saved: fewer reminders.")
            expect(page.get_by_label("Fewer reminders")).to_be_checked()
            # The pages' own stylesheet is allowed by their Content-Security-Policy.
            assert not [text for text in console if "Content Security Policy" in text], console
            page.close()
    finally:
        app.close()
    assert rows(roster, select(Preference.email, Preference.level)) == [(address, "fewer")]


STATUS_ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts" / "status"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def test_the_status_page_reads_well_on_a_desktop_and_a_phone_without_javascript(
    cli: CommandLine, roster: str, mail_env: SmtpServer
) -> None:
    """Screenshots at both widths are kept in var/test-artifacts/status/ for a person to look
    at; the test checks what a person would: nothing wider than the screen, every CEU there,
    the workings one click away, the way to the preferences."""
    cli.use(roster)
    assert cli("send", "--as-of", "2026-11-24").code == 0
    address = "maria.alvarez@riverside.example"
    [mail] = [m for m in mail_env.inbox.messages if m["To"].addresses[0].addr_spec == address]
    body = mail.get_body(("plain",))
    assert body is not None
    [url] = re.findall(r"every CEU counted or not: (\S+)", str(body.get_content()))
    path = url.split("reminders.example.org", 1)[1]
    STATUS_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    app = App(load_settings(), as_of=date(2026, 11, 24))
    try:
        with serving(build(app)) as base, chromium() as browser:
            for name, (width, height) in WIDTHS.items():
                page = browser.new_page(
                    java_script_enabled=False, viewport={"width": width, "height": height}
                )
                page.goto(base + path)
                expect(page.get_by_role("heading", level=1)).to_have_text(
                    "Where you stand, Maria Alvarez"
                )
                section = page.get_by_role("region", name="AAPC: CPC, CPMA Behind pace")
                ceus = section.get_by_role("list", name="Your CEUs for AAPC").get_by_role(
                    "listitem"
                )
                expect(ceus).to_have_count(4)
                expect(ceus.first).to_contain_text("Counts toward the total, not toward a minimum")
                box = page.locator("main").bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
                page.screenshot(path=STATUS_ARTIFACTS / f"status-{name}.png", full_page=True)
                workings = section.get_by_text("the current table: 36/40/44/48/52 CEUs")
                expect(workings).to_be_hidden()
                section.get_by_text("How this is worked out").click()  # <details>, no script
                expect(workings).to_be_visible()
                page.get_by_role("link", name="Choose how many reminders you get").click()
                expect(page.get_by_label("Every reminder")).to_be_checked()
                page.close()
    finally:
        app.close()
    assert {p.name for p in STATUS_ARTIFACTS.glob("*.png")} >= {
        "status-desktop.png",
        "status-phone.png",
    }
