"""The gallery, whole, and what must hold on every page of it: no raw codes, a rung named only
on its day, no future tense about a past date, no negative day counts, every met minimum
marked, every overdue or lapsed member in a digest's "Needs attention", the coder's choice of
how much mail named in each mail, a calendar attachment whose events are the feed's own; and
each page in Chromium at 600 and 390 pixels without a page that overflows sideways or a table
to scroll on a phone (screenshots kept in var/test-artifacts/gallery/)."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json
import re
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from reminders.app import App
from reminders.gallery import Gallery, Item
from reminders.notices.preferences import IN_MAIL, Ladders, wanted
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
    assert {item.level for item in items} == {"all", "fewer", "final"}
    digests = {item.name for item in items if item.name.startswith("digest-")}
    assert {"digest-busy-weekly", "digest-quiet-weekly", "digest-empty-team"} <= digests
    assert any("monthly" in name for name in digests) and len(digests) == 6
    assert "digest-bouncing-and-self-reported" in digests


def test_each_mail_names_the_choice_it_was_sent_under_and_only_its_rungs(
    items: list[Item],
) -> None:
    app = App(load_settings())
    ladders = Ladders(app.ladder)
    for item in items:
        if item.name.startswith(("digest-", "alert-", "lead-copy-", "dashboard-", "admin-")):
            continue  # to employers, who chose them, and to operators
        assert IN_MAIL[item.level] in _words(item)[0], item.name
        if item.name.startswith("level-"):
            _, level, body, kind, rung = item.name.split("-")
            assert level == item.level and wanted(kind, rung, body, ladders[level], level)


def test_no_negative_day_counts_in_what_people_read(items: list[Item]) -> None:
    for item in items:
        for words in (item.subject, *_words(item)):
            assert not re.search(r"(?<![\w-])-\d", words), (item.name, words)
            assert not re.search(r"\bin (0|1) days\b|\b1 days\b", words), (item.name, words)


def _parsed(item: Item) -> EmailMessage:
    message = email.message_from_bytes(item.eml, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_the_eml_is_the_whole_mail_and_its_calendar_is_the_feeds_own(items: list[Item]) -> None:
    seen = 0
    for item in items:
        message = _parsed(item)
        assert message["Subject"] == item.subject
        assert {part.get_content_type() for part in message.walk()} >= {"text/plain", "text/html"}
        calendars = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        assert bool(calendars) == bool(item.attached), item.name
        if not calendars:
            continue
        uids = re.findall(r"^UID:(.+?)\r?$", calendars[0].get_content(), flags=re.MULTILINE)
        assert uids == [event.uid for event in item.attached], item.name
        feed = {event.uid: event for event in item.feed}
        for event in item.attached:
            seen += 1
            assert feed[event.uid] == event, item.name  # one event, seen once in a calendar
    assert seen >= 12


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
    seen = 0
    for item in items:
        if not item.name.startswith("digest-"):
            continue
        troubled = [line for line in item.digest_lines if line.status in ("overdue", "lapsed")]
        if not troubled:
            continue
        seen += 1
        attention = item.text.split("NEEDS ATTENTION")[1].split("EVERYONE, MOST URGENT")[0]
        for line in troubled:
            assert f"{line.name} ({line.holder_id}), {line.body}" in attention, item.name
    assert seen == 4


def test_a_quiet_digest_and_an_empty_team_say_so(items: list[Item]) -> None:
    by_name = {item.name: item for item in items}
    quiet = by_name["digest-quiet-weekly"]
    assert quiet.subject.endswith("(nothing new)")
    assert "Nothing new since the last digest, and nobody needs attention." in quiet.text
    assert "NEEDS ATTENTION" not in quiet.text and len(quiet.digest_lines) == 2
    empty = by_name["digest-empty-team"]
    assert "Nobody is in Riverside Health, New hires yet" in empty.text
    assert "EVERYONE" not in empty.text


def test_the_gallerys_people_read_the_same_through_the_database(
    cli: CommandLine, initialised: str, items: list[Item], tmp_path: Path
) -> None:
    """The roster's import files, imported into SQLite or PostgreSQL: a real scan evaluates
    each person as the gallery did, and the real digest of the week lists everyone overdue or
    lapsed under "Needs attention" and the same table as the gallery's."""
    assert cli("gallery", tmp_path / "g").code == 0
    assert cli("import", "all", tmp_path / "g" / "roster").code == 0
    busy = next(item for item in items if item.name == "digest-busy-weekly")
    status = json.loads(cli("status", "--as-of", "2026-11-30", "--format", "json").out)
    assert sorted((s["holder_id"], s["body"], s["status"], s["earned"]) for s in status) == sorted(
        (line.holder_id, line.body, line.status, line.earned / 100) for line in busy.digest_lines
    )
    assert cli("digest", "--preview", tmp_path / "out", "--as-of", "2026-11-30").code == 0
    [eml] = (tmp_path / "out").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(("plain",))
    assert isinstance(part, EmailMessage)
    text = part.get_content()
    attention = text.split("NEEDS ATTENTION")[1].split("EVERYONE, MOST URGENT")[0]
    troubled = [line for line in busy.digest_lines if line.status in ("overdue", "lapsed")]
    assert troubled
    for line in troubled:
        assert f"{line.name} ({line.holder_id}), {line.body}" in attention
    table = busy.text.split("EVERYONE, MOST URGENT")[1].split("--")[0]
    assert (
        table.splitlines()[2:]
        == text.split("EVERYONE, MOST URGENT")[1].split("--")[0].splitlines()[2:]
    )


def test_the_command_writes_the_gallery_with_an_index(cli: CommandLine, tmp_path: Path) -> None:
    result = cli("gallery", tmp_path / "gallery")
    assert result.code == 0, result.err
    index = (tmp_path / "gallery" / "index.html").read_text()
    pages = re.findall(r'href="([^"]+\.html)"', index)
    assert len(pages) == 46 and all((tmp_path / "gallery" / page).is_file() for page in pages)
    assert len(list((tmp_path / "gallery").glob("*.eml"))) == 46
    assert len(list((tmp_path / "gallery").glob("alert-*.eml"))) == 2
    assert len(list((tmp_path / "gallery").glob("digest-*.csv"))) == 6


# On a phone a member's row reflows into lines: no table is wider than its box.
SCROLLED = """Array.from(document.querySelectorAll('.scroll'))
    .filter(box => box.scrollWidth > box.clientWidth + 1).length"""


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
                if width == 390:
                    assert page.evaluate(SCROLLED) == 0, item.name
                page.screenshot(path=str(ARTIFACTS / f"{item.name}-{width}.png"), full_page=True)
            page.close()


def test_a_membership_not_renewed_is_said_as_such(items: list[Item]) -> None:
    """Lee's renewal was due 2026-09-30, in a year without CEUs due: the mails speak of the
    membership, never of CEUs overdue, and the digest says why the line is overdue."""
    by_name = {item.name: item for item in items}
    first = by_name["AAPC-unrenewed-1"]
    assert first.subject == (
        "Overdue: your AAPC membership was due for renewal on September 30, 2026; act before"
        " December 29, 2026"
    )
    assert "CEUs overdue" not in first.html and "CEUs were due" not in first.text
    assert "renew the membership with AAPC before December 29, 2026." in " ".join(
        first.text.split()
    )
    lapsed = by_name["AAPC-unrenewed-lapsed"]
    assert lapsed.subject == "AAPC CPC: the membership was not renewed by December 29, 2026"
    digest = by_name["digest-first-weekly"]
    assert "membership not renewed since September 30, 2026" in digest.text


def test_a_bouncing_address_and_a_coders_own_word_are_said_in_the_digest(
    items: list[Item],
) -> None:
    [item] = [item for item in items if item.name == "digest-bouncing-and-self-reported"]
    text = " ".join(item.text.split())
    assert "address bouncing since November 26, 2026: reminders do not reach them" in text
    assert "self-reported as submitted on November 27, 2026, not yet confirmed" in text
    assert item.csv is not None
    rows = list(csv.DictReader(io.StringIO(item.csv.decode("utf-8-sig"))))
    assert {row["bouncing_since"] for row in rows} == {"", "2026-11-26"}
    assert {row["self_reported_on"] for row in rows} == {"", "2026-11-27"}
