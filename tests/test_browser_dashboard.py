"""The team dashboard in a real browser: headless Chromium (Debian's package) driven by
Playwright, signed in with the link of a real mail, at desktop and phone width with JavaScript
off (the pages need none); then axe-core, Deque's accessibility engine, on every page kind.
Screenshots are kept in var/test-artifacts/dashboard/ for a person to look at."""

from __future__ import annotations

import re
from datetime import date
from email.message import EmailMessage
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Page, expect

from reminders.app import App
from reminders.settings import load_settings
from reminders.web.server import build
from tests.conftest import CommandLine
from tests.smtpserver import SmtpServer
from tests.test_browser import WIDTHS, chromium
from tests.webserver import serving, until

ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts" / "dashboard"
MANAGER = "coding.manager@riverside.example"
SERIOUS = ("serious", "critical")


def _newest_link(inbox: list[EmailMessage], count: int) -> str:
    """The path of the sign-in link in the `count`th mail, once it has come."""
    until(lambda: len(inbox) >= count, 10)
    body = inbox[count - 1].get_body(("plain",))
    assert isinstance(body, EmailMessage)
    [path] = re.findall(r"https://reminders\.example\.org(/dashboard/\S+)", body.get_content())
    return str(path)


def _sign_in(page: Page, base: str, inbox: list[EmailMessage]) -> None:
    page.goto(base + "/dashboard")
    page.get_by_label("The email address your compliance digests come to").fill(MANAGER)
    count = len(inbox) + 1
    page.get_by_role("button", name="Mail me a sign-in link").click()
    expect(page.get_by_role("status")).to_contain_text("a sign-in link is on its way")
    page.goto(base + _newest_link(inbox, count))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Sign in as {MANAGER}?")
    page.get_by_role("button", name="Sign in to the team dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Riverside Health")


def _fits(page: Page, width: int) -> None:
    box = page.locator("main").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def test_a_subscriber_reads_sorts_drills_down_and_downloads_at_desktop_and_phone_width(
    cli: CommandLine, roster: str, mail_env: SmtpServer
) -> None:
    cli.use(roster)
    assert cli("send", "--as-of", "2026-11-24").code == 0  # notices for the member pages
    inbox = mail_env.inbox.messages
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    app = App(load_settings(), as_of=date(2026, 11, 24))
    try:
        with serving(build(app)) as base, chromium() as browser:
            for name, (width, height) in WIDTHS.items():
                context = browser.new_context(
                    java_script_enabled=False, viewport={"width": width, "height": height},
                    accept_downloads=True,
                )  # fmt: skip
                page = context.new_page()
                _sign_in(page, base, inbox)
                _fits(page, width)
                chart = page.get_by_role("img", name=re.compile("Cycles ending each month"))
                expect(chart).to_be_visible()
                rows = page.get_by_role("table", name="Members").locator("tbody tr")
                expect(rows).to_have_count(4)
                expect(rows.first).to_contain_text("Priya Raman")  # days left, fewest first
                page.screenshot(path=ARTIFACTS / f"team-{name}.png", full_page=True)

                # At a desktop's width the headings sort; at a phone's, a line of links.
                by_name = "Name" if name == "desktop" else "Sort by name"
                page.get_by_role("link", name=by_name, exact=True).click()
                expect(rows.first).to_contain_text("Grace Whitfield")
                expect(page.get_by_role("columnheader", name="Name")).to_have_attribute(
                    "aria-sort", "ascending"
                )
                page.get_by_role("link", name="HIM", exact=True).click()
                expect(rows).to_have_count(2)
                with page.expect_download() as download:
                    page.get_by_role("link", name="Download the table as CSV").click()
                assert download.value.suggested_filename == "him-2026-11-24.csv"
                table = Path(download.value.path()).read_bytes()
                assert table.startswith(b"\xef\xbb\xbfholder_id,name,")  # Excel reads the BOM
                assert table.count(b"\r\n") == 3  # the heading and the HIM team's two

                page.get_by_role("link", name="Priya Raman").click()
                expect(page.get_by_role("heading", level=1)).to_contain_text("Priya Raman")
                notices = page.get_by_role("table", name="Notices sent")
                expect(notices).to_contain_text("Overdue notice, 1 day after")
                _fits(page, width)
                page.screenshot(path=ARTIFACTS / f"member-{name}.png", full_page=True)
                records = page.get_by_text("3 CEU records for AHIMA")
                records.click()  # <details>, no script
                expect(page.locator("ul.ceus li")).to_have_count(3)

                page.get_by_role("button", name="Sign out").click()
                expect(page.get_by_role("status")).to_have_text("You are signed out.")
                context.close()
    finally:
        app.close()
    assert {p.name for p in ARTIFACTS.glob("*.png")} >= {
        f"{page}-{width}.png" for page in ("team", "member") for width in WIDTHS
    }


def _serious(context: BrowserContext, url: str) -> list[str]:
    """What axe-core finds serious or critical on the page at `url`."""
    page = context.new_page()
    page.goto(url)
    found = Axe().run(page).response["violations"]
    page.close()
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in found if v["impact"] in SERIOUS]


def test_no_page_of_the_dashboard_has_a_serious_accessibility_violation(
    cli: CommandLine, roster: str, mail_env: SmtpServer
) -> None:
    cli.use(roster)
    assert cli("send", "--as-of", "2026-11-24").code == 0
    inbox = mail_env.inbox.messages
    app = App(load_settings(), as_of=date(2026, 11, 24))
    try:
        with serving(build(app)) as base, chromium() as browser:
            # axe runs as a script: this context allows one in spite of the pages' policy.
            context = browser.new_context(bypass_csp=True)
            # The check can fail: a page with an image without words and an unlabelled field.
            bad = "data:text/html,<html><body><img src=x><input type=text></body></html>"
            assert {found.split(":")[0] for found in _serious(context, bad)} >= {
                "image-alt",
                "label",
            }
            assert _serious(context, base + "/dashboard") == []
            page = context.new_page()
            _sign_in(page, base, inbox)
            team = page.url
            page.close()
            for url in (team, team + "?sort=-name&team=HIM", team + "/members/h-003",
                        team + "/members/h-001", base + "/dashboard/99999"):  # fmt: skip
                assert _serious(context, url) == [], url
            context.close()
    finally:
        app.close()
