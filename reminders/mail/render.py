"""Renders notices with the Jinja2 templates under `templates/`.

Sandboxed environments with StrictUndefined: data is passed as values and never evaluated, a
misspelt variable fails loudly (in the tests, not in an inbox), and HTML is autoescaped. Each
template is compiled once and reused; the stylesheet is inlined for mail clients.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import css_inline
from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from reminders.alerts.content import Alert
from reminders.digests.content import LABELS, Digest, ceus
from reminders.escalation.content import LeadCopyView
from reminders.notices.content import NoticeView
from reminders.notices.planning import PAUSED
from reminders.notices.preferences import DEFAULT, IN_MAIL
from reminders.words import day, when

DIGEST_TABLE_LIMIT = 200
"""Lines per section in a digest's body; a bigger scope's full table is in the CSV."""


ALSO = {
    "deadline": "{n.body} CEUs due {n.cycle_end}",
    "shortfall": "{n.body} CEUs behind pace",
    "overdue": "{n.body} CEUs overdue",
    "lapsed": "{n.body} credential lapsed",
    "complete": "{n.body} CEUs complete",
    "dues": "{n.body} membership renews {n.renews_on}",
}
"""How a subject names the notices after the first, which has the subject's own words."""


def _also(view: NoticeView) -> str:
    if view.unrenewed and view.kind in ("overdue", "lapsed"):
        return f"{view.body} membership not renewed"
    return ALSO[view.kind].format(n=view)


def webcal(url: str) -> str:
    """The feed's address for calendar apps: a webcal:// link subscribes (Apple Calendar,
    Outlook) where an https:// one would download the file once."""
    scheme, sep, rest = url.partition("://")
    return f"webcal://{rest}" if sep and scheme in ("http", "https") else url


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class Renderer:
    def __init__(self, directory: Path) -> None:
        loader = FileSystemLoader(directory)
        # auto_reload off: a compiled template is reused without looking at its file's time
        # again, which a message's ten templates (with their includes) did on every render.
        self._text = ImmutableSandboxedEnvironment(
            loader=loader,
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            auto_reload=False,
        )
        self._html = ImmutableSandboxedEnvironment(
            loader=loader,
            undefined=StrictUndefined,
            autoescape=select_autoescape(["html"]),
            auto_reload=False,
        )
        for environment in (self._text, self._html):
            environment.filters["ceus"] = ceus
            environment.filters["day"] = day
            environment.filters["when"] = when
        self._inliner = css_inline.CSSInliner(keep_style_tags=False, keep_at_rules=True)

    def render(
        self,
        name: str,
        notices: Sequence[NoticeView],
        unsubscribe_url: str,
        calendar_url: str,
        notes: Sequence[str] = (),
        level: str = DEFAULT,
        *,
        status_url: str,
        informed: str | None = None,
    ) -> Rendered:
        """One message for one person: every notice a section, the most pressing first.
        `level` is how much mail they chose (notices/preferences.py), which the footer names;
        `informed` says which team leads get a copy (escalation/content.py)."""
        if not notices:
            raise ValueError("a message needs at least one notice")
        # The views go in as they are (frozen dataclasses the templates read by attribute):
        # copying each into nested dicts took a sixth of rendering.
        first = notices[0]
        subject = self._text.get_template(f"{first.kind}.subject.txt").render(n=first).strip()
        if len(notices) > 1:
            # Name what else the mail says: "(and 1 more)" hid a complete cycle or a lapse.
            subject += f" (also: {', '.join(_also(v) for v in notices[1:])})"
        texts = [self._text.get_template(f"{v.kind}.txt").render(n=v).strip() for v in notices]
        htmls = [Markup(self._html.get_template(f"{v.kind}.html").render(n=v)) for v in notices]
        # Reminders a coder can pause by saying the cycle is submitted (notices/planning.py).
        submitted = {
            v.body: f"{status_url}/submitted/{v.body}/{v.cycle}"
            for v in notices
            if v.kind in PAUSED and v.cycle
        }
        context = {
            "name": name,
            "subject": subject,
            "submitted": submitted,
            "unsubscribe_url": unsubscribe_url,
            "calendar_url": calendar_url,
            "webcal_url": webcal(calendar_url),
            "status_url": status_url,
            "notes": notes,
            "level_words": IN_MAIL[level],
            "informed": informed,
        }
        text = self._text.get_template("layout.txt").render(sections=texts, **context)
        html = self._html.get_template("layout.html").render(sections=htmls, **context)
        return Rendered(" ".join(subject.split()), text, self._inliner.inline(html))

    def render_digest(
        self, digest: Digest, to: str, frequency: str, unsubscribe_url: str
    ) -> Rendered:
        """One employer digest: exceptions first, then what changed, then everyone."""
        context = {
            "d": digest,
            "to": to,
            "frequency": frequency,
            "labels": LABELS,
            "limit": DIGEST_TABLE_LIMIT,
            "unsubscribe_url": unsubscribe_url,
        }
        subject = " ".join(self._text.get_template("digest.subject.txt").render(context).split())
        # Sections come and go with the data; one blank line between them, whatever shows.
        text = re.sub(r"\n{3,}", "\n\n", self._text.get_template("digest.txt").render(context))
        html = self._html.get_template("digest.html").render(subject=subject, **context)
        return Rendered(subject, text, self._inliner.inline(html))

    def render_alert(
        self,
        alert: Alert,
        to: str,
        mode: str,
        frequency: str,
        interval_minutes: int,
        unsubscribe_url: str,
    ) -> Rendered:
        """One employer alert: the events it tells, most urgent first. `mode` is immediate or
        daily; `frequency` the subscription's digest's."""
        if not alert.items:
            raise ValueError("an alert needs at least one event")
        context = {
            "a": alert,
            "to": to,
            "mode": mode,
            "frequency": frequency,
            "interval": interval_minutes,
            "labels": LABELS,
            "unsubscribe_url": unsubscribe_url,
        }
        subject = " ".join(self._text.get_template("alert.subject.txt").render(context).split())
        text = self._text.get_template("alert.txt").render(context)
        html = self._html.get_template("alert.html").render(subject=subject, **context)
        return Rendered(subject, text, self._inliner.inline(html))

    def render_lead(self, view: LeadCopyView, to: str, unsubscribe_url: str) -> Rendered:
        """A team lead's copy of a coder's notices, in the third person."""
        if not view.items:
            raise ValueError("a copy needs at least one notice")
        context = {"v": view, "to": to, "unsubscribe_url": unsubscribe_url}
        subject = " ".join(self._text.get_template("lead.subject.txt").render(context).split())
        text = self._text.get_template("lead.txt").render(context)
        html = self._html.get_template("lead.html").render(subject=subject, **context)
        return Rendered(subject, text, self._inliner.inline(html))

    def render_sign_in(
        self, url: str, to: str, minutes: int, scopes: Sequence[str], page: str = "dashboard"
    ) -> Rendered:
        """The mail with a sign-in link, which its reader asked for: to the team dashboard
        (its `scopes` named), or with `page` "admin" to the operators' page."""
        context = {"url": url, "to": to, "minutes": minutes, "scopes": scopes}
        name = "signin" if page == "dashboard" else f"signin-{page}"
        subject = " ".join(self._text.get_template(f"{name}.subject.txt").render(context).split())
        text = self._text.get_template(f"{name}.txt").render(context)
        html = self._html.get_template(f"{name}.html").render(subject=subject, **context)
        return Rendered(subject, text, self._inliner.inline(html))
