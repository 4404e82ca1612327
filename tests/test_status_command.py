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
    # earned, 10 of them auditing; pace 40 x 602/730 = 33 > 21.5: behind.
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
    assert lines[0].split() == [
        "holder", "body", "credentials", "cycle", "end", "required", "earned", "remaining",
        "days", "left", "status",
    ]  # fmt: skip
    row = next(line for line in lines if line.startswith("h-003"))
    assert row.split() == [
        "h-003",
        "AHIMA",
        "CCS,",
        "RHIT",
        "2026-08-29",
        "30",
        "5",
        "25",
        "-87",
        "overdue",
    ]
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
