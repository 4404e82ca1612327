"""The rule files: they load, cite real sources, document every open question, and a broken
one stops the service with the file and the path inside it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

import reminders
from reminders.resources import bodies_dir
from reminders.rules.loader import RulebookError, error_location, load_rulebook
from reminders.rules.model import Applies, Version
from tests.conftest import CommandLine
from tests.rules_helpers import RULES

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "docs" / "rules-reference.md"
ENGINE = Path(__file__).resolve().parent.parent / "reminders" / "rules"
"""The engine: the evaluation (rules/evaluate.py) and the modules it is made of, beside it."""


def test_every_open_question_of_the_reference_is_a_documented_choice() -> None:
    questions = {f"Q{n}" for n in range(1, 17)}
    choices = {c.id for body in RULES.bodies.values() for c in body.choices}
    assert questions <= choices
    for body in RULES.bodies.values():
        for choice in body.choices:
            assert choice.choice and choice.why, choice.id


def test_every_choice_the_engine_names_is_documented() -> None:
    engine = "\n".join(path.read_text() for path in sorted(ENGINE.glob("*.py")))
    named = set(re.findall(r"choice ([a-zQ0-9-]+)\)", engine))
    assert {"Q4", "history"} <= named
    documented = {c.id for body in RULES.bodies.values() for c in body.choices}
    assert named <= documented
    assert all("history" in {c.id for c in body.choices} for body in RULES.bodies.values())


@pytest.mark.skipif(
    not REFERENCE.exists(), reason="the shared rules reference is not beside the repository"
)
def test_every_source_url_is_the_one_of_the_reference() -> None:
    text = REFERENCE.read_text()
    for body in RULES.bodies.values():
        for source in body.sources:
            assert source.url.split("://", 1)[1] in text, source.id


def test_the_ahima_seed_claim_is_only_history() -> None:
    """'20 CEUs annually and two coding self-reviews' is the pre-2021 rule set, nowhere else."""
    ahima = RULES.bodies["AHIMA"]
    with_self_review = [
        v.id for v in ahima.versions if any(m.id == "SELF-REVIEW" for m in v.minimums)
    ]
    assert with_self_review == ["ahima-2019"]


Change = Callable[[dict[str, Any]], object]


def _broken(tmp_path: Path, change: Change, name: str = "aapc.yaml") -> Path:
    folder = tmp_path / "bodies"
    shutil.copytree(bodies_dir(), folder)
    path = folder / name
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return folder


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["versions"][1]["minimums"][0].update(ceus="sixteen"),
            "versions[1] (aapc-2015).minimums[0] (CPMA).ceus: Input should be a valid decimal",
        ),
        (
            lambda d: d["versions"][1]["minimums"][0].update(category="auditin"),
            "(top level): version aapc-2015 minimum CPMA: unknown category auditin",
        ),
        (
            lambda d: d["versions"][0].update(sources=["P99"]),
            "(top level): version aapc-2012: unknown sources ['P99']",
        ),
        (
            lambda d: d["cycle"].update(anchor="birthday"),
            "cycle.anchor: Input should be 'membership' or 'exam'",
        ),
        (
            lambda d: d["cycle"].update(anchor="birthday", years=9),
            "cycle.anchor: Input should be 'membership' or 'exam' (and 1 more)",
        ),
        (
            lambda d: d["cycle"].update(anchor="birthday", years=9, parity="odd"),
            "cycle.anchor: Input should be 'membership' or 'exam' (and 2 more)",
        ),
        (lambda d: d.pop("versions"), "versions: Field required"),
        (
            lambda d: d["credentials"].append(d["credentials"][0]),
            "(top level): credentials: CPC is listed twice",
        ),
        (
            lambda d: d["credentials"][11].update(apprentice_of="CPX"),
            "(top level): credential CPC-A: unknown CPX",
        ),
    ],
)
def test_a_broken_rule_file_names_the_file_and_the_path(
    tmp_path: Path, change: Change, message: str
) -> None:
    folder = _broken(tmp_path, change)
    with pytest.raises(RulebookError) as caught:
        load_rulebook(folder)
    assert str(caught.value) == f"{folder / 'aapc.yaml'}: {message}"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["versions"][0]["requirement"]["per_credential"].update(XYZ=20),
            "version ahima-2019: unknown credentials ['XYZ']",
        ),
        (
            lambda d: d["versions"][0]["minimums"][1]["credentials"].extend(["CCX", "CCW"]),
            "version ahima-2019 minimum SELF-REVIEW: unknown credentials ['CCW', 'CCX']",
        ),
    ],
)
def test_a_rule_naming_an_unknown_credential_is_refused(
    tmp_path: Path, change: Change, message: str
) -> None:
    folder = _broken(tmp_path, change, "ahima.yaml")
    with pytest.raises(RulebookError) as caught:
        load_rulebook(folder)
    assert str(caught.value) == f"{folder / 'ahima.yaml'}: (top level): {message}"


def test_a_rule_folder_must_hold_each_body_and_credential_once(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RulebookError) as caught:
        load_rulebook(empty)
    assert str(caught.value) == f"{empty}: no body files (*.yaml)"

    twice = _broken(tmp_path / "twice", lambda d: None)
    shutil.copy(twice / "aapc.yaml", twice / "aapc-copy.yaml")
    with pytest.raises(RulebookError) as caught:
        load_rulebook(twice)
    assert str(caught.value) == (
        f"{twice / 'aapc.yaml'}: body AAPC is already defined in {twice / 'aapc-copy.yaml'}"
    )

    cpc = {"code": "CPC", "name": "a second CPC"}
    shared = _broken(tmp_path / "shared", lambda d: d["credentials"].append(cpc), "ahima.yaml")
    with pytest.raises(RulebookError) as caught:
        load_rulebook(shared)
    assert str(caught.value) == (
        f"{shared / 'ahima.yaml'}: credential CPC is already a credential of AAPC"
    )


def test_a_rule_file_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    folder = _broken(tmp_path, lambda d: None)
    (folder / "ahima.yaml").write_bytes(b"\xffbody: AHIMA\n")
    with pytest.raises(RulebookError) as caught:
        load_rulebook(folder)
    assert str(caught.value) == (
        f"{folder / 'ahima.yaml'}: cannot read: 'utf-8' codec can't decode byte 0xff in "
        "position 0: invalid start byte"
    )


def test_the_rule_files_read_the_same_whatever_the_locale() -> None:
    """The files are UTF-8 (they cite §): a server or container whose locale is plain ASCII
    (LC_ALL=C with Python's UTF-8 mode off) reads them all the same."""
    env = {**os.environ, "LC_ALL": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"}
    code = (
        "from reminders.resources import bodies_dir\n"
        "from reminders.rules.loader import load_rulebook\n"
        "print(sorted(load_rulebook(bodies_dir()).bodies))"
    )
    package = Path(reminders.__file__).resolve().parent.parent
    env["PYTHONPATH"] = str(package)
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=package,
        capture_output=True,
        text=True,
        check=False,
    )
    here = sorted(load_rulebook(bodies_dir()).bodies)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{here}\n", "")
    assert here == ["AAPC", "AHIMA"]


def test_the_rule_files_load_into_one_rulebook() -> None:
    rulebook = load_rulebook(bodies_dir())
    assert sorted(rulebook.bodies) == ["AAPC", "AHIMA"]
    index = rulebook.credential_index()
    assert (index["CPC"], index["CPC-A"], index["RHIT"], len(index)) == (
        "AAPC", "AAPC", "AHIMA", 50,
    )  # fmt: skip
    assert rulebook.categories_of("AHIMA") == {"hiim", "ahima-source", "coding-self-review"}
    aapc = rulebook.categories_of("AAPC")
    assert {"auditing", "ir-cv", "specialty:CEMC", "specialty:CUC"} <= aapc
    assert len(aapc) == 5 + 19  # the categories and one per specialty credential
    assert "specialty:CPC" not in aapc


def test_a_version_rebuilt_from_its_parts_is_the_same() -> None:
    """The requirement tables are told apart by their shape (by_count or per_credential),
    whether read from a file or given as models."""
    for body in RULES.bodies.values():
        for version in body.versions:
            assert Version(**dict(version)) == version


def test_no_version_governs_a_cycle_none_of_their_dates_covers() -> None:
    aapc = RULES.bodies["AAPC"]
    later = aapc.model_copy(update={"versions": aapc.versions[1:]})  # from 2015-08-31 on
    assert later.version_for(date(2011, 9, 1), date(2013, 8, 31)) is None
    assert later.version_for(date(2014, 9, 1), date(2016, 8, 31)) is aapc.versions[1]


def test_a_broken_rule_file_stops_the_command(
    cli: CommandLine, roster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _broken(tmp_path, lambda d: d["versions"][1].update(requirement={"by_count": []}))
    monkeypatch.setenv("REMINDERS_BODIES_DIR", str(folder))
    cli.use(roster)
    result = cli("status")
    assert result.code == 2
    assert result.err_lines == [
        (
            f"reminders: {folder / 'aapc.yaml'}: versions[1] (aapc-2015).requirement.by_count: "
            "Tuple should have at least 1 item after validation, not 0"
        )
    ]


def test_a_version_covers_the_cycles_its_dates_say_and_no_others() -> None:
    """Each bound of `applies`, on and either side of its day (a version that governed a cycle
    one day off would apply the wrong table to everyone whose cycle ends that day)."""
    day, one, years = date(2024, 1, 1), timedelta(days=1), timedelta(days=700)
    starts = Applies(cycle_starts_from=day)
    assert starts.covers(day, day + years) and not starts.covers(day - one, day + years)
    ends_from = Applies(cycle_ends_from=day)
    assert ends_from.covers(day - years, day) and not ends_from.covers(day - years, day - one)
    before = Applies(cycle_ends_before=day)
    assert before.covers(day - years, day - one) and not before.covers(day - years, day)
    assert Applies().covers(day, day)
    assert Applies().describe() == "every cycle"
    assert Applies(
        cycle_starts_from=day, cycle_ends_from=day, cycle_ends_before=day + one
    ).describe() == (
        "cycles that begin on or after 2024-01-01 and cycles that end on or after 2024-01-01 "
        "and cycles that end before 2024-01-02"
    )  # fmt: skip


def test_categories_read_as_people_say_them() -> None:
    assert RULES.category_words("AAPC", "specialty:CEMC") == "CEMC specialty"
    assert RULES.category_words("AHIMA", "hiim") == "HIIM domains"
    assert RULES.category_words("AAPC", "practice-management") == "practice management"
    assert RULES.category_words("AAPC", "not-a-category") == "not a category"


@pytest.mark.parametrize(
    ("loc", "data", "shown"),
    [
        (("versions", 1, "requirement", "by_count", "by_count"),
         {"versions": [{"id": "a"}, {"id": "aapc-2015"}]},
         "versions[1] (aapc-2015).requirement.by_count"),
        (("credentials", 0, "code"), {"credentials": [{"code": "CPC"}]},
         "credentials[0] (CPC).code"),
        (("credentials", 3), {"credentials": [{"code": "CPC"}]}, "credentials[3]"),
        (("credentials", 1), {"credentials": [{"code": "CPC"}]}, "credentials[1]"),
        (("versions", 0), {"versions": [{"title": "no id"}]}, "versions[0]"),
        (("choices", 0), {"choices": ["plain"]}, "choices[0]"),
        (("body",), None, "body"),
        ((), {}, "(top level)"),
    ],
)  # fmt: skip
def test_an_error_is_located_by_a_path_a_person_finds_in_the_file(
    loc: tuple[int | str, ...], data: object, shown: str
) -> None:
    assert error_location(loc, data) == shown
