"""Builds the bytes of a notice mail: multipart/alternative (text and HTML), inside
multipart/mixed when it carries a calendar attachment; headers that no data can break.

The compat32 MIME classes flattened once are about three times cheaper than EmailMessage
(shared/docs/performance-notes.md), and the bytes are what aiosmtplib sends as they are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email import policy
from email.charset import QP, Charset
from email.header import Header
from email.headerregistry import Address
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr

from icalendar import Alarm, Calendar, Event

from reminders.mail.render import Rendered

# Quoted-printable keeps the parts readable (and friendlier to spam filters than base64).
UTF8_QP = Charset("utf-8")
UTF8_QP.body_encoding = QP
# CRLF line ends, and no refolding: every header is ASCII already (encoded words where needed),
# and List-Unsubscribe must stay a plain <URL>.
WIRE = policy.compat32.clone(linesep="\r\n", max_line_length=998)


class HeaderInjection(ValueError):
    """A value meant for a mail header holds a line break."""


def _header(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise HeaderInjection(f"line break in a header value: {value!r}")
    return value


def message_id(keys: Sequence[str], domain: str) -> str:
    """The same notices always make the same Message-ID, across retries and restarts."""
    digest = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:40]
    return f"<{digest}@{domain}>"


@dataclass(frozen=True)
class Deadline:
    """A due date for the calendar attachment."""

    uid: str
    summary: str
    day: date
    url: str


def calendar(deadlines: Sequence[Deadline], stamp: datetime) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//reminders//recertification deadlines//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    for deadline in deadlines:
        event = Event()
        event.add("uid", deadline.uid)
        event.add("dtstamp", stamp)
        event.add("summary", deadline.summary)
        event.add("dtstart", deadline.day)
        event.add("dtend", deadline.day + timedelta(days=1))
        event.add("url", deadline.url)
        for days in (30, 7):
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"{deadline.summary} in {days} days")
            alarm.add("trigger", timedelta(days=-days))
            event.add_component(alarm)
        cal.add_component(event)
    return bytes(cal.to_ical())


@dataclass(frozen=True)
class Envelope:
    sender: str
    recipient: str
    data: bytes


def build(
    rendered: Rendered,
    *,
    mail_from: str,
    to_name: str,
    to_address: str,
    keys: Sequence[str],
    unsubscribe_url: str,
    now: datetime,
    deadlines: Sequence[Deadline] = (),
) -> Envelope:
    sender_name, sender = parseaddr(mail_from)
    domain = sender.rsplit("@", 1)[-1]
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText(rendered.text, "plain", UTF8_QP))  # type: ignore[arg-type]
    alternative.attach(MIMEText(rendered.html, "html", UTF8_QP))  # type: ignore[arg-type]
    root: MIMEMultipart = alternative
    if deadlines:
        root = MIMEMultipart("mixed")
        root.attach(alternative)
        ics = MIMEBase("text", "calendar", method="PUBLISH", charset="utf-8")
        ics.set_payload(calendar(deadlines, now).decode("utf-8"), "utf-8")
        ics.add_header("Content-Disposition", "attachment", filename="deadlines.ics")
        root.attach(ics)
    Address(addr_spec=_header(to_address))  # raises on what a mail address cannot be
    root["From"] = formataddr((_header(sender_name), _header(sender)), charset="utf-8")
    root["To"] = formataddr((_header(to_name), to_address), charset="utf-8")
    subject = _header(rendered.subject)
    root["Subject"] = subject if subject.isascii() else Header(subject, "utf-8").encode()
    root["Date"] = format_datetime(now)
    root["Message-ID"] = message_id(keys, domain)
    root["List-Unsubscribe"] = f"<{_header(unsubscribe_url)}>"
    root["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    root["Auto-Submitted"] = "auto-generated"
    data = root.as_bytes(policy=WIRE)
    return Envelope(sender, to_address, data)
