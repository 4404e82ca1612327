"""`reminders simulate`: the daemon's schedule day by day, written nowhere (notices/simulate.py)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime

import click
from sqlalchemy import select

from reminders.cliutil import DAY, console, current_app, terminal_table, whole
from reminders.db.models import Holder
from reminders.errors import BadInput
from reminders.notices.simulate import Simulation


@click.command()
@click.option("--from", "start", type=DAY, help="The first day (default: today).")
@click.option(
    "--days", type=click.IntRange(1, 3660), default=30, show_default=True, help="How many days."
)
@click.option("--holder", "holder_id", metavar="ID", help="Only this holder's notices.")
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def simulate(start: datetime | None, days: int, holder_id: str | None, output: str) -> None:
    """What the daemon would send, day by day, without sending or writing anything: each
    coder's mail and each employer digest, to whom, its subject and why. For checking a
    ladder, a rules change or a new roster before going live."""
    app = current_app()
    first = start.date() if start else app.today()
    settings = app.settings
    with app.ready_engine().connect() as connection:
        if (
            holder_id is not None
            and not connection.execute(
                select(Holder.id).where(Holder.holder_id == holder_id).limit(1)
            ).first()
        ):
            raise BadInput(f"no holder {holder_id!r}")
        simulation = Simulation(
            connection, app.rulebook, app.ladder, app.renderer, settings.daily_cap,
            settings.timezone,
        )  # fmt: skip
        found = list(simulation.run(first, days, holder_id))
        connection.rollback()  # nothing was written; nothing is kept
    if output == "json":
        items = [{**asdict(o), "day": o.day.isoformat(), "why": list(o.why),
                  "notices": list(o.notices)} for o in found]  # fmt: skip
        click.echo(json.dumps(items, indent=2))
        return
    table = terminal_table("day", whole("to"), "what", "subject", "why", "outcome")
    for o in found:
        what = "digest" if o.kind == "digest" else ", ".join(n.split(":")[0] for n in o.notices)
        table.add_row(o.day.isoformat(), o.to, what, o.subject, "\n".join(o.why), o.outcome)
    out = console()
    out.print(table)
    sent = sum(o.outcome == "sent" for o in found)
    out.print(f"{len(found)} mails over {days} days from {first}: {sent} would go out")
