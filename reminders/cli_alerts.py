"""`reminders alerts`: what the daemon does for employer alerts, once, by hand or from cron:
record the events of every organisation's members as of a day, queue the alerts due now and
deliver them."""

from __future__ import annotations

import asyncio
from datetime import datetime

import click

from reminders.alerts.service import detect, queue_alerts
from reminders.cliutil import DAY, current_app
from reminders.db import outbox
from reminders.notices.delivery import Deliverer


@click.command()
@click.option(
    "--as-of", "as_of", type=DAY, help="Detect the events as of this day (default: today)."
)
def alerts(as_of: datetime | None) -> None:
    """Detect what employers are alerted to, and queue and deliver the alerts due.

    An event is a member who turned behind pace within REMINDERS_ALERT_BEHIND_DAYS of a
    deadline, overdue or lapsed; each is told once per subscription. An organisation's first
    detection is its baseline: what is true then is in the digest, not in an alert."""
    app = current_app()
    day = as_of.date() if as_of else app.today()
    engine, rules = app.ready_engine(), app.alert_rules()
    found = detect(engine, app.rulebook, day, app.now(), rules)
    queued = queue_alerts(engine, app.now(), app.settings.timezone, rules)
    mail, smtp = app.mail(), app.smtp()
    deliverer = Deliverer(engine, app.rulebook, app.ladder, app.renderer, smtp, mail, app.now)
    report = asyncio.run(deliverer.deliver_due(day))
    with engine.connect() as connection:
        waiting = outbox.pending(connection)
    for item in queued:
        what = item.key or "joined the alert waiting to be sent"
        click.echo(f"{what}: {item.events} event{'s' if item.events != 1 else ''} for "
                   f"{item.subscriber.email}")  # fmt: skip
    click.echo(
        f"{found} new event{'s' if found != 1 else ''}; queued {len(queued)} alert"
        f"{'s' if len(queued) != 1 else ''}; sent {report.sent} message"
        f"{'s' if report.sent != 1 else ''}, {report.retried} to retry, {report.failed} failed; "
        f"{waiting} waiting"
    )
    for error in report.errors:
        click.echo(f"reminders: warning: {error}", err=True)
