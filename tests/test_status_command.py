"""`reminders status` over a stored roster, on both databases: the JSON of interfaces.md."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import CommandLine, write_csv

INTERFACE_KEYS = [
    "holder_id", "body", "credentials", "cycle_start", "cycle_end", "required", "earned",
    "remaining", "minimums", "status", "days_left",
]  # fmt: skip


def test_status_json_follows_the_interface(cli: CommandLine, roster: str) -> None:
    cli.use(roster)
    result = cli("status", "--as-of", "2026-11-24", "--format", "json")
    assert result.code == 0, result.err
    objects = json.loads(result.out)
    order = [(o["holder_id"], o["body"]) for o in objects]
    assert order == sorted(order)
    assert len(objects) == 9  # 8 holders, one of them with both bodies
    for item in objects:
        assert list(item)[: len(INTERFACE_KEYS)] == INTERFACE_KEYS
    first = {key: objects[0][key] for key in INTERFACE_KEYS}
    # CPC + CPMA, membership to 2027-03-31: 40 CEUs with 16 auditing; 2 + 1.5 + 8 + 10 = 21.5
    # earned, 10 of them auditing; pace 40 x (602 - 30)/730 = 31.3 > 21.5: behind.
    assert first == {
        "holder_id": "h-001", "body": "AAPC", "credentials": ["CPC", "CPMA"],
        "cycle_start": "2025-04-01", "cycle_end": "2027-03-31",
        "required": 40, "earned": 21.5, "remaining": 18.5,
        "minimums": [{"category": "auditing", "required": 16, "earned": 10}],
        "status": "behind", "days_left": 127,
    }  # fmt: skip
    statuses = {(o["holder_id"], o["body"]): o["status"] for o in objects}
    assert statuses[("h-003", "AHIMA")] == "overdue"
    assert statuses[("h-005", "AHIMA")] == "lapsed"
    assert statuses[("h-006", "AAPC")] == "complete"
    assert statuses[("h-008", "AAPC")] == "on_track"
    assert all(isinstance(o["explanation"], list) and o["explanation"] for o in objects)


def test_status_of_one_holder_and_of_an_unknown_one(cli: CommandLine, roster: str) -> None:
    cli.use(roster)
    result = cli("status", "--as-of", "2026-11-24", "--holder", "h-005", "--format", "json")
    assert [(o["body"], o["required"]) for o in json.loads(result.out)] == [
        ("AAPC", 36),
        ("AHIMA", 30),
    ]
    missing = cli("status", "--holder", "h-404")
    assert (missing.code, missing.err_lines) == (2, ["reminders: no holder 'h-404'"])


def test_the_table_shows_each_holder_and_its_reasons(cli: CommandLine, roster: str) -> None:
    cli.use(roster)
    result = cli("status", "--as-of", "2026-11-24")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].split() == ["holder", "body", "due", "earned", "to", "go", "days", "status"]
    # A name beside each id, and every line within 80 columns.
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    at = next(n for n, line in enumerate(lines) if line.startswith("h-003"))
    assert lines[at].split() == [
        "h-003", "Priya", "Raman", "AHIMA", "2026-08-29", "5/30", "25", "-87", "overdue",
    ]  # fmt: skip
    # Credentials and minimums beneath, in words: "HIIM domains", not "hiim".
    assert [line.strip() for line in lines[at + 1 : at + 3]] == [
        "CCS, RHIT", "of which HIIM domains: 0 of 24 (24 to go)",
    ]  # fmt: skip
    maria = next(n for n, line in enumerate(lines) if line.startswith("h-001"))
    assert [line.strip() for line in lines[maria + 1 : maria + 3]] == [
        "CPC, CPMA", "of which auditing: 10 of 16 (6 to go)",
    ]  # fmt: skip
    explained = cli("status", "--as-of", "2026-11-24", "--holder", "h-003").out
    assert "· AHIMA rules ahima-2024" in explained
    assert (
        "overdue: the cycle ended unmet; AHIMA revokes the credential after 2027-02-25" in explained
    )


def test_a_holder_that_cannot_be_evaluated_is_a_warning(
    cli: CommandLine, roster: str, tmp_path: Path
) -> None:
    cli.use(roster)
    write_csv(
        tmp_path / "holders.csv", "holder_id,full_name,email", "h-900,New Coder,new@example.org"
    )
    write_csv(
        tmp_path / "credentials.csv", "holder_id,credential,earned_on", "h-900,CRC,2024-01-05"
    )
    assert cli("import", "all", tmp_path).code == 0
    result = cli("status", "--as-of", "2026-11-24", "--format", "json")
    assert result.code == 0
    assert "h-900" not in {o["holder_id"] for o in json.loads(result.out)}
    assert result.err_lines == [
        (
            "reminders: warning: h-900 AAPC: cannot evaluate: no membership date: add renews_on "
            "(or cycle_ends_on) for AAPC to memberships.csv"
        )
    ]


def test_status_of_an_empty_database_is_an_empty_array(cli: CommandLine, initialised: str) -> None:
    result = cli("status", "--format", "json")
    assert (result.code, json.loads(result.out)) == (0, [])


# The demo roster on 2026-11-24, worked by hand (days counted on a calendar):
# h-002: AAPC states the pro-rated first cycle: 27 CEUs, due 2027-01-31; 1 + 2 = 3 earned.
# h-003: CCS + RHIT (20 + 10 = 30, 80% HIIM = 24); the cycle 2024-08-30..2026-08-29 holds one
#        5-CEU course, not HIIM: overdue until 2027-02-25 (180 days).
# h-004: CPC + CRC + CEMC: 44 with 8 CEMC; 12 + 16 + 9 = 37; due 2026-12-31 (December, even).
# h-005: AAPC CPC alone: 36; the two dual-body courses, 12 + 8 = 20. AHIMA RHIA: 30, the cycle
#        2024-02-06..2026-02-05 had the same 20 (HIIM 20 of 24); 180 days later, 2026-08-04,
#        it lapsed.
# h-006: COC: 4 + 20 + 12 = 36 of 36, complete.
# h-007: CCS-P from 2025-03-03 (the 40% rule applies): 20, HIIM 16, AHIMA source 8; 5 earned.
# h-008: CPC-A 2026-02-16, AAPC states 30 due 2028-02-29; 3 + 10 = 13; pace 30 x 268/731 = 11.
DEMO = [
    ("h-002", "AAPC", ["CPC"], "2025-02-01", "2027-01-31", 27, 3, 24, [], "behind", 68),
    ("h-003", "AHIMA", ["CCS", "RHIT"], "2024-08-30", "2026-08-29", 30, 5, 25,
     [("hiim", 24, 0)], "overdue", -87),
    ("h-004", "AAPC", ["CEMC", "CPC", "CRC"], "2025-01-01", "2026-12-31", 44, 37, 7,
     [("specialty:CEMC", 8, 12)], "behind", 37),
    ("h-005", "AAPC", ["CPC"], "2025-06-01", "2027-05-31", 36, 20, 16, [], "behind", 188),
    ("h-005", "AHIMA", ["RHIA"], "2024-02-06", "2026-02-05", 30, 20, 10,
     [("hiim", 24, 20)], "lapsed", -292),
    ("h-006", "AAPC", ["COC"], "2025-01-01", "2026-12-31", 36, 36, 0, [], "complete", 37),
    ("h-007", "AHIMA", ["CCS-P"], "2025-03-03", "2027-03-02", 20, 5, 15,
     [("hiim", 16, 5), ("ahima-source", 8, 5)], "behind", 98),
    ("h-008", "AAPC", ["CPC-A"], "2026-03-01", "2028-02-29", 30, 13, 17, [], "on_track", 462),
]  # fmt: skip


def test_the_demo_roster_evaluates_to_the_hand_worked_numbers(
    cli: CommandLine, roster: str
) -> None:
    cli.use(roster)
    objects = json.loads(cli("status", "--as-of", "2026-11-24", "--format", "json").out)
    found = [
        (
            o["holder_id"],
            o["body"],
            o["credentials"],
            o["cycle_start"],
            o["cycle_end"],
            o["required"],
            o["earned"],
            o["remaining"],
            [(m["category"], m["required"], m["earned"]) for m in o["minimums"]],
            o["status"],
            o["days_left"],
        )
        for o in objects[1:]
    ]
    assert found == DEMO
