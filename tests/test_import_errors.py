"""Bad input: every problem reported as FILE:LINE: column: message, exit 2, nothing written.

Each case imports into a database that already holds the demo roster and checks that the
database is exactly as it was afterwards (byte for byte on SQLite, row for row on PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CommandLine, copy_demo, database_state


@dataclass(frozen=True)
class Case:
    kind: str
    content: bytes
    problems: tuple[tuple[int, str, str], ...]  # (line, column, the message's beginning)


def csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


HOLDERS = "holder_id,full_name,email,timezone"
CEUS = "holder_id,completed_on,hours,title,provider,index_number,bodies,categories"

CASES = {
    "invalid e-mail": Case("holders", csv(HOLDERS, "h-1,Ann Lee,ann.lee@,"), (
        (2, "email", "'ann.lee@' is not a valid e-mail address"),
    )),
    "address that needs SMTPUTF8": Case("holders", csv(HOLDERS, "h-1,Jörg,jörg@a.example,"), (
        (2, "email", "'jörg@a.example' is not a valid e-mail address: Internationalized characters"),
    )),
    "a holder_id that cannot be in a web address": Case("holders", csv(HOLDERS, "a/b,Ann,a@example.org,", "..,Bo,b@example.org,"), (
        (2, "holder_id", "'a/b' may hold only letters, digits"),
        (3, "holder_id", "'..' may hold only letters, digits"),
    )),
    "a name that carries a message": Case("holders", csv(HOLDERS, "h-1,Win at http://x.example,a@example.org,", "h-2,Ann <b>Lee</b>,b@example.org,", "h-3,Agent 007,c@example.org,"), (
        (2, "full_name", "'Win at http://x.example' is not a person's name"),
        (3, "full_name", "'Ann <b>Lee</b>' is not a person's name"),
        (4, "full_name", "'Agent 007' is not a person's name"),
    )),
    "a date in year 9999": Case("credentials", csv("holder_id,credential,earned_on", "h-001,CPC,9999-01-01"), (
        (2, "earned_on", "9999-01-01 is after 2100"),
    )),
    "full-width digits": Case("ceus", csv(CEUS, "h-001,２０２６-01-05,１２,Course,,,AAPC,"), (
        (2, "completed_on", "'２０２６-01-05' is not a date in the form YYYY-MM-DD"),
        (2, "hours", "'１２' is not a number of CEUs"),
    )),
    "a line separator in a name": Case("holders", csv(HOLDERS, "h-1,Ann\u2028Lee,a@example.org,"), (
        (2, "full_name", "contains a control character ('\\u2028')"),
    )),
    "a team name with a slash": Case("teams", csv("org,team,holder_id", "Riverside Health,HIM/Coding,h-001"), (
        (2, "team", "'HIM/Coding' contains '/'"),
    )),
    "unknown time zone": Case("holders", csv(HOLDERS, "h-1,Ann Lee,ann@example.org,US/Mars"), (
        (2, "timezone", "'US/Mars' is not an IANA time zone"),
    )),
    "line break in a name": Case("holders", csv(HOLDERS, 'h-1,"Ann\nLee",ann@example.org,'), (
        (2, "full_name", "contains a control character ('\\n')"),
    )),
    "carriage return in a name": Case("holders", csv(HOLDERS, 'h-1,"Ann\rLee",ann@example.org,'), (
        (2, "full_name", "contains a control character ('\\r')"),
    )),
    "control character in a name": Case("holders", csv(HOLDERS, "h-1,Ann\x07Lee,a@example.org,"), (
        (2, "full_name", "contains a control character ('\\x07')"),
    )),
    "empty required cell": Case("holders", csv(HOLDERS, "h-1, ,ann@example.org,"), (
        (2, "full_name", "is required"),
    )),
    "too long an id": Case("holders", csv(HOLDERS, f"{'x' * 65},Ann,ann@example.org,"), (
        (2, "holder_id", "is 65 characters long; at most 64 are allowed"),
    )),
    "unknown column": Case("holders", csv(HOLDERS + ",nickname", "h-1,Ann,a@example.org,,Annie"), (
        (1, "nickname", "unknown column; holders.csv has: holder_id, full_name, email, timezone"),
    )),
    "missing column": Case("holders", csv("holder_id,full_name", "h-1,Ann"), (
        (1, "email", "required column is missing"),
    )),
    "column twice": Case("holders", csv(HOLDERS + ",email", "h-1,Ann,a@example.org,,b@example.org"), (
        (1, "email", "appears more than once"),
    )),
    "a key twice in the file": Case("holders", csv(
        HOLDERS, "h-1,Ann,a@example.org,", "h-2,Bo,b@example.org,", "h-1,Ann B,a@example.org,"
    ), ((4, "holder_id", "repeats the key of line 2"),)),
    "fields missing from a row": Case("holders", csv(HOLDERS, "h-1,Ann"), (
        (2, "row", "has 2 fields; the header has 4"),
    )),
    "empty file": Case("holders", b"", ((1, "row", "the file is empty; expected a header row"),)),
    "not UTF-8": Case("holders", csv(HOLDERS) + "h-1,Jos\xe9,j@example.org,\n".encode("latin-1"), (
        (2, "full_name", "is not UTF-8 text; save the file as UTF-8"),
    )),
    "unterminated quote": Case("holders", csv(HOLDERS, 'h-1,"Ann,a@example.org,'), (
        (2, "row", "cannot be read as CSV"),
    )),
    "unknown credential": Case("credentials", csv("holder_id,credential,earned_on", "h-001,CPX,2020-01-01"), (
        (2, "credential", "unknown credential 'CPX'; expected one of"),
    )),
    "day not in the calendar": Case("credentials", csv("holder_id,credential,earned_on", "h-001,CRC,2025-02-30"), (
        (2, "earned_on", "2025-02-30 is not a day of the calendar"),
    )),
    "date not ISO": Case("credentials", csv("holder_id,credential,earned_on", "h-001,CRC,03/14/2019"), (
        (2, "earned_on", "'03/14/2019' is not a date in the form YYYY-MM-DD"),
    )),
    "holder that does not exist": Case("credentials", csv("holder_id,credential,earned_on", "h-404,CRC,2020-01-01"), (
        (2, "holder_id", "no holder 'h-404' in the database or in this import's holders.csv"),
    )),
    "unknown body": Case("memberships", csv("holder_id,body", "h-001,NCRA"), (
        (2, "body", "unknown body 'NCRA'; expected one of AAPC, AHIMA"),
    )),
    "negative requirement": Case("memberships", csv("holder_id,body,required_ceus", "h-001,AAPC,-4"), (
        (2, "required_ceus", "-4 is negative; CEUs are 0 or more"),
    )),
    "negative hours": Case("ceus", csv(CEUS, "h-001,2026-01-05,-1,Course,,,AAPC,"), (
        (2, "hours", "-1 is negative"),
    )),
    "hours not a number": Case("ceus", csv(CEUS, "h-001,2026-01-05,two,Course,,,AAPC,"), (
        (2, "hours", "'two' is not a number of CEUs"),
    )),
    "hours too precise": Case("ceus", csv(CEUS, "h-001,2026-01-05,1.125,Course,,,AAPC,"), (
        (2, "hours", "'1.125' is not a number of CEUs such as 1 or 1.5 (two decimals at most)"),
    )),
    "unknown body of a CEU": Case("ceus", csv(CEUS, "h-001,2026-01-05,1,Course,,,AAPC;NCRA,"), (
        (2, "bodies", "unknown body 'NCRA'"),
    )),
    "no body for a CEU": Case("ceus", csv(CEUS, "h-001,2026-01-05,1,Course,,,,"), (
        (2, "bodies", "is required"),
    )),
    "unknown category": Case("ceus", csv(CEUS, "h-001,2026-01-05,1,Course,,,AAPC,coding"), (
        (2, "categories", "unknown category 'coding'"),
    )),
    "unknown specialty": Case("ceus", csv(CEUS, "h-001,2026-01-05,1,Course,,,AAPC,specialty:CPC"), (
        (2, "categories", "unknown category 'specialty:CPC'"),
    )),
    "category of another body": Case("ceus", csv(CEUS, "h-001,2026-01-05,1,Course,,,AAPC,hiim"), (
        (2, "categories", "hiim is not a category of AAPC, the bodies this CEU is for"),
    )),
    "title on two lines": Case("ceus", csv(CEUS, 'h-001,2026-01-05,1,"Course\nPart 2",,,AAPC,'), (
        (2, "title", "contains a control character"),
    )),
    "index number twice": Case("ceus", csv(
        CEUS, "h-002,2026-01-05,1,Course A,,IDX-1,AAPC,", "h-002,2026-02-05,1,Course A,,IDX-1,AAPC,"
    ), ((3, "index_number", "repeats the key of line 2"),)),
    "team member who does not exist": Case("teams", csv("org,team,holder_id", "Acme,Coders,h-404"), (
        (2, "holder_id", "no holder 'h-404'"),
    )),
    "unknown organisation": Case("subscriptions", csv("org,team,email,frequency", "Acme,,a@example.org,weekly"), (
        (2, "org", "no organisation 'Acme': import its teams.csv or run `reminders org create`"),
    )),
    "unknown team": Case("subscriptions", csv("org,team,email,frequency", "Riverside Health,Billing,a@example.org,weekly"), (
        (2, "team", "organisation 'Riverside Health' has no team 'Billing'"),
    )),
    "unknown frequency": Case("subscriptions", csv("org,team,email,frequency", "Riverside Health,,a@example.org,daily"), (
        (2, "frequency", "unknown frequency 'daily'; expected one of monthly, weekly"),
    )),
}  # fmt: skip


def _expect(result_err: str, path: Path, problems: tuple[tuple[int, str, str], ...]) -> None:
    lines = result_err.splitlines()
    assert len(lines) == len(problems) + 1, result_err
    for line, (number, column, message) in zip(lines, problems, strict=False):
        assert line.startswith(f"{path}:{number}: {column}: {message}"), line
    count = len(problems)
    assert lines[-1] == (
        f"reminders: {count} problem{'s' if count != 1 else ''}; nothing was imported"
    )


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_bad_input_is_reported_and_changes_nothing(
    cli: CommandLine, roster: str, tmp_path: Path, case: Case
) -> None:
    cli.use(roster)
    path = tmp_path / f"{case.kind}.csv"
    path.write_bytes(case.content)
    before = database_state(roster)
    result = cli("import", case.kind, path)
    assert result.code == 2
    assert result.out == ""
    _expect(result.err, path, case.problems)
    assert database_state(roster) == before


def test_every_problem_of_a_file_is_reported_in_one_run(
    cli: CommandLine, roster: str, tmp_path: Path
) -> None:
    """Good rows around the bad ones are not written either."""
    cli.use(roster)
    path = tmp_path / "ceus.csv"
    path.write_bytes(
        csv(
            CEUS,
            "h-001,2026-01-05,1,Good course,,,AAPC,",
            "h-001,2026-13-01,x,Bad course,,,AAPC,",
            "h-404,2026-01-05,1,Orphan course,,,AAPC,",
            "h-002,2026-01-05,2,Another good one,,,AAPC;AHIMA,hiim",
            "h-002,2026-01-05,2,Another good one,,,AAPC;AHIMA,hiim",
        )
    )
    before = database_state(roster)
    result = cli("import", "ceus", path)
    assert result.code == 2
    _expect(
        result.err,
        path,
        (
            (3, "completed_on", "2026-13-01 is not a day of the calendar"),
            (3, "hours", "'x' is not a number of CEUs"),
            (4, "holder_id", "no holder 'h-404'"),
            (6, "title", "repeats the key of line 5"),
        ),
    )
    assert database_state(roster) == before


def test_a_bad_file_in_import_all_rolls_back_the_good_ones(
    cli: CommandLine, roster: str, tmp_path: Path
) -> None:
    cli.use(roster)
    folder = copy_demo(tmp_path / "roster")
    holders = (folder / "holders.csv").read_text()
    (folder / "holders.csv").write_text(holders + "h-900,New Person,new.person@example.org,\n")
    (folder / "teams.csv").write_text("org,team,holder_id\nRiverside Health,HIM,h-901\n")
    before = database_state(roster)
    result = cli("import", "all", folder)
    assert result.code == 2
    missing = "no holder 'h-901' in the database or in this import's holders.csv"
    assert result.err_lines == [
        f"{folder / 'teams.csv'}:2: holder_id: {missing}",
        "reminders: 1 problem; nothing was imported",
    ]
    assert database_state(roster) == before


def test_a_bad_header_reports_every_column_and_skips_the_rows(
    cli: CommandLine, roster: str, tmp_path: Path
) -> None:
    cli.use(roster)
    path = tmp_path / "credentials.csv"
    path.write_bytes(csv("holder,credential,,earned", "h-001,CPC,x,2020-01-01"))
    result = cli("import", "credentials", path)
    assert result.code == 2
    _expect(
        result.err,
        path,
        (
            (1, "holder", "unknown column"),
            (1, "(column 3)", "has no name"),
            (1, "earned", "unknown column"),
            (1, "holder_id", "required column is missing"),
            (1, "earned_on", "required column is missing"),
        ),
    )
