"""The employer side of the command line: organisations, digest subscriptions, and
`reminders digest` to queue, send or preview the digests."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path

import click

from reminders.app import App
from reminders.cliutil import DAY, console, current_app, terminal_table, whole
from reminders.db import apikeys, orgs, outbox
from reminders.db import digests as store
from reminders.db.base import NAME_LENGTH
from reminders.digests.content import load_lines
from reminders.digests.mail import compose
from reminders.digests.service import current_digests, queue_digests, scope_lines
from reminders.errors import BadInput
from reminders.imports import fields
from reminders.imports.kinds import ALERTS, FREQUENCIES
from reminders.notices.delivery import Deliverer

ROW_ID = click.IntRange(1, 2**31 - 1)  # what the id columns hold on both databases


@click.group()
def org() -> None:
    """Organisations: their teams, members and digest subscriptions."""


@org.command("create")
@click.argument("name")
def org_create(name: str) -> None:
    """Create an organisation (or find the one of that name) and print a new API key for it.

    The key is shown once, alone on the last line: only a hash of it is kept."""
    app = current_app()
    try:
        name = fields.text(name, NAME_LENGTH)
    except fields.FieldError as exc:
        raise BadInput(f"organisation name {exc}") from exc
    with app.ready_engine().begin() as connection:
        org_pk, new = apikeys.ensure_org(connection, name)
        key_id, key = apikeys.create(connection, org_pk, app.now())
    click.echo(f"{'created' if new else 'found'} organisation {name!r}; API key {key_id}:")
    click.echo(key)


@org.command("keys")
@click.argument("name")
def org_keys(name: str) -> None:
    """An organisation's API keys: id, first characters, made, revoked."""
    app = current_app()
    org_pk = org_pk_of(app, name)
    with app.ready_engine().connect() as connection:
        keys = apikeys.listed(connection, org_pk)
    table = terminal_table("id", "starts with", "created", "revoked")
    for key in keys:
        revoked = key.revoked_at.strftime("%Y-%m-%d %H:%M") if key.revoked_at else "-"
        table.add_row(
            str(key.id), key.prefix + "…", key.created_at.strftime("%Y-%m-%d %H:%M"), revoked
        )
    console().print(table)


@org.command("rotate-key")
@click.argument("name")
@click.argument("key_id", metavar="KEY_ID", type=ROW_ID)
def org_rotate_key(name: str, key_id: int) -> None:
    """Replace key KEY_ID: print a new key and revoke the old one, in one step."""
    app = current_app()
    org_pk = org_pk_of(app, name)
    with app.ready_engine().begin() as connection:
        if not apikeys.revoke(connection, org_pk, key_id, app.now()):
            raise BadInput(f"{name!r} has no active API key {key_id} (see `reminders org keys`)")
        new_id, key = apikeys.create(connection, org_pk, app.now())
    click.echo(f"revoked API key {key_id}; new API key {new_id}:")
    click.echo(key)


@org.command("revoke-key")
@click.argument("name")
@click.argument("key_id", metavar="KEY_ID", type=ROW_ID)
def org_revoke_key(name: str, key_id: int) -> None:
    """Revoke key KEY_ID at once: requests with it get 401 from then on."""
    app = current_app()
    org_pk = org_pk_of(app, name)
    with app.ready_engine().begin() as connection:
        if not apikeys.revoke(connection, org_pk, key_id, app.now()):
            raise BadInput(f"{name!r} has no active API key {key_id} (see `reminders org keys`)")
    click.echo(f"revoked API key {key_id}")


@org.command("list")
def org_list() -> None:
    """Every organisation, with how many teams, members and subscriptions it has."""
    app = current_app()
    with app.ready_engine().connect() as connection:
        lines = orgs.organisations(connection)
    if not lines:
        click.echo("no organisations yet: import teams.csv to add some")
        return
    table = terminal_table("organisation", "teams", "members", "subscriptions")
    for line in lines:
        table.add_row(line.name, str(line.teams), str(line.members), str(line.subscriptions))
    console().print(table)


def org_pk_of(app: App, name: str) -> int:
    with app.ready_engine().connect() as connection:
        found = orgs.find(connection, name)
    if found is None:
        raise BadInput(f"no organisation {name!r} (see `reminders org list`)")
    return found


@org.command("show")
@click.argument("name")
def org_show(name: str) -> None:
    """An organisation's teams and digest subscriptions."""
    app = current_app()
    org_pk = org_pk_of(app, name)
    with app.ready_engine().connect() as connection:
        teams = orgs.teams(connection, org_pk)
        subscribers = store.subscribers(connection, org_pk=org_pk)
        last = orgs.last_digests(connection, [s.id for s in subscribers])
    out = console()
    out.print(f"{name}: {len(teams)} team{'s' if len(teams) != 1 else ''}", highlight=False)
    table = terminal_table("team", "members")
    for _, team, members in teams:
        table.add_row(team, str(members))
    out.print(table)
    if not subscribers:
        out.print("no digest subscriptions")
        return
    subs = terminal_table(
        "id",
        whole("scope"),
        whole("e-mail"),
        "frequency",
        whole("time zone"),
        "state",
        "last digest",
    )
    for s in subscribers:
        period, state = last.get(s.id, ("-", ""))
        subs.add_row(
            str(s.id),
            s.team or "(whole organisation)",
            s.email,
            _frequency(s),
            s.timezone or f"{app.settings.timezone} (default)",
            "paused" if s.paused else "active",
            f"{period} {state}".strip(),
        )
    out.print(subs)


def _frequency(s: store.Subscriber) -> str:
    """The digest's frequency, and the alerts under it when there are any."""
    return s.frequency if s.alerts == "none" else f"{s.frequency}\n+ {s.alerts}\n  alerts"


@click.group()
def subscription() -> None:
    """Employer digest subscriptions: add, list, pause, resume, remove."""


@subscription.command("add")
@click.argument("org_name", metavar="ORG")
@click.argument("email")
@click.option("--team", help="One team of the organisation (default: the whole organisation).")
@click.option("--frequency", type=click.Choice(FREQUENCIES), default="weekly", show_default=True)
@click.option("--timezone", help="The subscriber's IANA time zone (default: REMINDERS_TIMEZONE).")
@click.option(
    "--alerts",
    "alert_mode",
    type=click.Choice(ALERTS),
    help="Alerts when a member turns behind near a deadline, overdue or lapsed: none, daily "
    "(08:00 local), or immediate (at most one mail every REMINDERS_ALERT_INTERVAL_MINUTES). "
    "New subscriptions: none; adding one again keeps its choice unless given.",
)
def subscription_add(
    org_name: str,
    email: str,
    team: str | None,
    frequency: str,
    timezone: str | None,
    alert_mode: str | None,
) -> None:
    """Subscribe EMAIL to the digest of ORG (or of one of its teams). Adding it again changes
    its frequency, time zone and alerts, and resumes it."""
    app = current_app()
    try:
        address = fields.email(email)
        zone = fields.timezone(timezone or "")
    except fields.FieldError as exc:
        raise BadInput(f"{'email' if 'e-mail' in str(exc) else 'timezone'}: {exc}") from exc
    org_pk = org_pk_of(app, org_name)
    with app.ready_engine().begin() as connection:
        team_pk = None
        if team is not None:
            team_pk = orgs.team(connection, org_pk, team)
            if team_pk is None:
                raise BadInput(f"organisation {org_name!r} has no team {team!r}")
        pk, new = orgs.subscribe(connection, org_pk, team_pk, address, frequency, zone, alert_mode)
        mode = store.subscribers(connection, pk)[0].alerts
    scope = org_name if team is None else f"{org_name}, {team}"
    verb = "added" if new else "updated"
    told = "" if mode == "none" else f", with {mode} alerts"
    click.echo(f"{verb} subscription {pk}: {address} gets the {frequency} digest of {scope}{told}")


@subscription.command("list")
@click.option("--org", "org_name", metavar="ORG", help="Only this organisation's.")
def subscription_list(org_name: str | None) -> None:
    """Every subscription (or one organisation's)."""
    app = current_app()
    org_pk = org_pk_of(app, org_name) if org_name is not None else None
    with app.ready_engine().connect() as connection:
        subscribers = store.subscribers(connection, org_pk=org_pk)
    table = terminal_table(
        "id", whole("scope"), whole("e-mail"), "frequency", whole("time zone"), "state"
    )
    for s in subscribers:
        table.add_row(
            str(s.id),
            s.scope,
            s.email,
            _frequency(s),
            s.timezone or "(default)",
            "paused" if s.paused else "active",
        )
    console().print(table)


def _change(subscription_id: int, what: str) -> None:
    app = current_app()
    with app.ready_engine().begin() as connection:
        if what == "remove":
            done = orgs.unsubscribe(connection, subscription_id, app.now())
        else:
            done = orgs.set_paused(connection, subscription_id, what == "pause", app.now())
    if not done:
        raise BadInput(f"no subscription {subscription_id} (see `reminders subscription list`)")
    past = {"pause": "paused", "resume": "resumed", "remove": "removed"}[what]
    click.echo(f"subscription {subscription_id} {past}")


@subscription.command("pause")
@click.argument("subscription_id", metavar="ID", type=ROW_ID)
def subscription_pause(subscription_id: int) -> None:
    """Stop sending a digest for now (its digests not yet sent are cancelled)."""
    _change(subscription_id, "pause")


@subscription.command("resume")
@click.argument("subscription_id", metavar="ID", type=ROW_ID)
def subscription_resume(subscription_id: int) -> None:
    """Send a paused digest again, from its next period."""
    _change(subscription_id, "resume")


@subscription.command("remove")
@click.argument("subscription_id", metavar="ID", type=ROW_ID)
def subscription_remove(subscription_id: int) -> None:
    """Remove a subscription and the history of its digests."""
    _change(subscription_id, "remove")


@click.command()
@click.option("--as-of", "as_of", type=DAY, help="The digests due as of this day (default: now).")
@click.option("--subscription", "subscription_id", metavar="ID", type=ROW_ID, help="Only this one.")
@click.option(
    "--preview",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Render the current digests to DIR (.eml, .html, .csv) instead; writes nothing else.",
)
def digest(as_of: datetime | None, subscription_id: int | None, preview: Path | None) -> None:
    """Queue the employer digests due and deliver them, or render them to files.

    A digest is due once 08:00 has passed on its day (Monday, or the 1st) in the subscriber's
    time zone; each subscription gets one per period, and only its newest period's."""
    app = current_app()
    day = as_of.date() if as_of else app.as_of
    engine = app.ready_engine()
    if subscription_id is not None:
        with engine.connect() as connection:
            found = store.subscribers(connection, subscription_id)
        if not found:
            raise BadInput(f"no subscription {subscription_id} (see `reminders subscription list`)")
        if found[0].paused and preview is None:
            raise BadInput(
                f"subscription {subscription_id} is paused: "
                f"`reminders subscription resume {subscription_id}` first"
            )
    if preview is not None:
        _preview(app, day, subscription_id, preview)
        return
    mail, smtp = app.mail(), app.smtp()
    queued = queue_digests(
        engine, app.rulebook, app.now(), app.settings.timezone, day, subscription_id
    )
    deliverer = Deliverer(engine, app.rulebook, app.ladder, app.renderer, smtp, mail, app.now)
    report = asyncio.run(deliverer.deliver_due(day or app.today()))
    with engine.connect() as connection:
        waiting = outbox.pending(connection)
    for item in queued:
        click.echo(f"queued digest {item.key} for {item.subscriber.email}")
    click.echo(
        f"queued {len(queued)} digest{'s' if len(queued) != 1 else ''}; sent {report.sent} "
        f"message{'s' if report.sent != 1 else ''}, {report.retried} to retry, "
        f"{report.failed} failed; {waiting} waiting"
    )
    for error in report.errors:
        click.echo(f"reminders: warning: {error}", err=True)


def _preview(app: App, day: date | None, subscription_id: int | None, out: Path) -> None:
    mail = app.mail(preview=True)
    now = app.now()
    with app.ready_engine().connect() as connection:
        current = current_digests(
            connection,
            now,
            app.settings.timezone,
            day,
            subscription_id,
            include_paused=True,
        )
        if not current:
            raise BadInput("no digest subscriptions (see `reminders subscription add`)")
        out.mkdir(parents=True, exist_ok=True)
        for item in current:
            lines = list(scope_lines(connection, app.rulebook, item.subscriber, item.as_of))
            last = store.last_sent(connection, item.subscriber.id, item.period.label, item.as_of)
            previous = None if last is None else load_lines(last.shown)
            composed = compose(
                app.renderer,
                mail,
                item.subscriber,
                item.key,
                item.period.label,
                item.as_of,
                lines,
                previous,
                now,
                None if last is None else last.period,
            )
            stem = out / f"digest-{item.subscriber.id}-{item.period.label}"
            files = {
                stem.with_suffix(".eml"): composed.envelope.data,
                stem.with_suffix(".html"): composed.rendered.html.encode("utf-8"),
                stem.with_suffix(".csv"): composed.csv.data,
            }
            for path, data in files.items():
                path.write_bytes(data)
                click.echo(path)
