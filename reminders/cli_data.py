"""The data commands: create or migrate the database, import CSV files, show what it holds."""

from __future__ import annotations

from pathlib import Path

import click

from reminders.cliutil import console, current_app, progress_bar, terminal_table, whole
from reminders.db import migrate, summary
from reminders.errors import BadInput
from reminders.imports.kinds import ORDER
from reminders.imports.runner import ImportFailed, import_files
from reminders.imports.runner import Problem as ImportProblem

KINDS = (*ORDER, "all")


@click.command()
def init() -> None:
    """Create the database, or migrate it to the newest schema. Safe to run again."""
    app = current_app()
    before, after = migrate.upgrade(app.engine)
    url = app.engine.url.render_as_string(hide_password=True)
    if before == after:
        click.echo(f"database {url} is up to date (schema {after})")
    elif before is None:
        click.echo(f"created database {url} (schema {after})")
    else:
        click.echo(f"migrated database {url} from schema {before} to {after}")


@click.command("import")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("path", metavar="FILE", type=click.Path(path_type=Path))
def import_(kind: str, path: Path) -> None:
    """Import a CSV file of KIND; `all` imports every <kind>.csv in the directory FILE.

    All or nothing: a file with any bad row is reported in full and nothing is written.
    Re-importing the same file changes nothing.
    """
    app = current_app()
    files = _files(kind, path)
    engine = app.ready_engine()
    rulebook = app.rulebook
    with progress_bar() as progress:
        try:
            results = import_files(engine, rulebook, files, app.now(), _print_problem, progress)
        except ImportFailed as exc:
            raise BadInput(str(exc)) from exc
    for result in results:
        click.echo(result.summary())


def _files(kind: str, path: Path) -> list[tuple[str, Path, str]]:
    if kind != "all":
        if not path.is_file():
            raise BadInput(f"{path}: no such file")
        return [(kind, path, str(path))]
    if not path.is_dir():
        raise BadInput(f"{path}: not a directory (import all reads <kind>.csv files from one)")
    found = [(name, path / f"{name}.csv", str(path / f"{name}.csv")) for name in ORDER]
    found = [item for item in found if item[1].is_file()]
    if not found:
        raise BadInput(f"{path}: none of {', '.join(f'{name}.csv' for name in ORDER)} is there")
    return found


def _print_problem(problem: ImportProblem) -> None:
    click.echo(str(problem), err=True)


@click.command()
@click.option("--limit", default=20, show_default=True, help="How many holders to list.")
def show(limit: int) -> None:
    """Print what the database holds: counts, then the first holders."""
    app = current_app()
    with app.ready_engine().connect() as connection:
        counts = summary.counts(connection)
        holders = summary.first_holders(connection, limit)
    out = console()
    out.print(", ".join(f"{number} {label}" for label, number in counts.items()))
    if not holders:
        return
    table = terminal_table("holder", "name", whole("e-mail"), "credentials", "CEUs", "records")
    for line in holders:
        table.add_row(
            line.holder_id,
            line.full_name,
            line.email,
            line.credentials,
            f"{line.ceus.normalize():f}",
            str(line.records),
        )
    out.print(table)
    if counts["holders"] > len(holders):
        out.print(f"… and {counts['holders'] - len(holders)} more holders")
