"""The `reminders` command line (docs: interfaces.md, "Command line").

Exit status 0 on success, 2 on bad input or usage, 1 on any other failure; every error is one
line on stderr, starting with `reminders:`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

import click
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from reminders import __version__
from reminders.app import App
from reminders.errors import BadInput, ReminderError
from reminders.settings import SettingsError, load_settings

COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("reminders.cli_data", "init"),
    "import": ("reminders.cli_data", "import_"),
    "show": ("reminders.cli_data", "show"),
    "status": ("reminders.cli_notices", "status"),
    "plan": ("reminders.cli_notices", "plan_"),
    "send": ("reminders.cli_notices", "send"),
    "preview": ("reminders.cli_notices", "preview"),
    "gallery": ("reminders.cli_notices", "gallery"),
    "tick": ("reminders.cli_tick", "tick"),
    "simulate": ("reminders.cli_simulate", "simulate"),
    "mail": ("reminders.cli_mail", "mail"),
    "outbox": ("reminders.cli_mail", "outbox"),
    "suppression": ("reminders.cli_mail", "suppression"),
    "org": ("reminders.cli", "_org"),
    "subscription": ("reminders.cli_digests", "subscription"),
    "digest": ("reminders.cli_digests", "digest"),
    "alerts": ("reminders.cli_alerts", "alerts"),
    "webhooks": ("reminders.cli_webhooks", "webhooks"),
    "bounces": ("reminders.cli_bounces", "bounces"),
    "admin": ("reminders.cli_admin", "admin"),
    "run": ("reminders.cli_service", "run"),
    "web": ("reminders.cli_service", "web"),
    "check": ("reminders.cli_service", "check"),
    "catcher": ("reminders.cli_service", "catcher"),
}
"""Each command's module and name. A command's module is imported when the command is run
(or --help lists them all): importing every module (the web server, the daemon, the mail
catcher) for every command took about a third of a command's start."""


def _org() -> click.Group:
    """`reminders org`, with the subcommands other modules add to it."""
    from reminders.cli_digests import org
    from reminders.cli_leads import lead, org_set
    from reminders.cli_webhooks import webhook

    for command in (org_set, lead, webhook):
        org.add_command(command)
    return org


class LazyGroup(click.Group):
    """A group whose commands (COMMANDS) are imported when asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in COMMANDS:
            return found
        module, name = COMMANDS[cmd_name]
        found = getattr(importlib.import_module(module), name)
        command: click.Command = found if isinstance(found, click.Command) else found()
        self.add_command(command, cmd_name)  # (found() puts a group together: _org)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
