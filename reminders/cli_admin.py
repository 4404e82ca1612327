"""`reminders admin`: the operators' sign-in tokens for the /admin page."""

from __future__ import annotations

import getpass

import click

from reminders.cliutil import console, current_app, terminal_table, whole
from reminders.db import maillog, operators, sessions
from reminders.errors import BadInput

SESSION_KIND = "admin"


@click.group()
def admin() -> None:
    """The operators' page, /admin: who may sign in to it.

    An operator signs in with a token made here, or with a link mailed to an address listed
    in REMINDERS_ADMIN_EMAILS."""


@admin.group()
def token() -> None:
    """Sign-in tokens for /admin: made, listed, revoked."""


def _by() -> str:
    return f"{getpass.getuser()} (command line)"


@token.command("create")
@click.option("--label", required=True, help="Whose token it is, or what for (shown in lists).")
def create(label: str) -> None:
    """Make a token and print it, once: only its hash is kept. Whoever holds it can sign in
    to /admin until it is revoked."""
    app = current_app()
    now = app.now()
    with app.ready_engine().begin() as connection:
        token_id, secret = operators.create_token(connection, label.strip(), now)
        maillog.audit(connection, _by(), "admin.token.create", f"token {token_id}", label, now)
    click.echo(f"operator token {token_id} ({label.strip()}); it is shown only this once:")
    click.echo(secret)


@token.command("list")
def list_() -> None:
    """Every token: id, first characters, label, made, revoked."""
    app = current_app()
    with app.ready_engine().connect() as connection:
        found = operators.tokens(connection)
    if not found:
        click.echo("no operator token (make one: reminders admin token create --label NAME)")
        return
    table = terminal_table("id", "starts with", whole("label"), "created (UTC)", "revoked (UTC)")
    for line in found:
        revoked = line.revoked_at.strftime("%Y-%m-%d %H:%M") if line.revoked_at else "-"
        table.add_row(str(line.id), line.prefix + "…", line.label,
                      line.created_at.strftime("%Y-%m-%d %H:%M"), revoked)  # fmt: skip
    console().print(table)


@token.command("revoke")
@click.argument("token_id", metavar="ID", type=int)
def revoke(token_id: int) -> None:
    """Revoke a token: it signs in no more, and the sessions it opened end now."""
    app = current_app()
    now = app.now()
    with app.ready_engine().begin() as connection:
        if not operators.revoke_token(connection, token_id, now):
            raise BadInput(
                f"there is no active operator token {token_id} (see `reminders admin token list`)"
            )
        ended = sessions.end_all(connection, SESSION_KIND, operators.actor(token_id))
        maillog.audit(connection, _by(), "admin.token.revoke", f"token {token_id}",
                      f"{ended} session(s) ended", now)  # fmt: skip
    click.echo(f"revoked operator token {token_id}; {ended} session(s) signed out")
