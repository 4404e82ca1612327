"""`reminders bounces`: read what came back after the mail server accepted a message (the
daemon does the same every REMINDERS_BOUNCE_INTERVAL_SECONDS), or take one report a mail
server pipes in."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import click

from reminders.bounces.mailboxes import ImapAddress, Mailboxes, Tally, take_one
from reminders.cliutil import current_app
from reminders.errors import BadInput


@click.group()
def bounces() -> None:
    """Bounces and complaints: the reports that come back to the bounce addresses."""


@bounces.command("read")
@click.option(
    "--maildir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="A Maildir to read (default: REMINDERS_BOUNCE_MAILDIR).",
)
@click.option("--imap", "imap_url", help="imaps://user:password@host/folder to read "
              "(default: REMINDERS_BOUNCE_IMAP_URL).")  # fmt: skip
def bounces_read(maildir: Path | None, imap_url: str | None) -> None:
    """Read every unseen report of the bounce mailbox once: record it, and suppress the
    addresses it condemns. Reports read before are left alone."""
    app = current_app()
    if maildir is None and imap_url is None:
        mailboxes = app.mailboxes()
    else:
        if maildir is not None and not (maildir / "new").is_dir():
            raise BadInput(f"{maildir} is not a Maildir (it has no new/ directory)")
        try:
            imap = ImapAddress.parse(imap_url) if imap_url is not None else None
        except ValueError as exc:
            raise BadInput(f"--imap: {exc}") from exc
        mailboxes = Mailboxes(maildir, imap)
    if not mailboxes:
        raise BadInput(
            "no bounce mailbox: set REMINDERS_BOUNCE_MAILDIR or REMINDERS_BOUNCE_IMAP_URL, "
            "or give --maildir or --imap"
        )
    engine, rules = app.ready_engine(), app.bounce_rules()
    try:
        read = mailboxes.read(engine, rules, app.now, app.settings.smtp_timeout_seconds)
    except (OSError, EOFError) as exc:
        raise BadInput(f"cannot read the bounce mailbox: {exc}") from exc
    for source, tally in read:
        _report(source, tally)


@bounces.command("take")
@click.argument("file", type=click.File("rb"), default="-")
def bounces_take(file: BinaryIO) -> None:
    """Take one report from FILE (or standard input): for a mail server that pipes what comes
    back to the bounce addresses into this command."""
    app = current_app()
    data = file.read()
    taken = take_one(app.ready_engine(), app.bounce_rules(), data, "pipe", app.now())
    tally = Tally()
    tally.add(taken)
    _report("report", tally)
    if taken.reason:
        click.echo(taken.reason)


def _report(source: str, tally: Tally) -> None:
    click.echo(f"{source}: {tally}")
    for address in tally.suppressed:
        click.echo(f"  suppressed {address}")
