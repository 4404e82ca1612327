"""The operators' page in a real browser: headless Chromium driven by Playwright, signed in with
a token made by the real command line, at desktop and phone width with JavaScript off (the
pages need none); then axe-core on every page kind. Screenshots are kept in
var/test-artifacts/admin/ for a person to look at."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import insert

from reminders.app import App
from reminders.db.engine import make_engine
from reminders.db.models import Suppression
from reminders.settings import load_settings
from reminders.web.server import build
from tests.conftest import CommandLine
from tests.smtpserver import SmtpServer
from tests.test_browser import WIDTHS, chromium
from tests.test_browser_dashboard import _fits, _serious
from tests.webserver import serving

ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts" / "admin"
BOUNCING = ("james.okafor@riverside.example", "thomas.becker@summit.example")


def _prepare(cli: CommandLine, roster: str) -> str:
    """Mail sent as of the demo's day, two addresses suppressed; a fresh operator token."""
    cli.use(roster)
    assert cli("send", "--as-of", "2026-11-24").code == 0
    engine = make_engine(roster)
    with engine.begin() as connection:
        for address in BOUNCING:
            connection.execute(
                insert(Suppression).values(
                    email=address, kind="bounce", reason="550 5.1.1 mailbox unknown",
                    created_at=datetime(2026, 11, 20, tzinfo=UTC),
                )
            )  # fmt: skip
    engine.dispose()
    made = cli("admin", "token", "create", "--label", "Dana (on call)")
    assert made.code == 0
    return made.out.split()[-1]


def _sign_in(page: Page, base: str, token: str) -> None:
    page.goto(base + "/admin")
    page.get_by_label("Operator token").fill(token)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Operator page")


def test_an_operator_finds_a_holder_reads_a_message_and_lifts_a_suppression(
    cli: CommandLine, roster: str, mail_env: SmtpServer
) -> None:
    token = _prepare(cli, roster)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    app = App(load_settings(), as_of=date(2026, 11, 24))
    try:
        with serving(build(app)) as base, chromium() as browser:
            for name, (width, height) in WIDTHS.items():
                context = browser.new_context(
                    java_script_enabled=False, viewport={"width": width, "height": height}
                )
                page = context.new_page()
                page.goto(base + "/admin")
                page.screenshot(path=ARTIFACTS / f"signin-{name}.png", full_page=True)
                _sign_in(page, base, token)
                _fits(page, width)
                expect(page.get_by_role("table", name="Suppressed addresses, the newest first")
                       .locator("tbody tr")).to_have_count(2 if name == "desktop" else 1)  # fmt: skip
                expect(page.get_by_text("reminders send", exact=True)).to_be_visible()
                page.screenshot(path=ARTIFACTS / f"overview-{name}.png", full_page=True)

                page.get_by_label("Holder id or email address").fill(
                    "priya.raman@riverside.example"
                )
                page.get_by_role("button", name="Search").click()
                expect(page.get_by_role("heading", level=1)).to_have_text(
                    "Search: priya.raman@riverside.example"
                )
                page.get_by_role("link", name="Priya Raman (h-003)").click()
                expect(page.get_by_role("heading", level=1)).to_contain_text("Priya Raman")
                expect(page.get_by_role("table", name="Notices sent")).to_contain_text(
                    "Overdue notice, 1 day after"
                )
                _fits(page, width)
                page.screenshot(path=ARTIFACTS / f"holder-{name}.png", full_page=True)
                messages = page.get_by_role("table", name="Every message for Priya Raman on "
                                            "record, the newest first")  # fmt: skip
                messages.get_by_role("link").first.click()
                expect(page.get_by_role("heading", level=1)).to_contain_text("notice to priya.")
                expect(page.locator("pre")).to_contain_text("Subject: ")
                _fits(page, width)
                page.screenshot(path=ARTIFACTS / f"message-{name}.png", full_page=True)

                # Lift one suppression (one a width), asked why first.
                address = BOUNCING[0 if name == "desktop" else 1]
                page.get_by_role("link", name="Suppressions").click()
                row = page.get_by_role("row").filter(has_text=address)
                row.get_by_role("link", name=f"Lift… the suppression of {address}").click()
                expect(page.get_by_role("heading", level=1)).to_have_text(
                    f"Lift the suppression of {address}?"
                )
                page.screenshot(path=ARTIFACTS / f"lift-{name}.png", full_page=True)
                page.get_by_label("Why (kept in the audit log)").fill("the mailbox works again")
                page.get_by_role("button", name="Lift the suppression").click()
                expect(page.get_by_role("status")).to_contain_text(
                    f"The suppression of {address} is lifted"
                )
                audit = page.get_by_role("table", name="Changes made by hand, the newest first")
                expect(audit.locator("tbody tr").first).to_contain_text("suppression.lift")
                page.get_by_role("link", name="Audit log").click()
                page.screenshot(path=ARTIFACTS / f"audit-{name}.png", full_page=True)

                page.get_by_role("button", name="Sign out").click()
                expect(page.get_by_role("status")).to_have_text("You are signed out.")
                context.close()
    finally:
        app.close()
    assert {p.name for p in ARTIFACTS.glob("*.png")} >= {
        f"{kind}-{width}.png"
        for kind in ("signin", "overview", "holder", "message", "lift", "audit")
        for width in WIDTHS
    }


def test_no_page_of_the_operator_page_has_a_serious_accessibility_violation(
    cli: CommandLine, roster: str, mail_env: SmtpServer
) -> None:
    token = _prepare(cli, roster)
    app = App(load_settings(), as_of=date(2026, 11, 24))
    try:
        with serving(build(app)) as base, chromium() as browser:
            # axe runs as a script: this context allows one in spite of the pages' policy.
            context = browser.new_context(bypass_csp=True)
            assert _serious(context, base + "/admin") == []
            page = context.new_page()
            _sign_in(page, base, token)
            page.get_by_role("link", name="Suppressions").click()
            page.get_by_role("link", name=re.compile("^Lift…")).first.click()
            lift = page.url
            page.close()
            for path in ("/admin", "/admin/search?q=priya.raman%40riverside.example",
                         "/admin/search?q=h-003", "/admin/search", "/admin/holders/3",
                         "/admin/messages/1", "/admin/suppressions?q=summit", "/admin/audit",
                         "/admin/messages/99999"):  # fmt: skip
                assert _serious(context, base + path) == [], path
            assert _serious(context, lift) == []
            context.close()
    finally:
        app.close()
