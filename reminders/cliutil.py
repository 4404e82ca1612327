"""What every command module of the command line shares."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from reminders.app import App

DAY = click.DateTime(formats=["%Y-%m-%d"])


def current_app() -> App:
    app = click.get_current_context().find_object(App)
    assert app is not None
    return app


def console() -> Console:
    # Rich assumes 80 columns when output is not a terminal; a pipe or a log file has room.
    return Console() if sys.stdout.isatty() else Console(width=160)
