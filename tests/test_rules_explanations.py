"""Every word `reminders status --explain` prints, for a grid of holders and days, compared
with tests/golden/explanations.txt.

The explanation is what an operator reads to audit a figure; each part of it comes from a
different rule (the cycle, the requirement, each minimum, what counted, what settled the cycle
before). A change to any of them shows here as a diff to review, and a wrong change to the code
that writes them (a lost clause, a figure from the wrong variable) cannot pass unnoticed.
After an intended change: UPDATE_GOLDEN=1 pytest tests/test_rules_explanations.py,
then read the diff before committing it.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from reminders.rules.evaluate import evaluate
from reminders.rules.facts import CeuFact, CredentialFact, HolderFacts, MembershipFact
from tests.rules_helpers import RULES, ceu, cred, d, member

GOLDEN = Path(__file__).resolve().parent / "golden" / "explanations.txt"

AAPC_HOLDINGS: dict[str, list[CredentialFact]] = {
    "CPC": [cred("CPC", "2015-01-10")],
    "CPC+CPMA": [cred("CPC", "2015-01-10"), cred("CPMA", "2019-06-03")],
    "CPC+CEMC+CIRCC": [
        cred("CPC", "2015-01-10"),
        cred("CEMC", "2020-02-29"),
        cred("CIRCC", "2025-05-01"),
    ],
    "CPC-A, new": [cred("CPC-A", "2026-01-15")],
    "five": [cred(c, "2016-03-01") for c in ("CPC", "COC", "CPMA", "CPCO", "CDEO")],
}
AHIMA_HOLDINGS: dict[str, list[CredentialFact]] = {
    "RHIA": [cred("RHIA", "2018-09-12")],
    "RHIT+CCS": [cred("RHIT", "2018-09-12"), cred("CCS", "2021-04-30")],
    "RHIA+RHIT+CCS+CCS-P+CDIP": [
        cred(c, "2017-05-05") for c in ("RHIA", "RHIT", "CCS", "CCS-P", "CDIP")
    ],
}
CEUS: dict[str, list[CeuFact]] = {
    "none": [],
    "some": [
        ceu("2025-06-01", 8, "AAPC", "auditing"),
        ceu("2025-12-31", 6.5, "AAPC;AHIMA", "compliance;hiim"),
        ceu("2026-04-01", 4, "AAPC", "ir-cv", provider="ZHealth Publishing"),
        ceu("2026-05-01", 3, "AAPC", "ir-cv", provider="Someone Else"),
        ceu("2026-02-14", 5, "AHIMA", "hiim"),
    ],
    "plenty": [ceu(f"2025-{m:02d}-15", 6, "AAPC;AHIMA",
                   "auditing;compliance;documentation;hiim;specialty:CEMC;ahima-source")
               for m in range(1, 13)]
    + [ceu("2026-03-10", 6, "AAPC", "ir-cv", provider="MedLearn Publishing")],
}  # fmt: skip
MEMBERSHIPS: dict[str, dict[str, MembershipFact]] = {
    "renews 2027-01-31": {"AAPC": member("2027-01-31")},
    "renewed past the end": {"AAPC": member("2027-06-30")},
    "stated end": {"AAPC": member(cycle_ends_on="2026-12-31"), "AHIMA": member(required=40)},
    "none": {},
}
DAYS = ("2026-06-15", "2027-02-20", "2027-06-01")


def _lines() -> list[str]:
    lines: list[str] = []
    grid = itertools.product(AAPC_HOLDINGS.items(), CEUS.items(), MEMBERSHIPS.items())
    # Each AAPC case with one of the AHIMA holdings in turn: every pairing is not needed.
    ahima_in_turn = itertools.cycle(AHIMA_HOLDINGS.items())
    for ((aapc, held), (ceus, records), (membership, memberships)), (ahima, also) in zip(
        grid, ahima_in_turn, strict=False
    ):
        facts = HolderFacts("h-1", tuple(held + also), memberships, tuple(records))
        for day in DAYS:
            lines.append(f"# {aapc} / {ahima} / CEUs: {ceus} / {membership} / {day}")
            evaluations, problems = evaluate(facts, RULES, d(day))
            for e in evaluations:
                lines.append(
                    f"{e.body} {e.status} {e.cycle_start}..{e.cycle_end} deadline {e.deadline} "
                    f"required {e.required} earned {e.earned} remaining {e.remaining} "
                    f"pace {e.pace_per_month} stated {e.required_stated}"
                )
                lines += [f"  minimum {m}" for m in e.minimums]
                lines += [f"  - {part}" for part in e.explanation]
            lines += [f"{p.body} problem: {p.message}" for p in problems]
    return lines


def test_the_explanations_are_the_reviewed_ones() -> None:
    found = "\n".join(_lines()) + "\n"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(found)
    expected = GOLDEN.read_text()
    if found != expected:
        # The first line that differs, rather than a diff of thousands of lines.
        for number, (mine, theirs) in enumerate(
            zip(found.splitlines(), expected.splitlines(), strict=False), start=1
        ):
            assert mine == theirs, f"tests/golden/explanations.txt line {number}"
        assert len(found.splitlines()) == len(expected.splitlines())
