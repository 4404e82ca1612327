"""An alert as a mail: rendered from the templates, with an unsubscribe link that stops this
subscription's alerts and leaves its digest."""

from __future__ import annotations

from datetime import datetime

from reminders.alerts.content import Alert
from reminders.db.digests import Subscriber
from reminders.links import alert_list, unsubscribe_url
from reminders.mail.message import Envelope, build
from reminders.mail.policy import MailSettings
from reminders.mail.render import Rendered, Renderer


def compose(
    renderer: Renderer,
    mail: MailSettings,
    subscriber: Subscriber,
    key: str,
    alert: Alert,
    interval_minutes: int,
    now: datetime,
) -> tuple[Rendered, Envelope]:
    address = subscriber.email
    unsubscribe = unsubscribe_url(
        mail.base_url, mail.secret, address, alert_list(subscriber.id), now
    )
    rendered = renderer.render_alert(
        alert, address, subscriber.alerts, subscriber.frequency, interval_minutes, unsubscribe
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
    )
    return rendered, envelope
