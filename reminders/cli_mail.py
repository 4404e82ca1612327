"""The operators' commands for mail: the mail log (`mail log`, `mail show`), the outbox at a
glance (`outbox`), and the suppression list (`suppression list`, `suppression remove`).

"Did Priya get her overdue notice?" is `reminders mail log --holder h-003`."""

from __future__ import annotations

import csv
import getpass
import json
import sys
from datetime import UTC, datetime

import click

from reminders.cliutil import DAY, console, current_app, terminal_table, whole
from reminders.db import maillog
from reminders.errors import BadInput
from reminders.mail.message import read_copy

COLUMNS = (
    "id", "created_at", "kind", "to", "holder_id", "name", "about", "state", "attempts",
    "sent_at", "finished_at", "next_attempt_at", "last_error", "reason",
)  # fmt: skip


def _moment(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _iso(value: datetime) -> str:
    """For programs: ISO 8601 in UTC."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _row(item: maillog.Logged) -> dict[str, object]:
    values = {name: getattr(item, name, None) for name in COLUMNS if name != "to"}
    values["to"] = item.to
    for name in ("created_at", "sent_at", "finished_at", "next_attempt_at"):
        moment = getattr(item, name)
        values[name] = None if moment is None else _iso(moment)
    values["notices"] = [
        {"body": n.body, "kind": n.kind, "rung": n.rung, "cycle_end": n.cycle_end.isoformat(),
         "state": n.state}
        for n in item.notices
    ]  # fmt: skip
    return {name: values[name] for name in (*COLUMNS, "notices")}


def _why(item: maillog.Logged) -> str:
    """The last word on a message: why the service did not send it, or the server's answer."""
    if item.reason:
        return item.reason
    if item.last_error and item.state in ("retrying", "failed"):
        return item.last_error
    if item.state == "retrying" and item.next_attempt_at is not None:
        return f"next try {_moment(item.next_attempt_at)}"
    return ""


@click.group()
def mail() -> None:
    """The mail log: every message the outbox queued, sent, retried, failed, cancelled or let
    expire, and every sign-in link mailed, for whom and why."""


@mail.command("log")
@click.option("--holder", "holder_id", metavar="ID", help="A holder's mail, and leads' copies.")
@click.option("--to", metavar="ADDRESS", help="Mail to this address (any case).")
@click.option("--status", type=click.Choice(maillog.STATES), help="Only messages in this state.")
@click.option("--since", type=DAY, help="Queued on or after this day (UTC).")
@click.option("--limit", default=100, show_default=True, help="The newest this many.")
@click.option(
    "--format", "output", type=click.Choice(["table", "json", "csv"]), default="table",
    show_default=True,
)  # fmt: skip
def log(
    holder_id: str | None,
    to: str | None,
    status: str | None,
    since: datetime | None,
    limit: int,
    output: str,
) -> None:
    """The newest messages first: what each carries, its state, tries and timestamps, the mail
    server's last answer, and why one was cancelled or expired."""
    app = current_app()
    since_utc = since.replace(tzinfo=UTC) if since else None
    with app.ready_engine().connect() as connection:
        found = maillog.messages(connection, holder_id, to, status, since_utc, limit)
    if output == "json":
        json.dump([_row(item) for item in found], sys.stdout, indent=1, default=str)
        sys.stdout.write("\n")
        return
    if output == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(COLUMNS)
        for item in found:
            writer.writerow(["" if v is None else v for v in list(_row(item).values())[:-1]])
        return
    out = console()
    if not found:
        out.print("no message matches")
        return
    table = terminal_table("id", "queued (UTC)", "to", "what", "state", "tries", "when (UTC)",
                           whole("why"))  # fmt: skip
    for item in found:
        who = f"{item.name} ({item.holder_id})" if item.holder_id else item.to
        when = _moment(item.sent_at or item.finished_at)
        table.add_row(str(item.id), _moment(item.created_at), who, f"{item.kind}: {item.about}",
                      item.state, str(item.attempts), when, _why(item))  # fmt: skip
    out.print(table)


@mail.command("show")
@click.argument("message", type=int)
def show(message: int) -> None:
    """One message: its log entry, then its headers and text part as they were sent."""
    app = current_app()
    with app.ready_engine().connect() as connection:
        found = maillog.messages(connection, ids=[message])
        copy = maillog.copy_of(connection, message)
    if not found:
        raise BadInput(f"no message {message}")
    item = found[0]
    lines = [
        f"message {item.id}: {item.kind} to {item.to}, {item.state}",
        f"queued {_moment(item.created_at)} UTC, {item.attempts} tr{'y' if item.attempts == 1 else 'ies'}"
        + (f", sent {_moment(item.sent_at)} UTC" if item.sent_at else "")
        + (f", finished {_moment(item.finished_at)} UTC" if item.finished_at else ""),
    ]
    if item.holder_id:
        lines.append(f"for {item.name} ({item.holder_id})")
    lines += [f"carries: {item.about}"] if item.about else []
    lines += [
        f"  {n.body} {n.kind} {n.rung} (cycle {n.cycle_end}): {n.state}" for n in item.notices
    ]
    if item.reason:
        lines.append(f"why not sent: {item.reason}")
    if item.last_error:
        lines.append(f"mail server's last answer: {item.last_error}")
    click.echo("\n".join(lines))
    if copy is None:
        click.echo(
            "\n(no copy: only what was sent is kept, and only since version 0015 of the schema)"
        )
        return
    click.echo("\n--- as sent (the links' tokens left out) ---")
    click.echo(read_copy(copy).rstrip("\n"))


@click.command()
def outbox() -> None:
    """The outbox at a glance: messages by state, and how long the oldest has waited."""
    app = current_app()
    with app.ready_engine().connect() as connection:
        state = maillog.outbox_state(connection)
    click.echo(", ".join(f"{number} {name}" for name, number in state.counts.items()))
    if state.oldest_waiting is None:
        click.echo("nothing is waiting")
        return
    waited = app.now() - state.oldest_waiting.astimezone(UTC)
    hours = waited.total_seconds() / 3600
    click.echo(
        f"oldest waiting: queued {_moment(state.oldest_waiting)} UTC ({hours:.1f} hours ago)"
    )
    if state.next_attempt is not None:
        click.echo(f"next retry: {_moment(state.next_attempt)} UTC")


@click.group()
def suppression() -> None:
    """Addresses no mail goes to: refused for good by the mail server, bouncing, or whose owner
    reported our mail as spam."""


@suppression.command("list")
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table",
              show_default=True)  # fmt: skip
def list_(output: str) -> None:
    """Every suppressed address, the newest first, with why."""
    app = current_app()
    with app.ready_engine().connect() as connection:
        found = maillog.suppressions(connection)
    if output == "json":
        rows = [{"email": s.email, "kind": s.kind, "reason": s.reason,
                 "since": _iso(s.created_at)} for s in found]  # fmt: skip
        json.dump(rows, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    out = console()
    if not found:
        out.print("no address is suppressed")
        return
    table = terminal_table(whole("address"), "kind", "since (UTC)", whole("reason"))
    for s in found:
        table.add_row(s.email, s.kind, _moment(s.created_at), s.reason)
    out.print(table)


@suppression.command("remove")
@click.argument("address")
@click.option("--why", required=True, help="Why it is lifted, for the audit log.")
@click.option("--by", "actor", help="Who lifts it (default: the user running the command).")
def remove(address: str, why: str, actor: str | None) -> None:
    """Lift a suppression: mail goes to ADDRESS again. Recorded in the audit log with who and
    why. A complaint (spam report) is lifted only when its owner asked for the mail again."""
    app = current_app()
    who = actor or f"{getpass.getuser()} (command line)"
    with app.ready_engine().begin() as connection:
        lifted = maillog.lift(connection, address, who, why, app.now())
    if not lifted:
        raise BadInput(f"{address} is not suppressed")
    click.echo(f"lifted the suppression of {address}; recorded as done by {who}: {why}")
