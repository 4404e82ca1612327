"""The long-running commands: the daemon (`run`), the web tier alone (`web`), the health check
an orchestrator runs (`check`), and the demo mail catcher on its own (`catcher`)."""

from __future__ import annotations

import asyncio
import logging
import socket
from datetime import datetime
from pathlib import Path

import click

from reminders.app import App
from reminders.catcher import Catcher
from reminders.cliutil import DAY, current_app
from reminders.daemon import Daemon, Intervals
from reminders.errors import BadInput, ReminderError
from reminders.logs import setup_logging

DEMO_OPERATOR = "operator@reminders.example"
"""In demo mode, unless REMINDERS_ADMIN_EMAILS says otherwise: who may sign in to /admin."""


@click.command()
@click.option(
    "--demo",
    is_flag=True,
    help="Catch all mail in an embedded SMTP server (var/mail/, and /mail on the HTTP port) and "
    "allow running without REMINDERS_SECRET_KEY.",
)
@click.option(
    "--as-of", "as_of", type=DAY, help="Evaluate as of this day instead of today (demos, replays)."
)
@click.option(
    "--verbose", is_flag=True,
    help="Log every HTTP request, job run and SMTP command of the demo's mail catcher too.",
)  # fmt: skip
def run(demo: bool, as_of: datetime | None, verbose: bool) -> None:
    """The daemon: scheduled and event-driven scans, delivery, employer digests, and the HTTP
    listener (API, unsubscribe and preference pages, calendar feed, /healthz, /metrics)."""
    app = current_app()
    if demo and app.settings.smtp_host not in ("localhost", "127.0.0.1"):
        raise BadInput("--demo catches mail on this machine: REMINDERS_SMTP_HOST must be localhost")
    if demo or as_of:
        settings = app.settings
        if demo and not settings.admin_emails:
            # So that the demo's operator page opens like its dashboard: by a link at /mail.
            settings = settings.model_copy(update={"admin_emails": DEMO_OPERATOR})
        app = App(settings, demo=demo, as_of=as_of.date() if as_of else None)
        click.get_current_context().call_on_close(app.close)
    catcher = Catcher(Path("var") / "mail") if demo else None
    setup_logging(verbose=verbose)
    s = app.settings
    intervals = Intervals(
        scan_cron=s.scan_cron,
        scan_seconds=s.scan_interval_seconds,
        deliver_seconds=s.deliver_interval_seconds,
        events_seconds=s.events_poll_seconds,
        digest_seconds=s.digest_interval_seconds,
        bounce_seconds=s.bounce_interval_seconds,
    )
    asyncio.run(Daemon(app, intervals, catcher=catcher).run())


@click.command()
@click.option("--host", help="The address to listen on (default: REMINDERS_HTTP_HOST).")
@click.option("--port", type=int, help="The port (default: REMINDERS_HTTP_PORT).")
def web(host: str | None, port: int | None) -> None:
    """Serve the API (/api/v1, docs at /docs, or on REMINDERS_ADMIN_PORT when set), the
    unsubscribe and preference pages and the calendar feed, without the daemon's jobs: to run
    more web instances than daemons."""
    from reminders.web.front import announce
    from reminders.web.server import admin, build, listen, serve_until_stopped

    app = current_app()
    app.ready_engine()
    host, port = host or app.settings.http_host, port or app.settings.http_port
    bound = listen(host, port)
    public = build(app)
    also = []
    if app.settings.admin_port is not None:
        # The API's documentation moved off the public port: it is served on the admin port.
        also.append((admin(public, app), listen(host, app.settings.admin_port)))
    setup_logging()
    logging.getLogger("reminders.web").info(
        "serving on %s port %d: %s", host, port, announce(public, app.settings.base_url)
    )
    seconds = app.settings.http_header_seconds
    asyncio.run(serve_until_stopped(public, host, port, [bound], also=also, header_seconds=seconds))


@click.command()
def check() -> None:
    """Exit 0 if the database answers and its schema is current (for health checks)."""
    app = current_app()
    with app.ready_engine().connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    click.echo("ok")


PORT = click.IntRange(1, 65535)


@click.command()
@click.option("--host", default="0.0.0.0", show_default=True, help="The address to listen on.")
@click.option("--smtp-port", default=1025, show_default=True, type=PORT, help="SMTP port.")
@click.option("--http-port", default=8025, show_default=True, type=PORT, help="Pages' port.")
@click.option(
    "--folder",
    default=Path("var/mail"),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where each mail is kept as an .eml file (and read back at start).",
)
def catcher(host: str, smtp_port: int, http_port: int, folder: Path) -> None:
    """A mail server for trying the service out: it accepts every mail, delivers none, and
    shows them at /mail on the HTTP port (and as JSON at /mail.json). Uses no database.
    Point REMINDERS_SMTP_HOST and REMINDERS_SMTP_PORT at it."""
    from reminders.web.server import serve_until_stopped

    setup_logging()
    catcher = Catcher(folder)

    async def serve() -> None:
        # Both ports are taken before anything is announced, so that one in use is one line.
        pages = socket.create_server((host, http_port), reuse_port=False)
        try:
            smtp = await catcher.serve(host, smtp_port)
        except OSError:
            pages.close()
            raise
        click.echo(
            f"catching mail on SMTP port {smtp_port}; read it on HTTP port {http_port} at /mail",
            err=True,
        )
        try:
            await serve_until_stopped(catcher.app(), host, http_port, sockets=[pages])
        finally:
            smtp.close()
            await smtp.wait_closed()

    try:
        asyncio.run(serve())
    except OSError as exc:
        raise ReminderError(f"cannot listen: {exc.strerror or exc}") from exc
