"""The pages behind every mail's links and the calendar feed, over real HTTP against the real
application, from links taken out of real mails where it matters; on both databases."""

from __future__ import annotations

import base64
import re
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

import httpx
from icalendar import Calendar
from sqlalchemy import select

from reminders import links
from reminders.db.models import Preference, Subscription
from reminders.tokens import OPAQUE, sign, sign_readable
from tests.conftest import SECRET, CommandLine, database_rows, rows
from tests.smtpserver import SmtpServer

AS_OF = "2026-11-24"
KEY = SECRET.encode()


def _path(url: str) -> str:
    return url.split("reminders.example.org", 1)[1]


def _mail_to(inbox: list[EmailMessage], address: str) -> EmailMessage:
    [mail] = [m for m in inbox if m["To"].addresses[0].addr_spec == address]
    return mail


def _text(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert isinstance(part, EmailMessage)
    return " ".join(part.get_content().split())


def _level(url: str, address: str) -> str | None:
    found = rows(url, select(Preference.level).where(Preference.email == address))
    return found[0][0] if found else None


def test_one_click_unsubscribe_works_from_a_real_mails_header_and_a_get_changes_nothing(
    cli: CommandLine, roster: str, mail_env: SmtpServer, site: httpx.Client
) -> None:
    assert cli("send", "--as-of", AS_OF).code == 0
    address = "james.okafor@riverside.example"
    mail = _mail_to(mail_env.inbox.messages, address)
    assert "You get every reminder. Get fewer or stop them: https://" in _text(mail)
    url = str(mail["List-Unsubscribe"]).split(",")[0].strip("<>")
    before = database_rows(roster)
    for _ in range(3):  # a link scanner, or a person who looks twice
        page = site.get(_path(url))
        assert page.status_code == 200
        assert '<form method="post"' in page.text and "<button" in page.text
        assert "<script" not in page.text
    assert database_rows(roster) == before
    # What a mail client does for RFC 8058: a POST with this body, no cookie, no login.
    done = site.post(_path(url), data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert _level(roster, address) == "final"
    # James had the 90-day deadline reminder; at "final" only the 15-day one would come.
    planned = cli("plan", "--as-of", "2026-12-17", "--format", "json").out
    assert address not in planned
    planned = cli("plan", "--as-of", "2027-01-16", "--format", "json").out
    assert f'"to": "{address}"' in planned and '"rung": "15"' in planned
    # The next mail says what they chose, beside the link to change it.
    mail_env.inbox.messages.clear()
    assert cli("send", "--as-of", "2027-01-16").code == 0
    text = _text(_mail_to(mail_env.inbox.messages, address))
    assert "You chose only the final notices. Change this or stop them: https://" in text


def test_the_preference_page_shows_and_saves_the_choice(
    cli: CommandLine, roster: str, site: httpx.Client
) -> None:
    address = "maria.alvarez@riverside.example"
    token = sign(KEY, address, links.NOTICES, datetime.now(UTC) + timedelta(days=1))
    page = site.get(f"/p/{token}")
    assert page.status_code == 200
    assert 'value="all" aria-describedby="help-all" checked' in page.text
    assert '<label for="level-fewer">Fewer reminders</label>' in page.text
    saved = site.post(f"/p/{token}", data={"level": "fewer"})
    assert saved.status_code == 200 and "Saved: fewer reminders." in saved.text
    assert 'value="fewer" aria-describedby="help-fewer" checked' in saved.text
    assert _level(roster, address) == "fewer"
    bad = site.post(f"/p/{token}", data={"level": "none"})
    assert bad.status_code == 422 and "Choose one of the three options." in bad.text
    assert _level(roster, address) == "fewer"


def test_tampered_expired_and_other_address_links_are_refused_and_change_nothing(
    roster: str, site: httpx.Client
) -> None:
    now = datetime.now(UTC)
    old = sign_readable(KEY, "maria.alvarez@riverside.example", links.NOTICES, now + timedelta(1))
    mac = old.split(".")[1]
    other = sign_readable(KEY, "linda.nguyen@summit.example", links.NOTICES, now + timedelta(1))
    tampered = f"{other.split('.')[0]}.{mac}"  # someone else's address under Maria's signature
    good = sign(KEY, "maria.alvarez@riverside.example", links.NOTICES, now + timedelta(days=1))
    flipped = good[:-3] + ("A" if good[-3] != "A" else "B") + good[-2:]  # one bit of the seal
    expired = sign(KEY, "maria.alvarez@riverside.example", links.NOTICES, now - timedelta(1))
    forged = sign(b"another-secret-entirely-0123456789abcdef", "maria.alvarez@riverside.example",
                  links.NOTICES, now + timedelta(days=1))  # fmt: skip
    stranger = sign(KEY, "nobody@example.org", links.NOTICES, now + timedelta(days=1))
    summit = rows(
        roster, select(Subscription.id).where(Subscription.email == "compliance@summit.example")
    )
    wrong_digest = sign(KEY, "coding.manager@riverside.example", links.digest_list(summit[0][0]),
                        now + timedelta(days=1))  # fmt: skip
    before = database_rows(roster)
    cases = {
        tampered: (400, "signature does not match"),
        flipped: (400, "signature does not match"),
        expired: (400, "has expired"),
        forged: (400, "signature does not match"),
        "not-a-token": (400, "This link does not work"),
        stranger: (404, "no reminders go to this address"),
        wrong_digest: (404, "does not exist any more"),
    }
    for token, (status, text) in cases.items():
        for method, path in (("GET", "/u/"), ("POST", "/u/"), ("GET", "/p/"), ("POST", "/p/")):
            response = site.request(method, f"{path}{token}", data={"level": "all"})
            assert (response.status_code, text.lower() in response.text.lower()) == (
                status,
                True,
            ), (token, path)
    assert database_rows(roster) == before


def test_a_link_shows_nothing_of_whom_it_is_for_and_links_already_mailed_still_work(
    cli: CommandLine, roster: str, mail_env: SmtpServer, site: httpx.Client
) -> None:
    """Base64-decoding the first part of a link gave {"a":"maria.alvarez@…","l":"notices"}."""
    assert cli("send", "--as-of", AS_OF).code == 0
    address = "maria.alvarez@riverside.example"
    mail = _mail_to(mail_env.inbox.messages, address)
    tokens = [str(mail["List-Unsubscribe"]).split(",")[0].strip("<>").rsplit("/", 1)[1]]
    tokens += sorted(set(re.findall(r"/ics/([^\s\"<>]+)\.ics", _text(mail))))
    assert len(tokens) == 2  # the unsubscribe link and the calendar's (webcal:// and https://)
    for token in tokens:
        assert token.startswith(OPAQUE)
        for part in token[len(OPAQUE) :].split("."):
            decoded = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
            assert b"maria" not in decoded and b"notices" not in decoded and b'"a"' not in decoded
    page = site.get(f"/u/{tokens[0]}")
    assert page.status_code == 200
    # The token is in the address: no Referer carries it away, no cache keeps the page, no
    # other site frames it, and it runs no script.
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none'
    assert site.get(f"/ics/{tokens[1]}.ics").headers["cache-control"] == "no-store"
    # A link of the first kind, mailed before, keeps working until it expires.
    old = sign_readable(KEY, address, links.NOTICES, datetime.now(UTC) + timedelta(days=30))
    page = site.get(f"/p/{old}")
    assert page.status_code == 200 and 'name="level"' in page.text


def test_a_digest_subscriber_leaves_a_digest_from_its_link(
    cli: CommandLine, roster: str, mail_env: SmtpServer, site: httpx.Client
) -> None:
    assert cli("digest", "--as-of", "2026-11-30").code == 0
    mail = _mail_to(mail_env.inbox.messages, "him.director@riverside.example")
    url = str(mail["List-Unsubscribe"]).split(",")[0].strip("<>")
    page = site.get(_path(url))
    assert "Leave the monthly digest of Riverside Health, HIM?" in page.text
    assert site.post(_path(url)).status_code == 200
    paused = rows(
        roster,
        select(Subscription.paused).where(Subscription.email == "him.director@riverside.example"),
    )
    assert paused == [(True,)]
    later = cli("digest", "--as-of", "2027-01-04").out
    assert "queued 2 digests" in later and "him.director" not in later


def test_the_calendar_feed_from_a_notice_lists_the_deadlines_with_alarms(
    cli: CommandLine, roster: str, mail_env: SmtpServer, site: httpx.Client
) -> None:
    assert cli("send", "--as-of", AS_OF).code == 0
    mail = _mail_to(mail_env.inbox.messages, "thomas.becker@summit.example")
    text = mail.get_body(("plain",))
    assert text is not None
    words = str(text.get_content()).split()
    [url] = [word for word in words if "/ics/" in word and word.startswith("https://")]
    # The same feed, offered for calendar apps to subscribe to.
    assert "webcal://" + url.removeprefix("https://") in words
    feed = site.get(_path(url))
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(feed.content)
    assert str(calendar["X-WR-CALNAME"]) == "CEU deadlines"
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    due = events["AAPC CEUs due (CEMC, CPC, CRC)"]
    assert due.decoded("DTSTART") == date(2026, 12, 31)
    assert len(due.walk("VALARM")) == 2
    assert "AAPC membership renewal" in events
    # The file attached to the mail is the same event: one entry for a coder who opens the
    # attachment and subscribes to the feed. It says what it is about.
    attached = next(p for p in mail.walk() if p.get_content_type() == "text/calendar")
    [event] = Calendar.from_ical(attached.get_content()).walk("VEVENT")
    assert str(event["UID"]) == str(due["UID"]) == "h-004-AAPC-2026-12-31-ceus@reminders"
    for described in (event, due):
        assert str(described["DESCRIPTION"]).startswith("7 of 44 AAPC CEUs still to earn.")
    # The unsubscribe link is not a calendar link, and the other way round.
    unsubscribe = str(mail["List-Unsubscribe"]).split(",")[0].strip("<>")
    token = _path(unsubscribe).removeprefix("/u/")
    assert site.get(f"/ics/{token}.ics").status_code == 400
    assert site.get(_path(url).replace("/ics/", "/u/").removesuffix(".ics")).status_code == 400
