"""The `reminders` command line (docs: interfaces.md, "Command line").

Exit status 0 on success, 2 on bad input or usage, 1 on any other failure; every error is one
line on stderr, starting with `reminders:`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NoReturn

import click
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from reminders import __version__
from reminders.app import App
from reminders.cli_admin import admin
from reminders.cli_alerts import alerts
from reminders.cli_bounces import bounces
from reminders.cli_data import import_, init, show
from reminders.cli_digests import digest, org, subscription
from reminders.cli_leads import lead, org_set
from reminders.cli_mail import mail, outbox, suppression
from reminders.cli_notices import gallery, plan_, preview, send, status
from reminders.cli_service import catcher, check, run, web
from reminders.cli_simulate import simulate
from reminders.cli_tick import tick
from reminders.cli_webhooks import webhook, webhooks
from reminders.errors import BadInput, ReminderError
from reminders.settings import SettingsError, load_settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reminders")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Recertification reminders for medical coders, and compliance digests for employers."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise BadInput(str(exc)) from exc
    app = App(settings)
    ctx.obj = app
    ctx.call_on_close(app.close)


@cli.command()
@click.argument("address")
def fingerprint(address: str) -> None:
    """Print the fingerprint that stands for ADDRESS in the daemon's log (which does not carry
    addresses in clear), to search the log for one person's mail."""
    from reminders.logs import fingerprint as of

    click.echo(of(address))


for command in (init, import_, show, status, plan_, send, preview, gallery, mail, outbox,
                suppression):  # fmt: skip
    cli.add_command(command)
cli.add_command(org)
cli.add_command(run)
cli.add_command(web)
cli.add_command(check)
cli.add_command(catcher)
cli.add_command(subscription)
cli.add_command(digest)
cli.add_command(alerts)
org.add_command(org_set)
org.add_command(lead)
org.add_command(webhook)
cli.add_command(webhooks)
cli.add_command(bounces)
cli.add_command(simulate)
cli.add_command(admin)
cli.add_command(tick)


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"reminders: {message}", err=True)
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    try:
        status = cli.main(args=argv, prog_name="reminders", standalone_mode=False)
    except click.UsageError as exc:
        _fail(f"{exc.format_message()} (see `reminders --help`)", 2)
    except click.Abort:
        _fail("interrupted", 130)
    except ReminderError as exc:
        for line in str(exc).splitlines():
            click.echo(f"reminders: {line}", err=True)
        sys.exit(exc.exit_code)
    except OperationalError as exc:
        _fail(f"cannot use the database: {str(exc.orig).strip().splitlines()[0]}", 1)
    except SQLAlchemyError as exc:
        _fail(f"database error: {str(exc).splitlines()[0]}", 1)
    # Without standalone mode click returns the exit status of --help and --version.
    sys.exit(status if isinstance(status, int) else 0)
