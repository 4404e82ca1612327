"""`reminders org webhook`: an organisation's endpoints for its events (Slack, Teams or JSON), and
`reminders webhooks` to queue and post what is due once, as the daemon does."""

from __future__ import annotations

from datetime import datetime

import click

from reminders.cli_digests import ROW_ID, org_pk_of
from reminders.cliutil import DAY, console, current_app, terminal_table, whole
from reminders.db import webhooks as store
from reminders.errors import BadInput
from reminders.webhooks import signing
from reminders.webhooks.address import Refused, check_url
from reminders.webhooks.payloads import FORMATS
from reminders.webhooks.service import WebhookSender, queue_webhooks


@click.group("webhook")
def webhook() -> None:
    """Endpoints an organisation's events are posted to: a member who turned behind near a
    deadline, overdue or lapsed (the events its alerts tell)."""


@webhook.command("add")
@click.argument("org_name", metavar="ORG")
@click.argument("url")
@click.option("--format", "form", type=click.Choice(FORMATS), default="json", show_default=True,
              help="slack or teams: an incoming webhook's URL; json: your own receiver.")  # fmt: skip
def webhook_add(org_name: str, url: str, form: str) -> None:
    """Post ORG's events to URL (https; no private or loopback address unless
    REMINDERS_WEBHOOK_ALLOW_PRIVATE). Prints the endpoint's signing secret, once."""
    app = current_app()
    org_pk = org_pk_of(app, org_name)
    rules = app.webhook_rules()
    try:
        checked = check_url(url, rules.allow_private)
    except Refused as exc:
        raise BadInput(f"{url}: {exc}") from exc
    secret = signing.new_secret()
    with app.ready_engine().begin() as connection:
        pk = store.add(
            connection, org_pk, checked, form, signing.seal(rules.key, secret), app.now()
        )
    click.echo(f"added webhook {pk} of {org_name}: {form} to {checked}")
    click.echo(f"each request is signed in its {signing.HEADER} header with this secret, shown "
               "once (README, Webhooks):")  # fmt: skip
    click.echo(secret)


@webhook.command("list")
@click.argument("org_name", metavar="ORG")
def webhook_list(org_name: str) -> None:
    """ORG's endpoints and their state."""
    app = current_app()
    org_pk = org_pk_of(app, org_name)
    with app.ready_engine().connect() as connection:
        found = store.endpoints(connection, org_pk)
    table = terminal_table("id", "format", whole("url"), whole("state"))
    for hook in found:
        state = hook.state
        if hook.disabled_at is not None:
            state += f" {hook.disabled_at:%Y-%m-%d}: {hook.disabled_reason}"
        elif hook.failing_since is not None:
            state += f" since {hook.failing_since:%Y-%m-%d %H:%M} UTC"
        table.add_row(str(hook.id), hook.format, hook.url, state)
    console().print(table)


def _change(org_name: str, webhook_id: int, what: str) -> None:
    app = current_app()
    org_pk = org_pk_of(app, org_name)
    with app.ready_engine().begin() as connection:
        if what == "remove":
            done = store.remove(connection, org_pk, webhook_id)
        else:
            done = store.enable(connection, org_pk, webhook_id)
    if not done:
        raise BadInput(f"{org_name} has no webhook {webhook_id} (see `reminders org webhook list`)")
    past = {"remove": "removed", "enable": "enabled, from the events after now"}[what]
    click.echo(f"webhook {webhook_id} {past}")


@webhook.command("remove")
@click.argument("org_name", metavar="ORG")
@click.argument("webhook_id", metavar="ID", type=ROW_ID)
def webhook_remove(org_name: str, webhook_id: int) -> None:
    """Stop posting to an endpoint, and forget its deliveries."""
    _change(org_name, webhook_id, "remove")


@webhook.command("enable")
@click.argument("org_name", metavar="ORG")
@click.argument("webhook_id", metavar="ID", type=ROW_ID)
def webhook_enable(org_name: str, webhook_id: int) -> None:
    """Post to an endpoint that was disabled for failing again (from the events after now)."""
    _change(org_name, webhook_id, "enable")


@webhook.command("log")
@click.argument("org_name", metavar="ORG")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
def webhook_log(org_name: str, limit: int) -> None:
    """ORG's deliveries, the newest first: when, where, how many events, what came back."""
    app = current_app()
    org_pk = org_pk_of(app, org_name)
    with app.ready_engine().connect() as connection:
        found = store.log(connection, org_pk, limit)
    table = terminal_table("delivery", "hook", "queued", "state", "tries", "events",
                           whole("answer"))  # fmt: skip
    for row in found:
        answer = row.last_error or (f"HTTP {row.last_status}" if row.last_status else "")
        table.add_row(f"whd_{row.id}", str(row.webhook), f"{row.created_at:%Y-%m-%d %H:%M}",
                      row.state, str(row.attempts), str(row.events), answer)  # fmt: skip
    console().print(table)


@click.command("webhooks")
@click.option(
    "--as-of", "as_of", type=DAY, help="Check the events as of this day (default: today)."
)
def webhooks(as_of: datetime | None) -> None:
    """Queue the new events of every endpoint and post what is due, once (the daemon does this
    after each detection and retries on its delivery schedule). `reminders alerts` detects."""
    app = current_app()
    day = as_of.date() if as_of else app.today()
    engine = app.ready_engine()
    added = queue_webhooks(engine, app.now())
    sender = WebhookSender(engine, app.rulebook, app.webhook_rules(), app.now)
    try:
        report = sender.deliver_due(day)
    finally:
        sender.close()
    click.echo(f"queued {added} event{'s' if added != 1 else ''}; posted {report.sent}, "
               f"{report.retried} to retry, {report.failed} failed, {report.cancelled} cancelled")  # fmt: skip
    for line in report.disabled:
        click.echo(f"reminders: warning: webhook disabled: {line}", err=True)
