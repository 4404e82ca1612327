"""`reminders plan` and `reminders preview`, and every template rendered under StrictUndefined."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import yaml

from reminders.db import preferences
from reminders.db.engine import make_engine
from reminders.mail.render import Renderer
from reminders.notices.content import NoticeView
from reminders.notices.planning import KINDS
from reminders.resources import config_dir, templates_dir
from tests.conftest import CommandLine, write_csv


def test_plan_lists_what_the_ladder_implies_and_writes_nothing(
    cli: CommandLine, roster: str
) -> None:
    cli.use(roster)
    result = cli("plan", "--as-of", "2026-11-24", "--format", "json")
    assert result.code == 0, result.err
    planned = json.loads(result.out)
    for notice in planned:
        assert list(notice)[:6] == ["holder_id", "body", "kind", "key", "due_on", "to"]
    notices = [n for n in planned if n["kind"] != "digest"]
    # The employer digests come after the notices (test_digests has them in detail).
    assert sorted((n["kind"], n["to"]) for n in planned[len(notices) :]) == [
        ("digest", "coding.manager@riverside.example"),
        ("digest", "compliance@summit.example"),
        ("digest", "him.director@riverside.example"),
    ]
    # Worked from config/notices.yaml and the statuses of test_status_command.
    assert [(n["holder_id"], n["body"], n["kind"], n["due_on"]) for n in notices] == [
        ("h-001", "AAPC", "shortfall", "2026-11-24"),  # behind, 127 days left: no rung yet
        ("h-002", "AAPC", "deadline", "2026-11-02"),  # 68 days left: the 90-day rung
        ("h-003", "AHIMA", "overdue", "2026-08-30"),  # 87 days after: the 1-day rung
        ("h-004", "AAPC", "deadline", "2026-11-16"),  # 37 days left: the 45-day rung
        ("h-005", "AAPC", "shortfall", "2026-11-24"),  # AHIMA lapsed in August: too late
        ("h-006", "AAPC", "complete", "2026-11-24"),
        ("h-007", "AHIMA", "shortfall", "2026-11-24"),
    ]
    assert notices[1]["key"] == "h-002|AAPC|2027-01-31|deadline|90"
    assert notices[1]["to"] == "james.okafor@riverside.example"
    again = cli("plan", "--as-of", "2026-11-24", "--format", "json")
    assert json.loads(again.out) == planned
    table = cli("plan", "--as-of", "2026-11-24").out.splitlines()
    assert table[0].split() == ["holder", "body", "kind", "rung", "due", "on", "to"]
    assert table[2].split() == [
        "h-002",
        "AAPC",
        "deadline",
        "90",
        "2026-11-02",
        "james.okafor@riverside.example",
    ]


def test_plan_reads_the_next_review_index_when_it_is_current_and_says_which_it_did(
    cli: CommandLine, roster: str, tmp_path: Path
) -> None:
    cli.use(roster)
    first = cli("plan", "--as-of", "2026-11-24", "--format", "json")
    assert first.err_lines == [
        "reminders: every holder evaluated (8): the index has not been built yet"
    ]
    assert cli("tick", "--as-of", "2026-11-24").code == 0  # queues; builds the index
    # Maria (h-001) completes her AAPC cycle: her change event waits for the next tick.
    ceus = write_csv(tmp_path / "ceus.csv", "holder_id,completed_on,hours,title,bodies,categories",
                     "h-001,2026-11-20,18.5,Audit Week,AAPC,auditing")  # fmt: skip
    assert cli("import", "ceus", ceus).code == 0
    indexed = cli("plan", "--as-of", "2026-11-25", "--format", "json")
    assert indexed.code == 0, indexed.err
    [said] = indexed.err_lines
    assert said.startswith("reminders: planned from the next-review index: ")
    assert said.endswith(" evaluated (--all: every holder)")
    everyone = cli("plan", "--as-of", "2026-11-25", "--all", "--format", "json")
    assert everyone.err_lines == ["reminders: every holder evaluated (8): --all"]
    planned = json.loads(indexed.out)
    assert planned == json.loads(everyone.out)
    assert ("h-001", "complete") in [(n["holder_id"], n["kind"]) for n in planned]
    table = cli("plan", "--as-of", "2026-11-25")
    assert table.out == cli("plan", "--as-of", "2026-11-25", "--all").out
    # A day the index was not planned for: every holder, and why.
    later = cli("plan", "--as-of", "2026-12-24", "--format", "json")
    missed = "the last plan was as of 2026-11-24: days were missed"
    assert later.err_lines == [f"reminders: every holder evaluated (8): {missed}"]


@pytest.mark.parametrize("kind", KINDS)
def test_preview_writes_a_mail_and_a_page_for_every_kind(
    cli: CommandLine, roster: str, tmp_path: Path, kind: str
) -> None:
    cli.use(roster)
    result = cli("preview", kind, "--holder", "h-001", "--as-of", "2026-11-24", "--out", tmp_path)
    assert result.code == 0, result.err
    eml, html = (Path(line) for line in result.out.splitlines())
    mail = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert mail["To"] == "Maria Alvarez <maria.alvarez@riverside.example>"
    assert mail.get_body(("plain",)).get_content().startswith("Dear Maria Alvarez,")  # type: ignore[union-attr]
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>") and "Dear Maria Alvarez," in page
    assert 'style="' in page  # the stylesheet is inlined


def test_preview_of_an_unknown_holder(cli: CommandLine, roster: str) -> None:
    cli.use(roster)
    result = cli("preview", "deadline", "--holder", "h-404")
    assert (result.code, result.err_lines) == (2, ["reminders: no holder 'h-404'"])


def sample(kind: str) -> NoticeView:
    return NoticeView(
        kind=kind, rung="15", body="AAPC", credentials="CPC, CPMA", cycle_end="March 31, 2027",
        deadline="June 29, 2027", renews_on="March 31, 2027", submission_opens="February 28, 2027",
        submission_open=False, days_left=15, days_to_revocation=90, required="40", earned="30", remaining="10",
        pace_per_month="20", pace="about 20 CEUs a month", minimums=({"category": "auditing", "required": "16", "earned": "6", "short": "10", "met": ""},),
        why="the reminder 15 days before the due date.",
        ceu_page="https://www.aapc.com/certifications/maintain-your-certification",
    )  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
def test_every_template_renders_with_every_variable_defined(kind: str) -> None:
    rendered = Renderer(templates_dir()).render(
        "Ann Lee", [sample(kind)], "https://x.example/u/t", "https://x.example/ics/c.ics",
        status_url="https://x.example/s/t",
    )  # fmt: skip
    assert rendered.subject and "\n" not in rendered.subject
    assert "AAPC" in rendered.text and "https://x.example/u/t" in rendered.text
    assert (
        "https://x.example/s/t" in rendered.text and 'href="https://x.example/s/t"' in rendered.html
    )
    for part in (rendered.text, rendered.html):
        assert "https://x.example/ics/c.ics" in part
    assert "Why this mail: the reminder 15 days before the due date" in rendered.text
    assert "https://www.aapc.com/certifications/maintain-your-certification" in rendered.html


def test_plan_names_a_holder_it_cannot_plan_and_lists_everyone_else(
    cli: CommandLine, roster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rules that break AAPC's evaluations (only its oldest version, which governs no cycle
    of these days), as a bug would: the AAPC holders are named on stderr, exit status 1, and
    every other holder's notices are still listed."""
    cli.use(roster)
    sound = json.loads(cli("plan", "--as-of", "2026-11-24", "--format", "json").out)
    bodies = tmp_path / "bodies"
    shutil.copytree(config_dir() / "bodies", bodies)
    aapc = yaml.safe_load((bodies / "aapc.yaml").read_text())
    aapc["versions"] = aapc["versions"][:1]
    (bodies / "aapc.yaml").write_text(yaml.safe_dump(aapc, sort_keys=False))
    monkeypatch.setenv("REMINDERS_BODIES_DIR", str(bodies))
    result = cli("plan", "--as-of", "2026-11-24", "--format", "json")
    assert result.code == 1
    left_out = [line for line in result.err_lines if "could not be planned" in line]
    named = {line.split()[2] for line in left_out}
    assert named and all("AssertionError" in line for line in left_out)
    assert "left out of the plan" in result.err_lines[-1]
    listed = json.loads(result.out)
    assert listed == [n for n in sound if n["holder_id"] not in named]
    assert any(n["holder_id"] for n in listed)  # AHIMA-only holders are still planned


def test_preview_shows_the_mail_at_the_level_the_coder_chose(
    cli: CommandLine, roster: str, tmp_path: Path
) -> None:
    """A preview rendered every mail at the "all" level, whatever the coder had chosen."""
    cli.use(roster)
    engine = make_engine(roster)
    with engine.begin() as connection:
        preferences.choose(
            connection, "maria.alvarez@riverside.example", "final", datetime.now(UTC)
        )
    engine.dispose()
    result = cli(
        "preview", "deadline", "--holder", "h-001", "--as-of", "2027-03-16", "--out", tmp_path
    )
    assert result.code == 0, result.err
    eml = Path(result.out.splitlines()[0])
    mail = message_from_bytes(eml.read_bytes(), policy=policy.default)
    text = " ".join(mail.get_body(("plain",)).get_content().split())  # type: ignore[union-attr]
    assert "You chose only the final notices." in text
    assert "Why this mail: the reminder 15 days before the due date." in text
