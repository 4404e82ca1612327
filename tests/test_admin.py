"""The operators' page, /admin, over real HTTP against the real application, with tokens made
by the real command line and links mailed through a real SMTP server; on both databases. The
browser itself (Chromium, screenshots, accessibility) is tests/test_browser_admin.py."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.message import EmailMessage

import httpx
import pytest
from sqlalchemy import insert, select, update

from reminders.app import App
from reminders.db import operators, sessions
from reminders.db.engine import make_engine
from reminders.db.models import AuditEntry, MessageRecord, ScanRun, Suppression, WebSession
from reminders.settings import load_settings
from reminders.web.server import admin, build
from tests.conftest import CommandLine, database_rows, rows
from tests.smtpserver import SmtpServer
from tests.webserver import Visitor, csrf_of, serving, until

OPERATOR = "ops@riverside.example"
COOKIE = "__Host-reminders-admin"


def _text(page: httpx.Response) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page.text).split()))


def _token(cli: CommandLine, label: str = "Dana (on call)") -> str:
    made = cli("admin", "token", "create", "--label", label)
    assert made.code == 0, made.err
    assert "shown only this once" in made.out
    return made.out.split()[-1]


def _with_token(visitor: Visitor, token: str) -> httpx.Response:
    form = visitor.get("/admin")
    return visitor.post("/admin/sign-in/token", {"token": token, "csrf": csrf_of(form)})


@pytest.fixture
def site_of_operators(
    monkeypatch: pytest.MonkeyPatch, mail_env: SmtpServer, request: pytest.FixtureRequest
) -> httpx.Client:
    """The site, with REMINDERS_ADMIN_EMAILS naming one operator."""
    monkeypatch.setenv("REMINDERS_ADMIN_EMAILS", f"someone@elsewhere.example, {OPERATOR.upper()}")
    site: httpx.Client = request.getfixturevalue("site")
    return site


@pytest.fixture
def visitor(site_of_operators: httpx.Client) -> Iterator[Visitor]:
    yield Visitor(site_of_operators)


@pytest.fixture
def operator(cli: CommandLine, visitor: Visitor) -> Visitor:
    """A visitor signed in with a fresh token."""
    assert _with_token(visitor, _token(cli)).status_code == 303
    return visitor


def test_an_operator_signs_in_with_a_token_and_every_page_needs_it(
    cli: CommandLine, roster: str, visitor: Visitor
) -> None:
    for path in ("/admin/search?q=h-001", "/admin/holders/1", "/admin/messages/1",
                 "/admin/suppressions", "/admin/audit", "/admin/suppressions/lift?address=x"):  # fmt: skip
        page = visitor.get(path)
        assert page.status_code == 303 and page.headers["location"] == "/admin", path
    form = visitor.get("/admin")
    assert form.status_code == 200 and 'name="token"' in form.text
    assert form.headers["cache-control"] == "no-store"

    token = _token(cli)
    assert token.startswith("ra_") and len(token) > 40
    wrong = _with_token(visitor, token[:-2] + "xx")
    assert wrong.status_code == 403 and "That token does not sign in" in wrong.text
    assert COOKIE not in visitor.cookies

    done = _with_token(visitor, f"  {token} ")  # pasted with spaces around it
    assert done.status_code == 303 and done.headers["location"] == "/admin"
    [cookie] = [h for h in visitor.set if h.startswith(f"{COOKIE}=")]
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax", "path=/", "max-age=28800"} <= attributes
    [(stored, actor)] = rows(roster, select(WebSession.digest, WebSession.email))
    assert actor == "token:1" and visitor.cookies[COOKIE] not in stored and token not in stored
    assert token not in str(database_rows(roster))  # only its hash is kept

    home = visitor.get("/admin")
    assert home.status_code == 200
    text = _text(home)
    assert "signed in as Dana (on call) (token 1)" in text
    for heading in ("Outbox", "Recent failures", "Last scans", "Holders left out",
                    "Suppressed addresses", "Audit log"):  # fmt: skip
        assert f">{heading}</h2>" in home.text
    assert "Dana (on call) (token 1) admin.sign-in token 1 with a token, from 127.0.0.1" in text
    assert "admin.token.create token 1 Dana (on call)" in text


def test_a_revoked_token_signs_in_no_more_and_its_sessions_end(
    cli: CommandLine, roster: str, visitor: Visitor
) -> None:
    token = _token(cli)
    assert _with_token(visitor, token).status_code == 303
    assert "Operator page · signed in" in visitor.get("/admin").text
    listed = cli("admin", "token", "list")
    assert "Dana (on call)" in listed.out and token[:10] in listed.out and token not in listed.out

    revoked = cli("admin", "token", "revoke", "1")
    assert revoked.code == 0 and "1 session(s) signed out" in revoked.out
    assert 'name="token"' in visitor.get("/admin").text  # the sign-in form again
    assert visitor.get("/admin/audit").status_code == 303
    assert _with_token(visitor, token).status_code == 403
    again = cli("admin", "token", "revoke", "1")
    assert again.code == 2 and "no active operator token 1" in again.err
    actions = [a for (a,) in rows(roster, select(AuditEntry.action).order_by(AuditEntry.id))]
    assert actions == ["admin.token.create", "admin.sign-in", "admin.token.revoke"]


def test_an_operator_signs_in_by_a_mailed_link_once(
    roster: str, visitor: Visitor, mail_env: SmtpServer
) -> None:
    inbox = mail_env.inbox.messages
    form = visitor.get("/admin")
    assert 'name="email"' in form.text  # REMINDERS_ADMIN_EMAILS is set: links are offered
    for address in ("stranger@riverside.example", "Ops@Riverside.example"):
        sent = visitor.post("/admin/sign-in", {"email": address, "csrf": csrf_of(form)})
        assert sent.status_code == 200
        assert f"If {address} is an operator's address, a sign-in link" in sent.text
    until(lambda: len(inbox) >= 1, 10)
    [mail] = inbox  # the stranger got nothing
    assert mail["To"].addresses[0].addr_spec == OPERATOR
    assert mail["Subject"] == "Your link to the reminder service's operator page"
    body = mail.get_body(("plain",))
    assert isinstance(body, EmailMessage)
    [path] = re.findall(r"https://reminders\.example\.org(/admin/sign-in/\S+)", body.get_content())

    before = database_rows(roster)
    confirm = visitor.get(path)
    assert confirm.status_code == 200 and f"Sign in as {OPERATOR}?" in confirm.text
    assert database_rows(roster) == before  # opening the link changes nothing
    done = visitor.post(path, {"csrf": csrf_of(confirm)})
    assert done.status_code == 303 and done.headers["location"] == "/admin"
    text = _text(visitor.get("/admin"))
    assert f"signed in as {OPERATOR}" in text
    assert f"{OPERATOR} admin.sign-in {OPERATOR} with a mailed link" in text

    other = Visitor(visitor.site)
    used = other.post(path, {"csrf": csrf_of(other.get(path))})
    assert used.status_code == 400 and "used already" in used.text
    # A dashboard link does not open /admin, nor an admin link the dashboard.
    assert other.get(path.replace("/admin/", "/dashboard/")).status_code == 400


def test_forms_refuse_requests_from_another_site_and_tokens_are_rate_limited(
    cli: CommandLine, roster: str, visitor: Visitor
) -> None:
    token = _token(cli)
    form = visitor.get("/admin")
    for headers in ({"sec-fetch-site": "cross-site"}, {"origin": "https://evil.example"}):
        page = visitor.post("/admin/sign-in/token", {"token": token, "csrf": csrf_of(form)},
                            headers)  # fmt: skip
        assert page.status_code == 403 and COOKIE not in visitor.cookies
    assert visitor.post("/admin/sign-in/token", {"token": token}).status_code == 403
    answers = [_with_token(visitor, "ra_wrong").status_code for _ in range(11)]
    assert answers[:10] == [403] * 10 and answers[10] == 429
    assert _with_token(visitor, token).status_code == 429  # even the right one, for a minute


def test_lifting_a_suppression_asks_why_and_is_audited(
    roster: str, operator: Visitor, mail_env: SmtpServer
) -> None:
    engine = make_engine(roster)
    with engine.begin() as connection:
        connection.execute(
            insert(Suppression).values(
                email="priya.raman@riverside.example", kind="bounce",
                reason="550 5.1.1 mailbox unknown", created_at=datetime(2026, 11, 20, tzinfo=UTC),
            )
        )  # fmt: skip
    engine.dispose()
    home = operator.get("/admin")
    assert "priya.raman@riverside.example" in home.text and "550 5.1.1 mailbox unknown" in home.text
    path = "/admin/suppressions/lift?address=priya.raman%40riverside.example"
    assert f'href="{path}"' in home.text
    confirm = operator.get(path)
    assert "Lift the suppression of priya.raman@riverside.example?" in confirm.text
    form = {"address": "priya.raman@riverside.example", "csrf": csrf_of(confirm), "why": ""}
    assert operator.post("/admin/suppressions/lift", form).status_code == 422
    forged = operator.post("/admin/suppressions/lift", {**form, "why": "x", "csrf": "forged"})
    assert forged.status_code == 403
    assert rows(roster, select(Suppression.email)) == [("priya.raman@riverside.example",)]

    done = operator.post("/admin/suppressions/lift", {**form, "why": "she fixed her mailbox"})
    assert done.status_code == 303
    assert done.headers["location"] == "/admin?lifted=priya.raman%40riverside.example"
    assert rows(roster, select(Suppression.email)) == []
    text = _text(operator.get(done.headers["location"]))
    assert "The suppression of priya.raman@riverside.example is lifted" in text
    assert ("Dana (on call) (token 1) suppression.lift priya.raman@riverside.example "
            "she fixed her mailbox (was bounce: 550 5.1.1 mailbox unknown)") in text  # fmt: skip
    assert operator.get(path).status_code == 404  # nothing left to lift


def test_search_finds_a_holder_with_their_standing_notices_and_messages(
    cli: CommandLine, roster: str, operator: Visitor
) -> None:
    assert cli("send", "--as-of", "2026-11-24").code == 0
    [(message, to)] = rows(
        roster,
        select(MessageRecord.id, MessageRecord.to_address).where(
            MessageRecord.to_address == "priya.raman@riverside.example"
        ),
    )
    found = operator.get("/admin/search?q=Priya.Raman%40Riverside.example")
    text = _text(found)
    assert "Priya Raman (h-003) , priya.raman@riverside.example, the operator's roster" in text
    assert f'href="/admin/messages/{message}"' in found.text
    assert "notice: AHIMA overdue" in text
    by_id = _text(operator.get("/admin/search?q=h-003"))
    assert "Priya Raman (h-003)" in by_id and "Messages for holder h-003" in by_id
    assert "No holder has the id h-999" in _text(operator.get("/admin/search?q=h-999"))

    [pk] = re.findall(r'href="/admin/holders/(\d+)"', found.text)
    holder = _text(operator.get(f"/admin/holders/{pk}"))
    assert "AHIMA: CCS, RHIT Overdue" in holder
    assert "Overdue notice, 1 day after Sent on" in holder
    assert "sent" in holder and "Every message for Priya Raman on record" in holder

    page = operator.get(f"/admin/messages/{message}")
    shown = _text(page)
    assert f"Message {message}: notice to {to}" in shown and "sent" in shown
    assert "Subject: " in page.text and "[token]" in page.text  # the copy, tokens left out
    assert operator.get("/admin/messages/999999").status_code == 404
    assert operator.get("/admin/holders/999999").status_code == 404


def test_the_front_page_shows_failures_scans_and_the_holders_left_out(
    cli: CommandLine, roster: str, operator: Visitor
) -> None:
    assert cli("send", "--as-of", "2026-11-24").code == 0
    [run] = rows(roster, select(ScanRun.source, ScanRun.holders, ScanRun.queued, ScanRun.left_out))
    assert run[0] == "send" and run[1] > 0 and run[2] > 0 and run[3] == 0
    engine = make_engine(roster)
    with engine.begin() as connection:
        [first] = connection.execute(select(MessageRecord.id).limit(1)).scalars()
        connection.execute(
            update(MessageRecord).where(MessageRecord.id == first).values(
                state="failed", last_error="554 5.7.1 relay denied",
            )
        )  # fmt: skip
        stamp = datetime(2026, 11, 24, 6, tzinfo=UTC)
        operators.record_run(connection, "daemon", date(2026, 11, 24), stamp, stamp, 9, 0,
                             [("h-007", "ZeroDivisionError: division by zero")])  # fmt: skip
    engine.dispose()
    home = operator.get("/admin")
    text = _text(home)
    assert "554 5.7.1 relay denied" in text and f'href="/admin/messages/{first}"' in home.text
    assert "Failed 1" in text
    assert "reminders send 2026-11-24" in text
    assert "the daemon's scan 2026-11-24 0.0 9 0 1" in text
    assert "h-007 : ZeroDivisionError: division by zero" in text


def test_with_an_admin_port_the_operator_page_is_served_there_only(
    cli: CommandLine, roster: str, mail_env: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli.use(roster)
    monkeypatch.setenv("REMINDERS_ADMIN_PORT", "9999")
    app = App(load_settings(), as_of=date(2026, 11, 24))
    public = build(app)
    try:
        with serving(public) as base, httpx.Client(base_url=base) as client:
            assert client.get("/admin").status_code == 404
            assert client.post("/admin/sign-in/token", data={"token": "x"}).status_code == 404
        with serving(admin(public, app)) as base, httpx.Client(base_url=base) as client:
            page = client.get("/admin")
            assert page.status_code == 200 and 'name="token"' in page.text
    finally:
        app.close()


def test_only_an_operators_admin_session_opens_the_page(
    roster: str, visitor: Visitor, mail_env: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dashboard session's cookie, or an admin session of an address no longer listed, is
    a signed-out visitor."""
    engine = make_engine(roster)
    now = datetime.now(UTC)
    later = datetime(2099, 1, 1, tzinfo=UTC)
    with engine.begin() as connection:
        sessions.create(connection, "dashboard-cookie", "dashboard", OPERATOR, "c", now, later)
        sessions.create(connection, "gone-cookie", "admin", "former@riverside.example", "c",
                        now, later)  # fmt: skip
        sessions.create(connection, "ops-cookie", "admin", OPERATOR, "c", now, later)
    engine.dispose()
    for cookie in ("dashboard-cookie", "gone-cookie"):
        visitor.cookies[COOKIE] = cookie
        assert 'name="token"' in visitor.get("/admin").text, cookie
        assert visitor.get("/admin/audit").status_code == 303, cookie
    visitor.cookies[COOKIE] = "ops-cookie"
    assert f"signed in as {OPERATOR}" in _text(visitor.get("/admin"))

    # The same session, once the address has left REMINDERS_ADMIN_EMAILS.
    monkeypatch.setenv("REMINDERS_ADMIN_EMAILS", "someone@elsewhere.example")
    app = App(load_settings(), as_of=date(2026, 11, 24))
    try:
        with serving(build(app)) as base, httpx.Client(base_url=base) as client:
            page = client.get("/admin", headers={"cookie": f"{COOKIE}=ops-cookie"})
            assert 'name="token"' in page.text and OPERATOR not in page.text
    finally:
        app.close()
