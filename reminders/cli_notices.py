"""The notice commands: where everyone stands (status), what is due (plan), one pass of
queueing and delivery (send), and a notice or the whole gallery rendered to files."""

from __future__ import annotations

import asyncio
import functools
import itertools
import sys
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from datetime import date, datetime
from pathlib import Path

import click
from sqlalchemy import Engine

from reminders import links
from reminders.app import App
from reminders.cliutil import DAY, console, current_app, holders_bar
from reminders.db import outbox, preferences
from reminders.db.facts import StoredHolder, scan_options, stored_holders
from reminders.digests.service import due_digests
from reminders.errors import BadInput, ReminderError
from reminders.mail.message import build
from reminders.notices.content import ceus_due, notice_view
from reminders.notices.delivery import Deliverer
from reminders.notices.preferences import DEFAULT, ladder_for
from reminders.notices.recording import ScanCounts
from reminders.notices.scan import Planned, ScanTally, Split, scan_plans
from reminders.notices.service import queue_due, remember_scan
from reminders.notices.tick import choose, plan_chosen, why_full
from reminders.rules.evaluate import evaluate
from reminders.rules.results import Evaluation, Problem
from reminders.status import json_array, json_pieces, table

KINDS_OF_NOTICE = ("deadline", "shortfall", "overdue", "lapsed", "complete", "dues")


@click.command()
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Evaluate as of this day (default: today).",
)
@click.option("--holder", "holder_id", metavar="ID", help="Only this holder.")
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option("--explain", is_flag=True, help="Table: print the reasons under each line.")
def status(as_of: datetime | None, holder_id: str | None, output: str, explain: bool) -> None:
    """Evaluate every holder (or one) against the certifying bodies' rules."""
    app = current_app()
    day = as_of.date() if as_of else app.today()
    rulebook = app.rulebook
    problems: list[Problem] = []
    engine = app.ready_engine()
    whole = holders_bar(engine, "evaluating") if holder_id is None else nullcontext()
    with engine.connect() as connection, whole as told:
        found = False

        def evaluations() -> Iterator[tuple[str, Evaluation]]:
            nonlocal found
            read = 0
            for batch in stored_holders(connection, holder_id, **scan_options(rulebook, day)):
                read += len(batch)
                if told is not None:
                    told(read)
                for holder in batch:
                    found = True
                    results, trouble = evaluate(holder.facts, rulebook, day)
                    problems.extend(trouble)
                    yield from ((holder.full_name, result) for result in results)

        if output == "json":
            for piece in json_array(e for _, e in evaluations()):
                sys.stdout.write(piece)
        else:
            explaining = explain or holder_id is not None
            table(console(), evaluations(), explaining, rulebook.category_words)
    if holder_id is not None and not found:
        raise BadInput(f"no holder {holder_id!r}")
    for problem in problems:
        click.echo(
            f"reminders: warning: {problem.holder_id} {problem.body}: cannot evaluate: {problem.message}",
            err=True,
        )


def write_preview(
    app: App,
    holder: StoredHolder,
    evaluation: Evaluation,
    kind: str,
    day: date,
    out: Path,
    level: str = DEFAULT,
) -> list[Path]:
    """The first rung of KIND that a coder at `level` gets, as .eml and .html."""
    body_ladder = ladder_for(app.ladder, level).bodies[evaluation.body]
    rung = {
        "deadline": body_ladder.before,
        "overdue": body_ladder.after,
        "dues": body_ladder.dues_before,
    }
    steps = rung.get(kind) or (0,)
    words = functools.partial(app.rulebook.category_words, evaluation.body)
    view = notice_view(kind, str(steps[0]), evaluation, body_ladder, day, words)
    secret = app.settings.secret_key.get_secret_value() if app.settings.secret_key else "preview"
    now = app.now()
    base = app.settings.base_url
    unsubscribe = links.unsubscribe_url(base, secret.encode(), holder.email, links.NOTICES, now)
    calendar = links.calendar_url(base, secret.encode(), holder.email, now)
    status = links.status_url(base, secret.encode(), holder.email, now)
    rendered = app.renderer.render(
        holder.full_name, [view], unsubscribe, calendar, level=level, status_url=status
    )
    deadline = (
        [ceus_due(holder.facts.holder_id, evaluation, body_ladder.ceu_page)]
        if kind == "deadline"
        else []
    )
    envelope = build(
        rendered,
        mail_from=app.settings.mail_from,
        to_name=holder.full_name,
        to_address=holder.email,
        keys=[f"preview|{holder.facts.holder_id}|{kind}"],
        unsubscribe_url=unsubscribe,
        now=now,
        deadlines=deadline,
    )
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"{holder.facts.holder_id}-{evaluation.body}-{kind}"
    eml, html = stem.with_suffix(".eml"), stem.with_suffix(".html")
    eml.write_bytes(envelope.data)
    html.write_text(rendered.html, encoding="utf-8")
    return [eml, html]


@click.command("plan")
@click.option("--as-of", "as_of", type=DAY, help="Plan as of this day (default: today).")
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option(
    "--all", "everyone", is_flag=True,
    help="Evaluate every holder, even when the next-review index is current.",
)  # fmt: skip
def plan_(as_of: datetime | None, output: str, everyone: bool) -> None:
    """The notices due as of a day that have not been sent. Writes nothing.

    When the next-review index is current (planned as of that day or the day before, with
    these rules), only the holders whose day has come and those whose records changed are
    evaluated: what the daemon's tick would queue. Otherwise, or with --all, every holder is.
    A line on stderr says which.

    From 50,000 holders the full scan runs in REMINDERS_SCAN_WORKERS processes (one per core
    by default). A holder who cannot be planned (a bug) is named on stderr and the exit status
    is 1; everyone else is listed all the same.
    """
    app = current_app()
    day = as_of.date() if as_of else app.today()
    rulebook, ladder = app.rulebook, app.ladder
    split = Split.from_settings(app.settings)
    tally = ScanTally()
    engine = app.ready_engine()
    full = "--all" if everyone else why_full(engine, rulebook, ladder, day)
    # A bar over every holder for the full scan only: from the index, a few percent are read.
    bar = holders_bar(engine, "planning") if full is not None else nullcontext()
    with engine.connect() as connection, bar as told:
        tally.progress = told
        found: Iterable[Planned]
        if full is None:
            chosen = choose(connection, day)
            found = sorted(
                plan_chosen(connection, chosen.pks, rulebook, ladder, day, tally),
                key=lambda planned: (planned.holder_id, planned.pk),
            )
            click.echo(f"reminders: planned from the next-review index: {chosen.due} holders' "
                       f"day had come, {tally.holders} evaluated (--all: every holder)",
                       err=True)  # fmt: skip
        else:
            found = scan_plans(connection, rulebook, ladder, day, split, tally)
        rows: Iterator[dict[str, str | None]] = (
            {
                "holder_id": planned.holder_id,
                "body": notice.body,
                "kind": notice.kind,
                "key": notice.key,
                "due_on": notice.due_on.isoformat(),
                "to": planned.email,
                "rung": notice.rung,
                "expires_on": notice.expires_on.isoformat(),
            }
            for planned in found
            for notice in planned.plan.due
        )
        # The digests' days are the subscribers' own: as of the end of the day given, in
        # each subscriber's zone, or as of now.
        digests = (
            {
                "holder_id": None,
                "body": None,
                "kind": "digest",
                "key": due.key,
                "due_on": due.period.day.isoformat(),
                "to": due.subscriber.email,
                "rung": due.period.label,
                "expires_on": due.period.next_day.isoformat(),
            }
            for due in due_digests(
                connection, app.now(), app.settings.timezone, as_of.date() if as_of else app.as_of
            )
        )
        rows = itertools.chain(rows, digests)
        if output == "json":
            for piece in json_pieces(rows):
                sys.stdout.write(piece)
            _full_said(full, tally.holders)
            left_out(tally.failed)
            return
        out = console()
        out.print(
            f"{'holder':<12}  {'body':<6}  {'kind':<9}  {'rung':<10}  {'due on':<10}  to",
            style="bold",
        )
        for row in rows:
            out.print(
                f"{row['holder_id'] or '-':<12}  {row['body'] or '-':<6}  {row['kind']:<9}  "
                f"{row['rung']:<10}  "
                f"{row['due_on']:<10}  {row['to']}",
                highlight=False,
                markup=False,
            )
    _full_said(full, tally.holders)
    left_out(tally.failed)


def _full_said(full: str | None, holders: int) -> None:
    """After a full plan, why it was one (the index's line is said before: it is known then)."""
    if full is not None:
        click.echo(f"reminders: every holder evaluated ({holders}): {full}", err=True)


def left_out(failed: list[tuple[str, str]]) -> None:
    """The holders a scan could not plan (a bug, logged with its traceback): named on stderr,
    and exit status 1, after everyone else's output."""
    for holder_id, error in failed:
        click.echo(f"reminders: holder {holder_id} could not be planned: {error}", err=True)
    if failed:
        raise ReminderError(f"{len(failed)} holder(s) left out of the plan; see above")


@click.command()
@click.option("--as-of", "as_of", type=DAY, help="Plan as of this day (default: today).")
def send(as_of: datetime | None) -> None:
    """One pass: queue the notices due, then deliver the queue.

    The scan runs as in `reminders plan` (workers, holders who cannot be planned named on
    stderr, exit status 1 then, after everyone else's mail went out).
    """
    app = current_app()
    day = as_of.date() if as_of else app.today()
    app.mail(), app.smtp()  # a missing key or a bad setting: an error before the scan
    engine = app.ready_engine()
    split = Split.from_settings(app.settings)
    counts = ScanCounts()
    began = app.now()
    with holders_bar(engine, "planning") as told:
        queued = queue_due(engine, app.rulebook, app.ladder, day, began, counts, split, told)
    if queued is None:
        raise ReminderError("another instance is scanning right now; try again in a moment")
    remember_scan(engine, "send", day, began, app.now(), counts)
    deliver_and_say(app, engine, day, f"queued {queued} message{'s' if queued != 1 else ''}")
    left_out(counts.failed)


def deliver_and_say(app: App, engine: Engine, day: date, queued: str) -> None:
    """Deliver what is due, then one line of what became of it after `queued`'s words."""
    deliverer = Deliverer(engine, app.rulebook, app.ladder, app.renderer, app.smtp(), app.mail(),
                          app.now)  # fmt: skip
    report = asyncio.run(deliverer.deliver_due(day))
    with engine.connect() as connection:
        waiting = outbox.pending(connection)
    click.echo(
        f"{queued}; sent {report.sent}, "
        f"{report.retried} to retry, {report.failed} failed, {report.expired} expired, "
        f"{report.cancelled} cancelled, {report.deferred} held by the daily cap; "
        f"{waiting} waiting"
    )
    for error in report.errors:
        click.echo(f"reminders: warning: {error}", err=True)
    if report.paused is not None:
        click.echo(f"reminders: error: {report.paused}", err=True)


@click.command()
@click.argument("kind", type=click.Choice(KINDS_OF_NOTICE))
@click.option("--holder", "holder_id", metavar="ID", required=True, help="The holder to write to.")
@click.option("--body", help="The certifying body (default: the holder's first).")
@click.option("--as-of", "as_of", type=DAY, help="Evaluate as of this day (default: today).")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("preview"),
    show_default=True,
)
def preview(kind: str, holder_id: str, body: str | None, as_of: datetime | None, out: Path) -> None:
    """Render a notice of KIND for a holder to .eml and .html files. Sends nothing."""
    app = current_app()
    day = as_of.date() if as_of else app.today()
    with app.ready_engine().connect() as connection:
        found = [h for batch in stored_holders(connection, holder_id) for h in batch]
        # The mail as this coder would get it: at the level they chose.
        level = preferences.level_of(connection, found[0].email) if found else DEFAULT
    if not found:
        raise BadInput(f"no holder {holder_id!r}")
    holder = found[0]
    evaluations, _ = evaluate(holder.facts, app.rulebook, day)
    chosen = [e for e in evaluations if body is None or e.body == body]
    if not chosen:
        raise BadInput(f"holder {holder_id!r} has no evaluation with {body or 'any body'} on {day}")
    files = write_preview(app, holder, chosen[0], kind, day, out, level)
    for path in files:
        click.echo(path)


@click.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def gallery(folder: Path) -> None:
    """Render every kind of notice (each rung, on time and late, each body), combined mails
    and digests from a built-in roster into FOLDER; open FOLDER/index.html. Uses no database."""
    from reminders.gallery import Gallery, write

    app = current_app()
    items = Gallery(app.rulebook, app.ladder, app.renderer).items()
    paths = write(items, folder)
    click.echo(f"{len(items)} mails and digests in {paths[0]}")
