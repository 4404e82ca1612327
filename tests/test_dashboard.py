"""The team dashboard over real HTTP against the real application, signed in with the link of a
real mail from a real SMTP server; on both databases. The browser itself (Chromium, screenshots,
accessibility) is tests/test_browser_dashboard.py."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import cast

import httpx
import pytest
from sqlalchemy import select, update

from reminders.db import outbox
from reminders.db.engine import make_engine
from reminders.db.models import Holder, Subscription, UsedSignInLink, WebSession
from reminders.tokens import sign
from tests.conftest import SECRET, CommandLine, database_rows, rows
from tests.smtpserver import SmtpServer
from tests.webserver import Visitor, csrf_of, until

MANAGER = "coding.manager@riverside.example"  # Riverside Health, the whole organisation
DIRECTOR = "him.director@riverside.example"  # Riverside Health's HIM team only


def _subscription(url: str, address: str) -> str:
    """The id of the address's subscription, as the dashboard's paths name it."""
    [(found,)] = rows(url, select(Subscription.id).where(Subscription.email == address))
    return str(found)


def _link(inbox: list[EmailMessage], address: str, count: int = 1) -> str:
    """The path of the newest sign-in link mailed to `address`, once `count` have come."""

    def mine() -> list[EmailMessage]:
        return [m for m in inbox if m["To"].addresses[0].addr_spec == address]

    until(lambda: len(mine()) >= count, 10)
    mail = mine()[-1]
    assert mail["Subject"] == "Your link to the team dashboard"
    assert mail["List-Unsubscribe"] is None  # asked for just now: nothing to leave
    body = mail.get_body(("plain",))
    assert isinstance(body, EmailMessage)
    [url] = re.findall(
        r"https://reminders\.example\.org(/dashboard/sign-in/\S+)", body.get_content()
    )
    return str(url)


def _ask(visitor: Visitor, address: str) -> httpx.Response:
    form = visitor.get("/dashboard")
    return visitor.post("/dashboard/sign-in", {"email": address, "csrf": csrf_of(form)})


def _sign_in(visitor: Visitor, inbox: list[EmailMessage], address: str) -> None:
    sent = _ask(visitor, address)
    assert sent.status_code == 200 and "a sign-in link is on its way" in sent.text
    path = _link(inbox, address.lower())
    page = visitor.get(path)
    done = visitor.post(path, {"csrf": csrf_of(page)})
    assert done.status_code == 303 and done.headers["location"] == "/dashboard"


@pytest.fixture
def visitor(site: httpx.Client) -> Iterator[Visitor]:
    yield Visitor(site)


def test_a_subscriber_signs_in_with_the_mailed_link_once_and_the_cookie_is_locked_down(
    roster: str, site: httpx.Client, visitor: Visitor, mail_env: SmtpServer
) -> None:
    form = visitor.get("/dashboard")
    assert form.status_code == 200 and 'name="email"' in form.text
    assert form.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in form.headers["content-security-policy"]
    # Typed as a person types it: the case does not matter.
    sent = visitor.post("/dashboard/sign-in", {"email": " Coding.Manager@Riverside.example ",
                                                "csrf": csrf_of(form)})  # fmt: skip
    assert sent.status_code == 200 and "a sign-in link is on its way" in sent.text
    path = _link(mail_env.inbox.messages, MANAGER)

    # Opening the link (a mail scanner does) signs nobody in and changes nothing.
    before = database_rows(roster)
    confirm = visitor.get(path)
    assert confirm.status_code == 200 and f"Sign in as {MANAGER}?" in confirm.text
    assert database_rows(roster) == before
    assert "__Host-reminders-dashboard" not in visitor.cookies

    done = visitor.post(path, {"csrf": csrf_of(confirm)})
    assert done.status_code == 303 and done.headers["location"] == "/dashboard"
    [session_cookie] = [h for h in visitor.set if h.startswith("__Host-reminders-dashboard=")]
    attributes = {part.strip().lower() for part in session_cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax", "path=/", "max-age=43200"} <= attributes
    assert not any(a.startswith("domain") for a in attributes)
    # Only a hash of the cookie is stored.
    [(stored, email)] = rows(roster, select(WebSession.digest, WebSession.email))
    assert email == MANAGER and visitor.cookies["__Host-reminders-dashboard"] not in stored

    mine = f"/dashboard/{_subscription(roster, MANAGER)}"
    home = visitor.get("/dashboard")
    assert home.status_code == 303 and home.headers["location"] == mine
    team = visitor.get(mine)
    assert team.status_code == 200 and "<h1>Riverside Health</h1>" in team.text
    assert team.headers["cache-control"] == "no-store"

    # The same link again, even in the same browser: used.
    again = visitor.post(path, {"csrf": csrf_of(confirm)})
    assert again.status_code == 400 and "used already" in again.text
    assert len(rows(roster, select(UsedSignInLink.digest))) == 1
    assert len(rows(roster, select(WebSession.digest))) == 1


def test_an_address_without_a_subscription_hears_the_same_and_gets_no_mail(
    roster: str, visitor: Visitor, mail_env: SmtpServer
) -> None:
    for address in ("maria.alvarez@riverside.example", "nobody@nowhere.example"):
        answer = _ask(visitor, address)
        assert answer.status_code == 200
        assert f"If {address} receives compliance digests, a sign-in link" in answer.text
    _ask(visitor, DIRECTOR)  # one that has: its mail comes, the others' never did
    _link(mail_env.inbox.messages, DIRECTOR)
    assert [m["To"].addresses[0].addr_spec for m in mail_env.inbox.messages] == [DIRECTOR]
    bad = _ask(visitor, "not an address")
    assert bad.status_code == 422 and "That is not an email address" in bad.text


def test_an_expired_or_forged_link_signs_nobody_in(
    roster: str, visitor: Visitor, mail_env: SmtpServer
) -> None:
    past = datetime.now(UTC) - timedelta(minutes=1)
    expired = sign(SECRET.encode(), MANAGER, "signin:dashboard:abcdefgh", past)
    page = visitor.get(f"/dashboard/sign-in/{expired}")
    assert page.status_code == 400 and "expired" in page.text
    # A genuine token of another kind (a status-page link) is no sign-in link.
    later = datetime.now(UTC) + timedelta(minutes=10)
    status = sign(SECRET.encode(), MANAGER, "status", later)
    form = visitor.get("/dashboard")
    for token in (expired, status, status[:-4] + "AAAA"):
        answer = visitor.post(f"/dashboard/sign-in/{token}", {"csrf": csrf_of(form)})
        assert answer.status_code == 400, token
    assert rows(roster, select(WebSession.digest)) == []


def test_every_form_refuses_a_request_from_another_site(
    roster: str, visitor: Visitor, mail_env: SmtpServer
) -> None:
    form = visitor.get("/dashboard")
    token = csrf_of(form)
    # No token, a token of another browser's cookie, or the browser saying another site sent it.
    stranger = Visitor(visitor.site)
    assert stranger.post("/dashboard/sign-in", {"email": MANAGER}).status_code == 403
    stranger.get("/dashboard")
    assert stranger.post("/dashboard/sign-in", {"email": MANAGER, "csrf": token}).status_code == 403
    for headers in ({"sec-fetch-site": "cross-site"}, {"origin": "https://evil.example"}):
        answer = visitor.post("/dashboard/sign-in", {"email": MANAGER, "csrf": token}, headers)
        assert answer.status_code == 403 and "security check" in answer.text, headers
    assert mail_env.inbox.messages == []

    _sign_in(visitor, mail_env.inbox.messages, MANAGER)
    mine = f"/dashboard/{_subscription(roster, MANAGER)}"
    page = visitor.get(mine)
    assert visitor.post("/dashboard/sign-out", {"csrf": token}).status_code == 403
    assert visitor.get(mine).status_code == 200  # still signed in
    out = visitor.post("/dashboard/sign-out", {"csrf": csrf_of(page)})
    assert out.status_code == 303 and out.headers["location"] == "/dashboard?signed_out=1"
    assert rows(roster, select(WebSession.digest)) == []
    assert "__Host-reminders-dashboard" not in visitor.cookies
    assert visitor.get(mine).status_code == 303  # to the sign-in form


def test_a_subscriber_sees_its_own_scope_and_nothing_else_whatever_the_address(
    roster: str, visitor: Visitor, mail_env: SmtpServer
) -> None:
    """him.director subscribes to Riverside's HIM team (h-003, h-007) only."""
    mine = f"/dashboard/{_subscription(roster, DIRECTOR)}"
    whole = f"/dashboard/{_subscription(roster, MANAGER)}"  # Riverside, another address's
    summit = f"/dashboard/{_subscription(roster, 'compliance@summit.example')}"
    for path in (mine, f"{mine}/members/h-003", whole):
        assert visitor.get(path).status_code == 303  # signed out: to the sign-in form
    _sign_in(visitor, mail_env.inbox.messages, DIRECTOR)
    team = visitor.get(mine)
    assert team.status_code == 200 and "Riverside Health, HIM" in team.text
    assert "Priya Raman" in team.text and "Grace Whitfield" in team.text
    assert "Maria Alvarez" not in team.text and "James Okafor" not in team.text
    # Another subscription of the same organisation, another organisation's, one that does not
    # exist, a member of the organisation outside the team, another organisation's member.
    for path in (whole, summit, "/dashboard/99999", "/dashboard/x", f"{whole}/members.csv",
                 f"{mine}/members/h-001", f"{mine}/members/h-004", f"{summit}/members/h-004"):  # fmt: skip
        answer = visitor.get(path)
        assert answer.status_code == 404, path
        assert "Thomas Becker" not in answer.text and "Maria Alvarez" not in answer.text
    member = visitor.get(f"{mine}/members/h-003")
    assert member.status_code == 200 and "Priya Raman" in member.text
    table = visitor.get(f"{mine}/members.csv")
    ids = [row["holder_id"] for row in csv.DictReader(io.StringIO(table.text.lstrip("\ufeff")))]
    assert sorted(ids) == ["h-003", "h-007"]


def test_the_table_sorts_by_days_left_and_by_name_and_narrows_to_a_team(
    roster: str, visitor: Visitor, mail_env: SmtpServer
) -> None:
    _sign_in(visitor, mail_env.inbox.messages, MANAGER)
    mine = f"/dashboard/{_subscription(roster, MANAGER)}"

    def names(path: str) -> list[str]:
        page = visitor.get(path)
        assert page.status_code == 200
        return re.findall(r'<td class="who"><a href="[^"]+">([^<]+)</a>', page.text)

    # As of 2026-11-24: Priya's cycle ended in August; then James, Grace, Maria by due date.
    by_days = names(mine)
    assert by_days == ["Priya Raman", "James Okafor", "Grace Whitfield", "Maria Alvarez"]
    assert names(f"{mine}?sort=-days") == by_days[::-1]
    assert names(f"{mine}?sort=name") == sorted(by_days)
    assert names(f"{mine}?sort=nonsense") == by_days
    assert names(f"{mine}?team=HIM") == ["Priya Raman", "Grace Whitfield"]
    page = visitor.get(f"{mine}?sort=name&team=HIM")
    assert f'aria-sort="ascending"><a href="{mine}?sort=-name&amp;team=HIM#members">' in (page.text)
    table = visitor.get(f"{mine}/members.csv?sort=name&team=HIM")
    assert table.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="him-2026-11-24.csv"' in table.headers["content-disposition"]
    lines = list(csv.DictReader(io.StringIO(table.text.lstrip("\ufeff"))))
    assert [line["name"] for line in lines] == ["Grace Whitfield", "Priya Raman"]


def test_the_csv_neutralises_a_formula_in_a_name(
    roster: str, visitor: Visitor, mail_env: SmtpServer
) -> None:
    engine = make_engine(roster)
    with engine.begin() as connection:
        evil = '=HYPERLINK("https://evil.example","Priya")'
        connection.execute(update(Holder).where(Holder.holder_id == "h-003").values(full_name=evil))
    engine.dispose()
    _sign_in(visitor, mail_env.inbox.messages, MANAGER)
    mine = f"/dashboard/{_subscription(roster, MANAGER)}"
    table = visitor.get(f"{mine}/members.csv")
    [line] = [r for r in csv.DictReader(io.StringIO(table.text.lstrip("\ufeff")))
              if r["holder_id"] == "h-003"]  # fmt: skip
    assert line["name"] == "'" + evil
    page = visitor.get(mine)
    assert "=HYPERLINK(&#34;https://evil.example&#34;" in page.text  # escaped in the page


def test_a_members_page_shows_the_notices_sent_and_what_became_of_them(
    cli: CommandLine, roster: str, visitor: Visitor, mail_env: SmtpServer
) -> None:
    assert cli("send", "--as-of", "2026-11-24").code == 0
    _sign_in(visitor, mail_env.inbox.messages, MANAGER)
    page = visitor.get(f"/dashboard/{_subscription(roster, MANAGER)}/members/h-003")
    assert page.status_code == 200
    text = " ".join(re.sub(r"<[^>]+>", " ", page.text).split())
    assert "AHIMA: CCS, RHIT Overdue" in text
    assert "Cycle August 30, 2024 to August 29, 2026" in text
    assert "HIIM domains 24 0 24" in text  # the minimum: required, earned, still needed
    assert "Overdue notice, 1 day after Sent on" in text
    assert "a notice that their AHIMA credential is overdue" in text  # never "your"
    assert "your" not in text.lower().replace("your subscriptions", "")


def test_sign_in_mail_is_limited_per_address_and_requests_per_client(
    roster: str, visitor: Visitor, mail_env: SmtpServer
) -> None:
    for _ in range(7):
        answer = _ask(visitor, DIRECTOR)
        assert answer.status_code == 200 and "a sign-in link is on its way" in answer.text
    _link(mail_env.inbox.messages, DIRECTOR, count=5)
    # Five links an hour to one inbox, whatever is asked; the page says the same each time.
    assert len(mail_env.inbox.messages) == 5
    answers = [_ask(visitor, f"someone{n}@nowhere.example").status_code for n in range(5)]
    assert answers[-1] == 429 and 429 not in answers[:2]


def test_each_sign_in_mail_is_in_the_mail_log_without_its_token_and_outside_the_daily_cap(
    roster: str, site: httpx.Client, visitor: Visitor, mail_env: SmtpServer, cli: CommandLine
) -> None:
    """Operators see who was sent a sign-in link (`reminders mail log`), not the link itself;
    and a lead who signs in is not held back from a reminder by the daily cap."""

    def logged(address: str) -> list[dict[str, object]]:
        found = json.loads(cli("mail", "log", "--to", address, "--format", "json").out)
        return cast(list[dict[str, object]], found)

    _sign_in(visitor, mail_env.inbox.messages, MANAGER)
    until(lambda: logged(MANAGER) != [])
    [entry] = logged(MANAGER)
    assert (entry["kind"], entry["state"], entry["attempts"]) == ("sign-in", "sent", 1)
    assert entry["about"] == "a sign-in link to the team dashboard"
    shown = cli("mail", "show", str(entry["id"])).out
    token = _link(mail_env.inbox.messages, MANAGER).rsplit("/", 1)[1]
    assert "Subject: Your link to the team dashboard" in shown
    assert "/dashboard/sign-in/[token]" in shown and token not in shown
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    engine = make_engine(roster)
    try:
        with engine.connect() as connection:
            assert outbox.sent_since(connection, [MANAGER], midnight) == {}
        # A suppressed address is sent nothing, and the log says why.
        with engine.begin() as connection:
            outbox.suppress(connection, DIRECTOR, "550 5.1.1 no such user", datetime.now(UTC))
    finally:
        engine.dispose()
    assert "a sign-in link is on its way" in _ask(Visitor(site), DIRECTOR).text
    until(lambda: logged(DIRECTOR) != [])
    [refused] = logged(DIRECTOR)
    assert (refused["kind"], refused["state"], refused["attempts"]) == ("sign-in", "failed", 0)
    assert refused["reason"] == "the address is suppressed: 550 5.1.1 no such user"
    assert [m["To"].addresses[0].addr_spec for m in mail_env.inbox.messages] == [MANAGER]
