"""The gallery: every notice and digest the service writes, rendered from a built-in roster, to
look through in a browser (`reminders gallery DIR`, then DIR/index.html) and for the tests to
check what people read. Pure but for writing the files: the roster is facts in code, each
item is evaluated on a day chosen for it."""

from __future__ import annotations

import functools
import html
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from reminders.alerts.content import build_alert, told
from reminders.alerts.events import events_of
from reminders.digests.content import Line, build_digest, csv_bytes, line_of
from reminders.digests.mail import csv_name
from reminders.escalation.content import coder_note, copied, lead_copy
from reminders.mail.ical import Deadline
from reminders.mail.message import Attachment, build
from reminders.mail.render import Renderer
from reminders.notices.content import (
    NoticeView,
    ceus_due,
    feed_events,
    notice_view,
    standing_notes,
)
from reminders.notices.ladder import Ladder
from reminders.notices.preferences import DEFAULT, ladder_for
from reminders.rules.evaluate import evaluate
from reminders.rules.facts import CeuFact, CredentialFact, HolderFacts, MembershipFact
from reminders.rules.loader import Rulebook
from reminders.rules.results import Evaluation

UNSUBSCRIBE = "https://reminders.example.org/u/gallery"
CALENDAR = "https://reminders.example.org/ics/gallery.ics"
STATUS = "https://reminders.example.org/s/gallery"
SENDER = "CEU reminders <reminders@example.org>"
STAMP = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
"""When the .eml files say they were written: fixed, so the gallery is the same on every run."""


def _ceu(day: str, hours: float, bodies: str, categories: str = "") -> CeuFact:
    tags = frozenset(c for c in categories.split(";") if c)
    cents = round(hours * 100)
    return CeuFact(
        date.fromisoformat(day), cents, f"Course of {day}", frozenset(bodies.split(";")), tags
    )


def _holder(
    holder_id: str, credentials: str, ceus: tuple[CeuFact, ...] = (), **members: str
) -> HolderFacts:
    held = tuple(
        CredentialFact(code, date.fromisoformat(day))
        for code, day in (item.split("@") for item in credentials.split())
    )
    memberships = {body: MembershipFact(date.fromisoformat(day)) for body, day in members.items()}
    return HolderFacts(holder_id, held, memberships, ceus)


ROSTER = {
    # Behind with AAPC, a CPMA auditing minimum short: deadline, overdue, shortfall, dues.
    "Maria Alvarez": _holder(
        "g-001", "CPC@2019-03-14 CPMA@2021-06-02",
        (_ceu("2025-05-01", 2, "AAPC", "auditing"), _ceu("2025-09-10", 1.5, "AAPC"),
         _ceu("2026-02-19", 8, "AAPC", "auditing"), _ceu("2026-06-01", 10, "AAPC")),
        AAPC="2027-03-31",
    ),
    # AHIMA with both of its minimums, one met: deadline and overdue.
    "Priya Raman": _holder(
        "g-002", "RHIA@2019-06-15 CCS@2023-03-01",
        (_ceu("2025-07-01", 20, "AHIMA", "hiim;ahima-source"), _ceu("2025-08-01", 10, "AHIMA", "hiim")),
    ),
    # Complete with AAPC, a specialty minimum met.
    "Thomas Becker": _holder(
        "g-003", "CPC@2018-05-02 CEMC@2022-09-01",
        (_ceu("2025-06-01", 32, "AAPC"), _ceu("2025-10-01", 8, "AAPC", "specialty:CEMC")),
        AAPC="2027-03-31",
    ),
    # Two bodies: AAPC due, AHIMA lapsed long ago (a line in every mail while it lasts).
    "Ana Lima": _holder(
        "g-004", "CPC@2020-01-10 RHIA@2019-06-15", (_ceu("2024-03-01", 5, "AHIMA", "hiim"),),
        AAPC="2027-01-31",
    ),
    # AAPC membership due for renewal on 2026-09-30 and not renewed, in a year without CEUs due
    # (September is odd: they fall due in 2027).
    "Lee Park": _holder(
        "g-005", "CPC@2016-04-12", (_ceu("2025-11-01", 12, "AAPC"), _ceu("2026-05-01", 10, "AAPC")),
        AAPC="2026-09-30",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Item:
    """One page of the gallery: a mail to a coder or a digest, and what it was made from."""

    name: str
    title: str
    subject: str
    text: str
    html: str
    eml: bytes
    """The whole message as it would go out, attachments and all."""
    level: str = DEFAULT
    csv: bytes | None = None
    digest_lines: tuple[Line, ...] = ()
    attached: tuple[Deadline, ...] = ()
    """The calendar events attached to a coder's mail."""
    feed: tuple[Deadline, ...] = ()
    """The same coder's subscribable calendar on the mail's day."""


class Gallery:
    def __init__(self, rulebook: Rulebook, ladder: Ladder, renderer: Renderer) -> None:
        self.rulebook, self.ladder, self.renderer = rulebook, ladder, renderer

    def evaluation(self, person: str, body: str, day: date) -> Evaluation:
        found = [e for e in evaluate(ROSTER[person], self.rulebook, day)[0] if e.body == body]
        assert found, f"{person} has no {body} evaluation on {day}"
        return found[0]

    def view(self, kind: str, rung: int, e: Evaluation, day: date) -> NoticeView:
        words = functools.partial(self.rulebook.category_words, e.body)
        return notice_view(kind, str(rung), e, self.ladder.bodies[e.body], day, words)

    def mail(
        self,
        name: str,
        title: str,
        person: str,
        day: date,
        notices: list[tuple[str, int, str]],
        level: str = DEFAULT,
        informed: str | None = None,
    ) -> Item:
        facts = ROSTER[person]
        evaluations = evaluate(facts, self.rulebook, day)[0]
        by_body = {e.body: e for e in evaluations}
        views = [self.view(kind, rung, by_body[body], day) for kind, rung, body in notices]
        notes = standing_notes(evaluations, {body for _, _, body in notices})
        r = self.renderer.render(
            person, views, UNSUBSCRIBE, CALENDAR, notes, level, status_url=STATUS,
            informed=informed,
        )  # fmt: skip
        attached = tuple(
            ceus_due(facts.holder_id, by_body[body], self.ladder.bodies[body].ceu_page)
            for kind, _, body in notices
            if kind == "deadline"
        )
        address = f"{facts.holder_id}@example.org"
        envelope = build(r, mail_from=SENDER, to_name=person, to_address=address, keys=[name],
                         unsubscribe_url=UNSUBSCRIBE, now=STAMP, deadlines=attached)  # fmt: skip
        feed = tuple(feed_events(facts.holder_id, evaluations, self.ladder))
        return Item(name, f"{title} ({day:%Y-%m-%d})", r.subject, r.text, r.html, envelope.data,
                    level, attached=attached, feed=feed)  # fmt: skip

    def notices(self) -> Iterator[Item]:
        for person, body in (("Maria Alvarez", "AAPC"), ("Priya Raman", "AHIMA")):
            steps = self.ladder.bodies[body]
            end = self.evaluation(person, body, date(2026, 11, 24)).cycle_end
            for rung in steps.before:
                yield self.mail(f"{body}-deadline-{rung}", f"{body} deadline, {rung} days before, on time",
                                person, end - timedelta(days=rung), [("deadline", rung, body)])  # fmt: skip
                yield self.mail(f"{body}-deadline-{rung}-late", f"{body} deadline, {rung}-day rung sent 9 days late",
                                person, end - timedelta(days=rung - 9), [("deadline", rung, body)])  # fmt: skip
            for rung in steps.after:
                yield self.mail(f"{body}-overdue-{rung}", f"{body} overdue, {rung} days after",
                                person, end + timedelta(days=rung), [("overdue", rung, body)])  # fmt: skip
            yield self.mail(f"{body}-shortfall", f"{body} behind pace", person,
                            end - timedelta(days=200), [("shortfall", 0, body)])  # fmt: skip
        yield self.mail("AAPC-dues-30", "AAPC dues, 30 days before the membership renews",
                        "Maria Alvarez", date(2027, 3, 1), [("dues", 30, "AAPC")])  # fmt: skip
        yield self.mail("AAPC-complete", "AAPC complete", "Thomas Becker", date(2026, 11, 24),
                        [("complete", 0, "AAPC")])  # fmt: skip
        yield self.mail("AHIMA-lapsed", "AHIMA lapsed", "Ana Lima", date(2025, 12, 12),
                        [("lapsed", 0, "AHIMA")])  # fmt: skip
        yield self.mail("AAPC-unrenewed-1", "AAPC membership not renewed, 1 day after",
                        "Lee Park", date(2026, 10, 1), [("overdue", 1, "AAPC")])  # fmt: skip
        yield self.mail("AAPC-unrenewed-lapsed", "AAPC membership not renewed: cancelled",
                        "Lee Park", date(2026, 12, 30), [("lapsed", 0, "AAPC")])  # fmt: skip
        yield self.mail("two-bodies-and-a-lapse", "AAPC deadline with an AHIMA lapse beside it",
                        "Ana Lima", date(2026, 11, 3), [("deadline", 90, "AAPC")])  # fmt: skip
        yield self.mail("two-notices", "AAPC deadline and dues in one mail", "Maria Alvarez",
                        date(2027, 3, 1), [("deadline", 45, "AAPC"), ("dues", 30, "AAPC")])  # fmt: skip
        yield from self.levels()

    def levels(self) -> Iterator[Item]:
        """The rungs a coder who chose fewer mails, or only the final ones, still gets."""
        end = self.evaluation("Maria Alvarez", "AAPC", date(2026, 11, 24)).cycle_end
        for level in ("fewer", "final"):
            steps = ladder_for(self.ladder, level).bodies["AAPC"]
            for kind, rungs, sign in (("deadline", steps.before, -1), ("overdue", steps.after, 1)):
                for rung in rungs:
                    yield self.mail(f"level-{level}-AAPC-{kind}-{rung}",
                                    f"AAPC {kind}, {rung} days, for a coder who chose {level}",
                                    "Maria Alvarez", end + timedelta(days=sign * rung),
                                    [(kind, rung, "AAPC")], level)  # fmt: skip

    def lines(self, day: date, people: tuple[str, ...] | None = None) -> list[Line]:
        return [
            line_of(person, e, f"{facts.holder_id}@example.org", ("Coding",),
                    functools.partial(self.rulebook.category_words, e.body))
            for person, facts in ROSTER.items()
            if people is None or person in people
            for e in evaluate(facts, self.rulebook, day)[0]
        ]  # fmt: skip

    def digest(
        self,
        name: str,
        period: str,
        day: date,
        previous: list[Line] | None,
        compared: str | None,
        people: tuple[str, ...] | None = None,
        scope: str = "Riverside Health, Coding",
        lines: list[Line] | None = None,
    ) -> Item:
        lines = self.lines(day, people) if lines is None else lines
        d = build_digest(scope, period, day, lines, previous, compared_with=compared)
        frequency = "monthly" if "week" not in period else "weekly"
        r = self.renderer.render_digest(d, "lead@example.org", frequency, UNSUBSCRIBE)
        table = csv_bytes(d.lines)
        attachment = Attachment(csv_name(scope, day), 'text/csv; charset="utf-8"', table)
        envelope = build(r, mail_from=SENDER, to_name="", to_address="lead@example.org",
                         keys=[name], unsubscribe_url=UNSUBSCRIBE, now=STAMP,
                         attachments=[attachment])  # fmt: skip
        return Item(name, f"Digest: {name.replace('-', ' ')} ({day:%Y-%m-%d})", r.subject, r.text,
                    r.html, envelope.data, csv=table, digest_lines=tuple(lines))  # fmt: skip

    def digests(self) -> Iterator[Item]:
        first = date(2026, 11, 30)
        yield self.digest("digest-first-weekly", "week of November 30, 2026", first, None, None)
        before = self.lines(date(2026, 11, 23))
        yield self.digest("digest-busy-weekly", "week of November 30, 2026", first, before,
                          "week of November 23, 2026")  # fmt: skip
        same = self.lines(date(2026, 12, 1))
        yield self.digest("digest-monthly-still-in-trouble", "December 2026", date(2026, 12, 1), same,
                          "November 2026")  # fmt: skip
        calm = ("Thomas Becker", "Priya Raman")
        yield self.digest("digest-quiet-weekly", "week of November 30, 2026", first,
                          self.lines(date(2026, 11, 23), calm), "week of November 23, 2026",
                          calm, "Riverside Health, Audit")  # fmt: skip
        yield self.digest("digest-empty-team", "December 2026", date(2026, 12, 1), [],
                          "November 2026", (), "Riverside Health, New hires")  # fmt: skip
        # What the roster cannot show: an address that bounces, and a coder's own word.
        told = [
            replace(line, bouncing=date(2026, 11, 26)) if line.name == "Maria Alvarez"
            else replace(line, self_reported=date(2026, 11, 27)) if line.status == "overdue"
            else line
            for line in self.lines(first)
        ]  # fmt: skip
        yield self.digest("digest-bouncing-and-self-reported", "week of November 30, 2026", first,
                          before, "week of November 23, 2026", lines=told)  # fmt: skip

    def alert(self, name: str, day: date, people: tuple[str, ...] | None, mode: str) -> Item:
        """What the roster's members that day would alert an employer to."""
        lines = {(line.holder_id, line.body): line for line in self.lines(day, people)}
        items = [
            told(lines[(facts.holder_id, e.body)], e.kind, e.happened_on)
            for person, facts in ROSTER.items()
            if people is None or person in people
            for e in events_of(evaluate(facts, self.rulebook, day)[0], day, 90)
        ]
        alert = build_alert("Riverside Health, Coding", day, items)
        r = self.renderer.render_alert(alert, "lead@example.org", mode, "weekly", 15, UNSUBSCRIBE)
        envelope = build(r, mail_from=SENDER, to_name="", to_address="lead@example.org",
                         keys=[name], unsubscribe_url=UNSUBSCRIBE, now=STAMP)  # fmt: skip
        return Item(name, f"Alert: {name.replace('-', ' ')} ({day:%Y-%m-%d})", r.subject, r.text,
                    r.html, envelope.data)  # fmt: skip

    def alerts(self) -> Iterator[Item]:
        yield self.alert("alert-immediate-several", date(2026, 11, 30), None, "immediate")
        overdue = tuple(
            person for person, facts in ROSTER.items()
            if any(e.status == "overdue" for e in evaluate(facts, self.rulebook, date(2026, 11, 30))[0])
        )[:1]  # fmt: skip
        yield self.alert("alert-daily-one", date(2026, 11, 30), overdue, "daily")

    def lead_copy(self, name: str, person: str, day: date, kind: str, policy: str) -> Item:
        """A team lead's copy of one of a coder's notices (escalation/content.py)."""
        facts = ROSTER[person]
        items = [
            copied(line_of(person, e, category_words=functools.partial(
                self.rulebook.category_words, e.body)), kind)
            for e in evaluate(facts, self.rulebook, day)[0]
            if e.status in ({kind} if kind != "deadline" else {"on_track", "behind"})
        ][:1]  # fmt: skip
        view = lead_copy(person, facts.holder_id, "Riverside Health", "Coding", policy, items)
        r = self.renderer.render_lead(view, "lead@example.org", UNSUBSCRIBE)
        envelope = build(r, mail_from=SENDER, to_name="", to_address="lead@example.org",
                         keys=[name], unsubscribe_url=UNSUBSCRIBE, now=STAMP)  # fmt: skip
        return Item(name, f"Team lead: {name.replace('-', ' ')} ({day:%Y-%m-%d})", r.subject,
                    r.text, r.html, envelope.data)  # fmt: skip

    def escalations(self) -> Iterator[Item]:
        end = self.evaluation("Priya Raman", "AHIMA", date(2026, 11, 24)).cycle_end
        overdue = end + timedelta(days=1)
        yield self.lead_copy("lead-copy-overdue", "Priya Raman", overdue, "overdue", "overdue")
        final = self.evaluation("Maria Alvarez", "AAPC", date(2026, 11, 24)).cycle_end
        yield self.lead_copy("lead-copy-final", "Maria Alvarez", final - timedelta(days=15),
                             "deadline", "final")  # fmt: skip
        note = coder_note([("Dana Whitaker", "Riverside Health", "final")])
        yield self.mail("AHIMA-overdue-1-lead-informed", "AHIMA overdue, 1 day after, lead told",
                        "Priya Raman", overdue, [("overdue", 1, "AHIMA")], informed=note)  # fmt: skip

    def sign_in(self) -> Iterator[Item]:
        """The sign-in links of the team dashboard and the operator page, which their readers
        asked for (web/signin_mail.py)."""
        url = "https://reminders.example.org/dashboard/sign-in/v2.example"
        scopes = ["Riverside Health, Coding", "Riverside Health"]
        r = self.renderer.render_sign_in(url, "lead@example.org", 15, scopes)
        envelope = build(r, mail_from=SENDER, to_name="", to_address="lead@example.org",
                         keys=[url], unsubscribe_url=None, now=STAMP)  # fmt: skip
        title = f"Team dashboard: sign-in link ({STAMP:%Y-%m-%d})"
        yield Item("dashboard-sign-in", title, r.subject, r.text, r.html, envelope.data)
        url = "https://reminders.example.org/admin/sign-in/v2.example"
        r = self.renderer.render_sign_in(url, "ops@example.org", 15, [], page="admin")
        envelope = build(r, mail_from=SENDER, to_name="", to_address="ops@example.org",
                         keys=[url], unsubscribe_url=None, now=STAMP)  # fmt: skip
        title = f"Operator page: sign-in link ({STAMP:%Y-%m-%d})"
        yield Item("admin-sign-in", title, r.subject, r.text, r.html, envelope.data)

    def items(self) -> list[Item]:
        return [*self.notices(), *self.digests(), *self.alerts(), *self.escalations(),
                *self.sign_in()]  # fmt: skip


SCOPE = ("Riverside Health", "Coding", "lead@example.org")
"""The organisation, team and digest subscriber of the roster's import files."""


def roster_files() -> dict[str, str]:
    """The built-in roster as import CSVs (`reminders import all DIR`): the same people through
    the database, to compare what a real scan and a real digest make of them."""
    people = sorted(ROSTER.items(), key=lambda item: item[1].holder_id)
    rows: dict[str, list[str]] = {
        "holders": ["holder_id,full_name,email,timezone"],
        "credentials": ["holder_id,credential,earned_on"],
        "memberships": ["holder_id,body,member_id,renews_on,cycle_ends_on,required_ceus"],
        "ceus": ["holder_id,completed_on,hours,title,provider,index_number,bodies,categories"],
        "teams": ["org,team,holder_id"],
        "subscriptions": ["org,team,email,frequency,timezone"],
    }
    org, team, lead = SCOPE
    for name, f in people:
        rows["holders"].append(f"{f.holder_id},{name},{f.holder_id}@example.org,America/New_York")
        rows["credentials"] += [f"{f.holder_id},{c.code},{c.earned_on}" for c in f.credentials]
        rows["memberships"] += [
            f"{f.holder_id},{body},,{m.renews_on or ''},{m.cycle_ends_on or ''},"
            for body, m in f.memberships.items()
        ]
        rows["ceus"] += [
            f"{f.holder_id},{c.completed_on},{c.cents / 100:g},{c.title},,,"
            f"{';'.join(sorted(c.bodies))},{';'.join(sorted(c.categories))}"
            for c in f.ceus
        ]
        rows["teams"].append(f"{org},{team},{f.holder_id}")
    rows["subscriptions"].append(f"{org},{team},{lead},weekly,America/New_York")
    return {f"{kind}.csv": "\n".join(lines) + "\n" for kind, lines in rows.items()}


def write(items: list[Item], folder: Path) -> list[Path]:
    """Each item as .txt, .html and .eml (a digest's CSV too), and index.html to look through."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    rows = []
    for item in items:
        (folder / f"{item.name}.txt").write_text(f"Subject: {item.subject}\n\n{item.text}")
        (folder / f"{item.name}.html").write_text(item.html)
        (folder / f"{item.name}.eml").write_bytes(item.eml)
        written += [folder / f"{item.name}{suffix}" for suffix in (".txt", ".html", ".eml")]
        if item.csv is not None:
            (folder / f"{item.name}.csv").write_bytes(item.csv)
            written.append(folder / f"{item.name}.csv")
        rows.append(
            f'<tr><td><a href="{item.name}.html">{html.escape(item.title)}</a></td>'
            f'<td>{html.escape(item.subject)}</td><td><a href="{item.name}.txt">text</a> ·'
            f' <a href="{item.name}.eml">.eml</a></td></tr>'
        )
    (folder / "roster").mkdir(exist_ok=True)
    for name, content in roster_files().items():
        (folder / "roster" / name).write_text(content)
        written.append(folder / "roster" / name)
    index = folder / "index.html"
    index.write_text(
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>reminders gallery</title>"
        "</head><body><h1>Every mail and digest, from the built-in roster</h1>"
        "<p>The roster's people as import files, to try them in a database:"
        " <code>reminders import all roster</code>.</p><table>"
        "<tr><th>What</th><th>Subject</th><th></th></tr>" + "".join(rows) + "</table></body></html>"
    )
    return [index, *written]
