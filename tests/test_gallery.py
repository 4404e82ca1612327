"""The gallery, whole, and what must hold on every page of it: no raw codes, a rung named only
on its day, no future tense about a past date, every met minimum marked, every overdue or
lapsed member in a digest's "Needs attention"; and each page in Chromium at 600 and 390 pixels
without a page that overflows sideways (screenshots kept in var/test-artifacts/gallery/)."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest

from reminders.app import App
from reminders.gallery import Gallery, Item
from reminders.settings import load_settings
from tests.conftest import CommandLine
from tests.test_browser import chromium

ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts" / "gallery"
RAW = re.compile(
    r"\bhiim\b|ahima-source|coding-self-review|practice-management|specialty:[A-Z]|\b(aapc|ahima)-\d{4}\b"
)
DAY = re.compile(r"[A-Z][a-z]+ \d{1,2}, \d{4}")


@pytest.fixture(scope="module")
def items() -> list[Item]:
    app = App(load_settings())
    return Gallery(app.rulebook, app.ladder, app.renderer).items()


def _words(item: Item) -> list[str]:
    """The text part and the HTML part's words, tags removed."""
    plain = re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", " ", item.html, flags=re.DOTALL))
    return [" ".join(item.text.split()), " ".join(plain.replace("&nbsp;", " ").split())]


def _day_of(item: Item) -> date:
    found = re.search(r"\((\d{4}-\d{2}-\d{2})\)$", item.title)
    assert found, item.title
    return date.fromisoformat(found.group(1))


def _date(text: str) -> date:
    return datetime.strptime(text, "%B %d, %Y").date()


def test_the_gallery_covers_every_kind_rung_and_body(items: list[Item]) -> None:
    names = {item.name for item in items}
    for body, before, after in (
        ("AAPC", (90, 45, 15), (1, 30, 75)),
        ("AHIMA", (90, 45, 15), (1, 90, 165)),
    ):
        for rung in before:
            assert {f"{body}-deadline-{rung}", f"{body}-deadline-{rung}-late"} <= names
        assert {f"{body}-overdue-{rung}" for rung in after} <= names
        assert f"{body}-shortfall" in names
    assert {"AAPC-dues-30", "AAPC-complete", "AHIMA-lapsed", "two-notices"} <= names
    assert sum(item.name.startswith("digest-") for item in items) == 3


def test_no_raw_codes_in_what_people_read(items: list[Item]) -> None:
    for item in items:
        for words in (item.subject, *_words(item)):
            assert not RAW.search(words), (item.name, RAW.search(words))


def test_a_rung_is_named_only_on_its_day(items: list[Item]) -> None:
    for item in items:
        text = _words(item)[0]
        for rung in re.findall(r"the reminder (\d+) days before the due date\.", text):
            assert f"in {rung} days" in text, item.name
        for left in re.findall(r"(\d+) days are left before the due date \(", text):
            assert f"in {left} days" in text, item.name
        if item.name.endswith("-late"):
            assert "could not reach you in time" in text, item.name


def test_no_future_tense_about_a_past_date(items: list[Item]) -> None:
    for item in items:
        if item.name.startswith("digest-"):
            continue
        today, text = _day_of(item), _words(item)[0]
        for when in re.findall(rf"opens on ({DAY.pattern})", text):
            assert _date(when) > today, (item.name, when)
        for when in re.findall(rf"are due on ({DAY.pattern}), in \d+ days", text):
            assert _date(when) > today, (item.name, when)


def test_every_met_minimum_is_marked_met(items: list[Item]) -> None:
    seen = 0
    for item in items:
        for words in _words(item):
            for earned, required, after in re.findall(
                r"of which [^:]+: ([\d.]+) of ([\d.]+) \((met|[\d.]+ to go)\)", words
            ):
                seen += 1
                assert (after == "met") == (float(earned) >= float(required)), item.name
    assert seen > 20  # the roster has minimums met and unmet, in both bodies


def test_everyone_overdue_or_lapsed_needs_attention_in_every_digest(items: list[Item]) -> None:
    for item in items:
        if not item.name.startswith("digest-"):
            continue
        attention = item.text.split("NEEDS ATTENTION")[1].split("EVERYONE, MOST URGENT")[0]
        troubled = [line for line in item.digest_lines if line.status in ("overdue", "lapsed")]
        assert troubled, item.name
        for line in troubled:
            assert f"{line.name} ({line.holder_id}), {line.body}" in attention, item.name


def test_the_command_writes_the_gallery_with_an_index(cli: CommandLine, tmp_path: Path) -> None:
    result = cli("gallery", tmp_path / "gallery")
    assert result.code == 0, result.err
    index = (tmp_path / "gallery" / "index.html").read_text()
    pages = re.findall(r'href="([^"]+\.html)"', index)
    assert len(pages) == 28 and all((tmp_path / "gallery" / page).is_file() for page in pages)
    assert len(list((tmp_path / "gallery").glob("digest-*.csv"))) == 3


def test_no_page_overflows_at_600_and_390_pixels(items: list[Item], tmp_path: Path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for item in items:
        (tmp_path / f"{item.name}.html").write_text(item.html)
    with chromium() as browser:
        for width in (600, 390):
            page = browser.new_page(viewport={"width": width, "height": 900})
            for item in items:
                page.goto((tmp_path / f"{item.name}.html").as_uri())
                wide = page.evaluate("document.documentElement.scrollWidth")
                assert wide <= width, (item.name, width, wide)
                page.screenshot(path=str(ARTIFACTS / f"{item.name}-{width}.png"), full_page=True)
            page.close()
