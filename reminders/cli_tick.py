"""`reminders tick`: one daily tick, as the daemon's will run it (notices/tick.py)."""

from __future__ import annotations

import time
from datetime import datetime

import click

from reminders.cli_notices import deliver_and_say, left_out
from reminders.cliutil import DAY, current_app
from reminders.errors import ReminderError
from reminders.notices.scan import Split
from reminders.notices.service import remember_scan
from reminders.notices.tick import tick as run_tick


@click.command()
@click.option("--as-of", "as_of", type=DAY, help="Tick as of this day (default: today).")
@click.option("--deliver", is_flag=True, help="Then deliver what is due, as `reminders send`.")
def tick(as_of: datetime | None, deliver: bool) -> None:
    """Queue the notices due as of a day, looking only at the holders whose next review day
    has come (each holder's first day their status or notices can change, written with their
    plan). The full scan runs instead when the index cannot be trusted: built with other
    rules, a ladder or pace settings changed, or a day missed; the line says why.

    Prints the rows of the index read, the holders evaluated, the messages queued and the
    seconds the tick took (without the command's start).
    Delivers nothing unless --deliver.
    """
    app = current_app()
    day = as_of.date() if as_of else app.today()
    if deliver:
        app.mail(), app.smtp()  # a missing key or a bad setting: an error before the scan
    engine = app.ready_engine()
    began = app.now()
    started = time.perf_counter()
    done = run_tick(engine, app.rulebook, app.ladder, day, began,
                    Split.from_settings(app.settings))  # fmt: skip
    took = time.perf_counter() - started
    if done is None:
        raise ReminderError("another instance is scanning right now; try again in a moment")
    remember_scan(engine, "tick" if done.full is None else "full", day, began, app.now(),
                  done.counts)  # fmt: skip
    messages = f"{done.queued} message{'s' if done.queued != 1 else ''} queued in {took:.2f} s"
    if done.full is None:
        said = (f"tick as of {day}: {done.examined} rows of the index read, {done.evaluated} "
                f"holders evaluated, {messages}")  # fmt: skip
    else:
        said = (
            f"full scan as of {day} ({done.full}): {done.evaluated} holders evaluated, {messages}"
        )
    if deliver:
        deliver_and_say(app, engine, day, said)
    else:
        click.echo(said)
    left_out(done.failed)
