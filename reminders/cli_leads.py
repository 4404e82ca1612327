"""Escalation on the command line: whether an organisation's team leads get a copy of its
coders' final and overdue notices (`reminders org set`), and who leads each team
(`reminders org lead`)."""

from __future__ import annotations

import click

from reminders.cli_digests import org_pk_of
from reminders.cliutil import console, current_app, terminal_table, whole
from reminders.db import leads, orgs
from reminders.errors import BadInput
from reminders.escalation.policy import POLICIES, WORDS
from reminders.imports import fields


@click.command("set")
@click.argument("name")
@click.option(
    "--escalate",
    type=click.Choice(POLICIES),
    required=True,
    help="Copies for the coders' team leads: off; final (the final reminder before a due date "
    "and every notice after it); overdue (every notice after a missed due date).",
)
def org_set(name: str, escalate: str) -> None:
    """Choose what an organisation's team leads are told of."""
    app = current_app()
    org_pk = org_pk_of(app, name)
    with app.ready_engine().begin() as connection:
        leads.set_escalation(connection, org_pk, escalate)
        count = len([lead for lead in leads.leads(connection, org_pk) if not lead.muted])
    if escalate == "off":
        click.echo(f"{name}: team leads get no copies")
        return
    click.echo(f"{name}: team leads get a copy of {WORDS[escalate]} ({count} lead"
               f"{'s' if count != 1 else ''}; see `reminders org lead list`)")  # fmt: skip


@click.group("lead")
def lead() -> None:
    """Team leads: who gets the copies of a team's escalated notices."""


def _team(name: str, team: str) -> tuple[int, int]:
    app = current_app()
    org_pk = org_pk_of(app, name)
    with app.ready_engine().connect() as connection:
        team_pk = orgs.team(connection, org_pk, team)
    if team_pk is None:
        raise BadInput(f"organisation {name!r} has no team {team!r}")
    return org_pk, team_pk


@lead.command("add")
@click.argument("org_name", metavar="ORG")
@click.argument("team")
@click.argument("email")
@click.option("--name", "full_name", help="How the lead is named to the coders they lead.")
def lead_add(org_name: str, team: str, email: str, full_name: str | None) -> None:
    """Make EMAIL a lead of TEAM (again: update the name, and undo an unsubscribe)."""
    try:
        address = fields.email(email)
    except fields.FieldError as exc:
        raise BadInput(f"email: {exc}") from exc
    _, team_pk = _team(org_name, team)
    with current_app().ready_engine().begin() as connection:
        new = leads.add_lead(connection, team_pk, address, (full_name or "").strip() or None)
        policy = leads.escalation(connection, orgs.find(connection, org_name) or 0)
    click.echo(f"{'added' if new else 'updated'} {address} as a lead of {org_name}, {team}")
    if policy == "off":
        click.echo(f"note: {org_name} escalates nothing yet (`reminders org set "
                   f"{org_name!r} --escalate final`)")  # fmt: skip


@lead.command("remove")
@click.argument("org_name", metavar="ORG")
@click.argument("team")
@click.argument("email")
def lead_remove(org_name: str, team: str, email: str) -> None:
    """Remove EMAIL as a lead of TEAM; copies not yet sent are cancelled."""
    _, team_pk = _team(org_name, team)
    with current_app().ready_engine().begin() as connection:
        if not leads.remove_lead(connection, team_pk, email):
            raise BadInput(f"{email} is not a lead of {org_name}, {team}")
    click.echo(f"removed {email} as a lead of {org_name}, {team}")


@lead.command("list")
@click.argument("org_name", metavar="ORG")
def lead_list(org_name: str) -> None:
    """An organisation's team leads, and what it escalates to them."""
    app = current_app()
    org_pk = org_pk_of(app, org_name)
    with app.ready_engine().connect() as connection:
        policy = leads.escalation(connection, org_pk)
        found = leads.leads(connection, org_pk)
    out = console()
    said = "nothing" if policy == "off" else WORDS[policy]
    out.print(f"{org_name} escalates to team leads: {said} (--escalate {policy})", highlight=False)
    table = terminal_table("team", whole("e-mail"), "name", "state")
    for found_lead in found:
        table.add_row(found_lead.team, found_lead.email, found_lead.name or "",
                      "unsubscribed" if found_lead.muted else "active")  # fmt: skip
    out.print(table)
