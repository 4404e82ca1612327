"""A digest as a mail: rendered from the templates, with the full table attached as CSV and
an unsubscribe link bound to the subscriber's address and this one subscription."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from reminders.db.digests import Subscriber
from reminders.digests.content import Digest, Line, build_digest, csv_bytes
from reminders.digests.schedule import title_of
from reminders.links import digest_list, unsubscribe_url
from reminders.mail.message import Attachment, Envelope, build
from reminders.mail.policy import MailSettings
from reminders.mail.render import Rendered, Renderer


def csv_name(scope: str, day: date) -> str:
    """A name for the CSV that every mail client and file system accepts."""
    stem = "".join(c if c.isascii() and c.isalnum() else "-" for c in scope.lower())
    stem = "-".join(part for part in stem.split("-") if part)[:60] or "digest"
    return f"{stem}-{day.isoformat()}.csv"


@dataclass(frozen=True)
class Composed:
    digest: Digest
    rendered: Rendered
    csv: Attachment
    envelope: Envelope


def compose(
    renderer: Renderer,
    mail: MailSettings,
    subscriber: Subscriber,
    key: str,
    period: str,
    as_of: date,
    lines: Sequence[Line],
    previous: Sequence[Line] | None,
    now: datetime,
    previous_period: str | None = None,
    notes: Sequence[str] = (),
) -> Composed:
    """The digest's message; `previous` is what the digest of `previous_period` (a label)
    showed, which this one tells the changes since."""
    compared = None if previous_period is None else title_of(previous_period)
    content = build_digest(
        subscriber.scope, title_of(period), as_of, lines, previous, compared_with=compared,
        notes=notes,
    )  # fmt: skip
    address = subscriber.email
    unsubscribe = unsubscribe_url(
        mail.base_url, mail.secret, address, digest_list(subscriber.id), now
    )
    rendered = renderer.render_digest(content, address, subscriber.frequency, unsubscribe)
    table = Attachment(
        csv_name(subscriber.scope, as_of),
        'text/csv; charset="utf-8"; header=present',
        csv_bytes(content.lines),
    )
    envelope = build(
        rendered,
        mail_from=mail.mail_from,
        to_name="",
        to_address=address,
        keys=[key],
        unsubscribe_url=unsubscribe,
        unsubscribe_mailto=mail.unsubscribe_mailto,
        now=now,
        attachments=[table],
    )
    return Composed(content, rendered, table, envelope)
