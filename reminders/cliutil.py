"""What every command module of the command line shares."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Column, Table
from sqlalchemy import Engine, func, select

from reminders.app import App
from reminders.db.models import Holder

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
def progress_bar(counting: bool = False) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar on stderr at a terminal (none when piped or logged): `update(name,
    done, total)`. In bytes (an import's files), or `counting` things (holders)."""
    if not sys.stderr.isatty():
        yield None
        return
    amount = MofNCompleteColumn() if counting else DownloadColumn()
    columns = (TextColumn("{task.description}"), BarColumn(), amount, TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, object] = {}

        def update(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done)  # type: ignore[arg-type]

        yield update


BAR_FROM = 2_000
"""Holders from which plan, status and send show a progress bar (a few seconds' work)."""


@contextmanager
def holders_bar(engine: Engine, name: str) -> Iterator[Callable[[int], None] | None]:
    """A progress bar over every holder, told how many have been read: when there are at least
    BAR_FROM of them and stderr is a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(Holder)).scalar_one()
    if total < BAR_FROM:
        yield None
        return
    with progress_bar(counting=True) as update:
        if update is None:
            yield None
            return

        def read(done: int) -> None:
            update(name, done, total)

        yield read
