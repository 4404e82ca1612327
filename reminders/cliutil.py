"""What every command module of the command line shares."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from rich import box
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Column, Table

from reminders.app import App

DAY = click.DateTime(formats=["%Y-%m-%d"])


def current_app() -> App:
    app = click.get_current_context().find_object(App)
    assert app is not None
    return app


def console() -> Console:
    # Rich assumes 80 columns when output is not a terminal; a pipe or a log file has room
    # (COLUMNS, when set, says how much).
    if sys.stdout.isatty():
        return Console()
    columns = os.environ.get("COLUMNS", "")
    return Console(width=int(columns) if columns.isdigit() else 160)


def whole(name: str) -> Column:
    """A column whose values are never cut short (e-mail addresses, time zones): on a narrow
    terminal they fold onto a second line rather than lose their end to an ellipsis."""
    return Column(name, overflow="fold")


def terminal_table(*columns: str | Column) -> Table:
    """A table for the terminal: a rule under the header and no borders, so that six or seven
    columns fit 80 characters without cutting the values short."""
    return Table(*columns, box=box.SIMPLE_HEAD, pad_edge=False)


@contextmanager
def progress_bar() -> Iterator[Callable[[str, int, int], None] | None]:
    if not sys.stderr.isatty():
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, object] = {}

        def update(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done)  # type: ignore[arg-type]

        yield update
