"""The personal status page (issue 15, part 2) over real HTTP, from the link of a real mail
and of the preference page; on both databases. Its words are tested pure in
tests/test_status_view.py; here, that the page shows them for the right person only."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
from sqlalchemy import select

from reminders import links
from reminders.db.models import Preference
from reminders.tokens import sign
from tests.conftest import SECRET, CommandLine, database_rows, rows, write_csv
from tests.smtpserver import SmtpServer

AS_OF = "2026-11-24"
KEY = SECRET.encode()
MARIA = "maria.alvarez@riverside.example"


def visible(page: str) -> str:
    """The words a reader sees, in one line."""
    page = re.sub(r"<style>.*?</style>", "", page, flags=re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _text(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert isinstance(part, EmailMessage)
    content: str = part.get_content()
    return content


def _status_path(mail: EmailMessage) -> str:
    found: list[str] = re.findall(r"every CEU counted or not: (\S+)", _text(mail))
    [url] = found
    html_part = mail.get_body(("html",))
    assert isinstance(html_part, EmailMessage) and f'href="{url}"' in html_part.get_content()
    return url.split("reminders.example.org", 1)[1]


def test_every_notice_links_to_a_page_with_every_figure_and_every_ceu(
    cli: CommandLine, roster: str, mail_env: SmtpServer, site: httpx.Client
) -> None:
    assert cli("send", "--as-of", AS_OF).code == 0
    paths = {m["To"].addresses[0].addr_spec: _status_path(m) for m in mail_env.inbox.messages}
    before = database_rows(roster)
    page = site.get(paths[MARIA])
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    text = visible(page.text)
    assert "Where you stand, Maria Alvarez As of November 24, 2026." in text
    assert "AAPC: CPC, CPMA Behind pace" in text
    assert "Cycle April 1, 2025 to March 31, 2027: due in 127 days." in text
    assert (
        "Required 40 Earned 21.5 Still needed 18.5 To finish on time about 4.5 CEUs a month" in text
    )
    assert '<ul class="figures" aria-label="CEUs for AAPC">' in page.text  # for screen readers
    assert "auditing 16 10 6" in text  # the minimum: required, earned, still needed
    assert (
        "February 19, 2026 Medical Auditing Boot Camp (AAPC) 8 CEUs Counts toward the minimum "
        "for auditing too" in text
    )
    assert (
        "June 11, 2026 HEALTHCON Regional 2026 (AAPC) 10 CEUs Counts toward the total, not "
        "toward a minimum (not tagged for one)" in text
    )
    assert "December 31, 2026: a reminder that your AAPC CEUs are due in 90 days" in text
    assert "How this is worked out" in text and "[aapc-2015.requirement;" in text
    assert "This page is for maria.alvarez@riverside.example" in text
    # Another coder's link shows that coder, and nothing of Maria.
    other = visible(site.get(paths["priya.raman@riverside.example"]).text)
    assert "Where you stand, Priya Raman" in other and "Maria" not in other
    assert (
        "April 2, 2024 Clinical Documentation Integrity Basics (HCPro) 10 CEUs Does not count : "
        "completed before this cycle began on August 30, 2024" in other
    )
    assert "November 27, 2026: a notice that your AHIMA credential is overdue" in other
    assert database_rows(roster) == before  # reading it changes nothing


def test_ceus_before_certification_ahead_of_today_or_for_another_body_say_so(
    cli: CommandLine, roster: str, site: httpx.Client, tmp_path: Path
) -> None:
    files = {
        "holders": ("holder_id,full_name,email", "h-100,Noor Haddad,noor@clinic.example"),
        "credentials": ("holder_id,credential,earned_on", "h-100,CPC,2025-09-20"),
        "memberships": (
            "holder_id,body,member_id,renews_on,cycle_ends_on,required_ceus",
            "h-100,AAPC,55555555,2027-01-31,2027-01-31,27",
        ),
        "ceus": (
            "holder_id,completed_on,hours,title,provider,index_number,bodies,categories",
            "h-100,2025-03-12,1,Before I Was Certified,AAPC,,AAPC,",
            "h-100,2026-06-01,10,Summer Workshop,AAPC,,AAPC,",
            "h-100,2026-12-15,3,Booked for December,AAPC,,AAPC,",
            "h-100,2026-05-05,2,HIM Week,AHIMA,,AHIMA,",
        ),
    }
    for kind, (header, *lines) in files.items():
        assert cli("import", kind, write_csv(tmp_path / f"{kind}.csv", header, *lines)).code == 0
    url = links.status_url("", KEY, "noor@clinic.example", datetime.now(UTC))
    text = visible(site.get(url).text)
    assert "Required 27 Earned 10 Still needed 17" in text
    assert (
        "December 15, 2026 Booked for December (AAPC) 3 CEUs Does not count : dated after" in text
    )
    assert (
        "March 12, 2025 Before I Was Certified (AAPC) 1 CEUs Does not count : completed before "
        "you were certified on September 20, 2025" in text
    )
    assert (
        "CEUs for none of your certifying bodies May 5, 2026: HIM Week (2 CEUs, for AHIMA)" in text
    )


def test_only_a_status_link_opens_the_page_and_it_opens_nothing_else(
    roster: str, site: httpx.Client
) -> None:
    now = datetime.now(UTC)
    status = links.status_url("", KEY, MARIA, now)
    unsubscribe = links.unsubscribe_url("", KEY, MARIA, links.NOTICES, now)
    # A status link cannot unsubscribe anyone, nor stand for a preference page or a calendar.
    for path in (status.replace("/s/", "/u/"), status.replace("/s/", "/p/")):
        answer = site.post(path)
        assert answer.status_code == 400 and "this is a status-page link" in answer.text.lower()
    assert site.get(status.replace("/s/", "/ics/") + ".ics").status_code == 400
    assert rows(roster, select(Preference.email)) == []
    # Nor does another link open the page.
    answer = site.get(unsubscribe.replace("/u/", "/s/"))
    assert answer.status_code == 400 and "not a status link" in answer.text.lower()
    expired = sign(KEY, MARIA, links.STATUS, now - timedelta(seconds=1))
    assert "the link has expired" in site.get(f"/s/{expired}").text.lower()
    tampered = status[:-3] + ("AAA" if not status.endswith("AAA") else "BBB")
    assert site.get(tampered).status_code == 400
    gone = links.status_url("", KEY, "nobody@riverside.example", now)
    answer = site.get(gone)
    assert answer.status_code == 404 and "no reminders go to this address" in answer.text.lower()


def test_the_preference_page_links_to_the_status_page(site: httpx.Client) -> None:
    now = datetime.now(UTC)
    preferences = links.preferences_url("", KEY, MARIA, now)
    page = site.get(preferences)
    [path] = re.findall(r'href="(/s/[^"]+)"', page.text)
    assert "Where you stand, Maria Alvarez" in visible(site.get(path).text)
    # The page links back: how many reminders, and the calendar.
    back = site.get(path).text
    [choices] = re.findall(r'href="(/p/[^"]+)"', back)
    assert site.get(choices).status_code == 200
    assert re.search(r'href="https://reminders\.example\.org/ics/[^"]+\.ics"', back)
