"""The rules engine against the cases of the rules reference (§4), worked out by hand.

Every expected number is written out, with the arithmetic in the comment beside it; none is
computed by the code under test. The edge-case numbers of the reference appear in the names.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from reminders.rules.evaluate import evaluate
from reminders.rules.facts import HolderFacts
from reminders.rules.loader import MissingHistory
from reminders.rules.results import Problem
from tests.rules_helpers import RULES, cents, ceu, cred, d, holder, member, only


@dataclass(frozen=True)
class Expect:
    cycle: tuple[str, str]
    required: float
    earned: float
    remaining: float
    status: str
    days_left: int
    minimums: dict[str, tuple[float, float]] = field(
        default_factory=dict
    )  # category: (req, earned)
    version: str | None = None


@dataclass(frozen=True)
class Case:
    facts: HolderFacts
    as_of: str
    expect: Expect
    missing: MissingHistory = "lapsed"
    """"settled" for the cases about CEUs moving between an ended cycle and the next before the
    membership is renewed: by default that unrenewed membership makes them overdue
    (tests/test_rules_missing_history.py); here the CEUs alone decide."""


CPC = cred("CPC", "2019-03-14")

CASES = {
    # §4.1: March is odd, so CEUs fall due in odd years, on the membership date.
    # Cycle 2025-04-01 .. 2027-03-31 (730 days); on 2026-11-24, 602 days have passed:
    # pace 36 x (602 - 30)/730 = 28.2 > 20 earned: behind. Days left: 6 + 31 + 31 + 28 + 31 = 127.
    "aapc 1: odd membership month, odd years": Case(
        holder([CPC], [ceu("2025-05-14", 10), ceu("2026-06-11", 10)], AAPC=member("2027-03-31")),
        "2026-11-24",
        Expect(("2025-04-01", "2027-03-31"), 36, 20, 16, "behind", 127, version="aapc-2015"),
    ),
    # §4.1: December is even: the membership renewing 2027-12-31 has CEUs due 2026-12-31.
    "aapc 1: even membership month, even years": Case(
        holder([CPC], [ceu("2025-02-01", 20), ceu("2026-10-01", 16)], AAPC=member("2027-12-31")),
        "2026-11-24",
        Expect(("2025-01-01", "2026-12-31"), 36, 36, 0, "complete", 37),
    ),
    # §4.2 and §4.3: certified 2025-09-20, AAPC states 27 for the pro-rated first cycle. The CEU
    # of 2025-03-12 predates certification and does not count: 2 + 10 = 12 of 27.
    # Pace from certification: 430 of 499 days, 27 x (430 - 30)/499 = 21.6 > 12: behind.
    "aapc 2+3: stated first-cycle figure wins; CEUs before certification never count": Case(
        holder(
            [cred("CPC", "2025-09-20")],
            [ceu("2025-03-12", 1), ceu("2025-11-05", 2), ceu("2026-06-01", 10)],
            AAPC=member("2027-01-31", cycle_ends_on="2027-01-31", required=27),
        ),
        "2026-11-24",
        Expect(("2025-09-20", "2027-01-31"), 27, 12, 15, "behind", 68),
    ),
    # §4.4: 30 + the renewal-month 6 complete the ended cycle (36), so the March CEU stays
    # there; the new cycle has only its own 2, on its day 30, inside the 90 days of grace: on track.
    # Days left: 2025-05-01 to 2027-05-01 is 730 days, less April's 30 and 1: 699.
    "aapc 4: a renewal-month CEU the ending cycle needs stays in it": Case(
        holder(
            [cred("CPC", "2015-01-10")],
            [ceu("2024-06-01", 30), ceu("2025-03-10", 6), ceu("2025-04-15", 2)],
            AAPC=member("2025-03-31"),
        ),
        "2025-05-01",
        Expect(("2025-04-01", "2027-03-31"), 36, 2, 34, "on_track", 699),
        missing="settled",
    ),
    # §4.4 and §4.5: 36 alone complete the ended cycle, so the renewal-month 6 move to the new
    # one (6 + 2 = 8); the ended cycle's surplus does not carry over.
    "aapc 4+5: an unneeded renewal-month CEU moves on; no carry-over": Case(
        holder(
            [cred("CPC", "2015-01-10")],
            [ceu("2024-06-01", 50), ceu("2025-03-10", 6), ceu("2025-04-15", 2)],
            AAPC=member("2025-03-31"),
        ),
        "2025-05-01",
        Expect(("2025-04-01", "2027-03-31"), 36, 8, 28, "on_track", 699),
        missing="settled",
    ),
    # §4.7 and the 90-day window (§1.5): 20 of 36 by 2025-03-31; on 2025-05-01 the credential is
    # overdue, 31 days past the due date; AAPC revokes after 2025-06-29.
    "aapc: overdue inside the 90 days after the due date": Case(
        holder([cred("CPC", "2015-01-10")], [ceu("2024-06-01", 20)], AAPC=member("2025-03-31")),
        "2025-05-01",
        Expect(("2023-04-01", "2025-03-31"), 36, 20, 16, "overdue", -31),
    ),
    # 106 days after the due date the window has closed.
    "aapc: lapsed once the 90 days are over": Case(
        holder([cred("CPC", "2015-01-10")], [ceu("2024-06-01", 20)], AAPC=member("2025-03-31")),
        "2025-07-15",
        Expect(("2023-04-01", "2025-03-31"), 36, 20, 16, "lapsed", -106),
    ),
    # Choice late-ceus: 16 CEUs on 2025-04-20 complete the overdue cycle and then do not count
    # for the new one, which has nothing yet. Day 30 of the cycle is inside the 90 days of grace
    # (interfaces.md): on track, not behind.
    "aapc: late CEUs solve the overdue cycle and count once": Case(
        holder(
            [cred("CPC", "2015-01-10")],
            [ceu("2024-06-01", 20), ceu("2025-04-20", 16)],
            AAPC=member("2025-03-31"),
        ),
        "2025-05-01",
        Expect(("2025-04-01", "2027-03-31"), 36, 0, 36, "on_track", 699),
        missing="settled",
    ),
    # §4.8 (the interfaces.md example): CPC + CPMA need 40 with 16 auditing inside; 40 earned
    # with 4 auditing leaves 12 to earn. Pace 40 x (602 - 30)/730 = 31.3 <= 40: on track.
    "aapc 8: minimums are inside the total": Case(
        holder(
            [CPC, cred("CPMA", "2021-06-02")],
            [ceu("2025-06-01", 36), ceu("2026-01-10", 4, categories="auditing")],
            AAPC=member("2027-03-31"),
        ),
        "2026-11-24",
        Expect(("2025-04-01", "2027-03-31"), 40, 40, 12, "on_track", 127, {"auditing": (16, 4)}),
    ),
    # §4.9: CPC + CPMA + CEMC need 44, with 16 auditing and 8 CEMC. A 16-CEU course approved for
    # both auditing and CEMC fills both; with 28 more the cycle is complete.
    "aapc 9: a specialty CEU also counts toward a core minimum": Case(
        holder(
            [CPC, cred("CPMA", "2021-06-02"), cred("CEMC", "2022-04-18")],
            [ceu("2025-06-01", 16, categories="auditing;specialty:CEMC"), ceu("2026-02-01", 28)],
            AAPC=member("2027-03-31"),
        ),
        "2026-11-24",
        Expect(
            ("2025-04-01", "2027-03-31"),
            44,
            44,
            0,
            "complete",
            127,
            {"auditing": (16, 16), "specialty:CEMC": (8, 16)},
        ),
    ),
    # The allocation: CPC + CPMA + CPCO need 44 with 16 auditing and 16 compliance. A greedy pass
    # gives the 16-CEU course (auditing or compliance) to auditing and leaves compliance at 0.
    # Best: it fills compliance, the 10 auditing-only CEUs go to auditing: 6 short in all.
    "aapc 8: a CEU tagged for two minimums goes where it helps most": Case(
        holder(
            [CPC, cred("CPMA", "2021-06-02"), cred("CPCO", "2021-06-02")],
            [
                ceu("2025-05-01", 16, categories="auditing;compliance"),
                ceu("2025-06-01", 10, categories="auditing"),
                ceu("2025-07-01", 18),
            ],
            AAPC=member("2027-03-31"),
        ),
        "2026-11-24",
        Expect(
            ("2025-04-01", "2027-03-31"),
            44,
            44,
            6,
            "on_track",
            127,
            {"auditing": (16, 10), "compliance": (16, 16)},
        ),
    ),
    # §4.10: CIRCC's 16 IR/CV CEUs must come from one of three vendors.
    "aapc 10: CIRCC CEUs from another vendor do not fill the minimum": Case(
        holder(
            [CPC, cred("CIRCC", "2020-01-01")],
            [
                ceu("2025-06-01", 16, categories="ir-cv", provider="Acme Seminars"),
                ceu("2026-01-01", 24),
            ],
            AAPC=member("2027-03-31"),
        ),
        "2026-11-24",
        Expect(("2025-04-01", "2027-03-31"), 40, 40, 16, "on_track", 127, {"ir-cv": (16, 0)}),
    ),
    "aapc 10: CIRCC CEUs from a listed vendor do": Case(
        holder(
            [CPC, cred("CIRCC", "2020-01-01")],
            [
                ceu("2025-06-01", 16, categories="ir-cv", provider="MedLearn Publishing, Inc."),
                ceu("2026-01-01", 24),
            ],
            AAPC=member("2027-03-31"),
        ),
        "2026-11-24",
        Expect(("2025-04-01", "2027-03-31"), 40, 40, 0, "complete", 127, {"ir-cv": (16, 16)}),
    ),
    # §4.11 and §4.3 for a minimum: CPMA earned 2026-01-15, inside the cycle; the auditing CEU of
    # 2025-10-01 counts toward the total (CPC held) but not toward CPMA's 16. Pace
    # 40 x (602 - 30)/730 = 31.3 > 16: behind.
    "aapc 11: a credential's minimum counts from its own certification": Case(
        holder(
            [CPC, cred("CPMA", "2026-01-15")],
            [
                ceu("2025-10-01", 8, categories="auditing"),
                ceu("2026-02-19", 8, categories="auditing"),
            ],
            AAPC=member("2027-03-31"),
        ),
        "2026-11-24",
        Expect(("2025-04-01", "2027-03-31"), 40, 16, 24, "behind", 127, {"auditing": (16, 8)}),
    ),
    # §4.19 and §4.20: a cycle ending 2014-12-31 (before 2015-08-31) follows the older table: CPPM
    # alone needed 36 practice-management CEUs.
    "aapc 19+20: CPPM alone under the older table": Case(
        holder([cred("CPPM", "2009-05-01")], [ceu("2013-06-01", 36)], AAPC=member("2014-12-31")),
        "2014-11-01",
        Expect(
            ("2013-01-01", "2014-12-31"),
            36,
            36,
            36,
            "on_track",
            60,
            {"practice-management": (36, 0)},
            version="aapc-2012",
        ),
    ),
    "aapc 19: CPPM alone under the current table needs 16": Case(
        holder([cred("CPPM", "2009-05-01")], [ceu("2025-06-01", 36)], AAPC=member("2026-12-31")),
        "2026-11-01",
        Expect(
            ("2025-01-01", "2026-12-31"),
            36,
            36,
            16,
            "on_track",
            60,
            {"practice-management": (16, 0)},
            version="aapc-2015",
        ),
    ),
    # §4.20: two credentials under the older table: 48, with 24 auditing.
    "aapc 20: the older table for two credentials": Case(
        holder(
            [cred("CPC", "2005-01-01"), cred("CPMA", "2010-01-01")],
            [ceu("2013-06-01", 24, categories="auditing"), ceu("2014-03-01", 24)],
            AAPC=member("2014-12-31"),
        ),
        "2014-11-01",
        Expect(
            ("2013-01-01", "2014-12-31"),
            48,
            48,
            0,
            "complete",
            60,
            {"auditing": (24, 24)},
            version="aapc-2012",
        ),
    ),
    # A cycle that straddles the (unknown) AAPC changeover follows the table of its end date
    # (choice Q1): ending 2015-09-30, after 2015-08-31, it follows the current one: 40, 16.
    "aapc 20: a cycle ending after 2015-08-31 follows the current table": Case(
        holder(
            [cred("CPC", "2005-01-01"), cred("CPMA", "2010-01-01")],
            [ceu("2014-06-01", 16, categories="auditing"), ceu("2015-03-01", 24)],
            AAPC=member("2015-09-30"),
        ),
        "2015-09-01",
        Expect(
            ("2013-10-01", "2015-09-30"),
            40,
            40,
            0,
            "complete",
            29,
            {"auditing": (16, 16)},
            version="aapc-2015",
        ),
    ),
    # An apprentice credential is its full credential: CPC-A then CPC is one credential, 36.
    # Pace 36 x (602 - 30)/730 = 28.2 > 10: behind.
    "aapc: CPC-A and CPC count once": Case(
        holder(
            [cred("CPC-A", "2024-01-10"), cred("CPC", "2025-06-01")],
            [ceu("2025-05-01", 10)],
            AAPC=member("2027-03-31"),
        ),
        "2026-11-24",
        Expect(("2025-04-01", "2027-03-31"), 36, 10, 26, "behind", 127),
    ),
    # 29 February: a membership to the end of February falls due in even years, on the last day
    # of February: 2026-02-28, then 2028-02-29.
    "aapc: month-end membership in a leap year": Case(
        holder([CPC], [ceu("2026-04-01", 36)], AAPC=member("2027-02-28")),
        "2026-11-24",
        Expect(("2026-03-01", "2028-02-29"), 36, 36, 0, "complete", 462),
    ),
    # A stated cycle end in the past is the cycle to check: 2024-07-01 .. 2026-06-30 with 20 of
    # 36; 90 days after 2026-06-30 is 2026-09-28, long gone on 2026-11-24: lapsed.
    "aapc: a stated cycle that has ended is checked": Case(
        holder([CPC], [ceu("2025-01-10", 20)], AAPC=member(cycle_ends_on="2026-06-30")),
        "2026-11-24",
        Expect(("2024-07-01", "2026-06-30"), 36, 20, 16, "lapsed", -147),
    ),
    # §4.22 and 29 February: an AHIMA cycle runs two years from the exam day; from 29 February
    # 2024 it ends on 28 February 2026. CCS alone: 20, 80% HIIM (16).
    "ahima 22: cycle from the exam day, begun on 29 February": Case(
        holder(
            [cred("CCS", "2024-02-29")],
            [ceu("2024-05-01", 16, "AHIMA", "hiim"), ceu("2025-05-01", 4, "AHIMA")],
        ),
        "2026-02-28",
        Expect(
            ("2024-02-29", "2026-02-28"),
            20,
            20,
            0,
            "complete",
            0,
            {"hiim": (16, 16)},
            version="ahima-2024",
        ),
    ),
    # §4.24: 80% of 20 in HIIM: 12 of 16, so 4 remain although 20 CEUs are earned (all from
    # AHIMA sources, as this cycle, begun in 2025, needs 40% of them so).
    "ahima 24: 80% in HIIM domains": Case(
        holder(
            [cred("CCS", "2023-05-11")],
            [
                ceu("2025-06-01", 12, "AHIMA", "hiim;ahima-source"),
                ceu("2025-07-01", 8, "AHIMA", "ahima-source"),
            ],
        ),
        "2026-11-24",
        Expect(
            ("2025-05-11", "2027-05-10"),
            20,
            20,
            4,
            "on_track",
            167,
            {"hiim": (16, 12), "ahima-source": (8, 20)},
        ),
    ),
    # §4.23 and §4.30: RHIA 30 + CCS + CCS-P: 30 + 10 + 10 = 50; RHIT is superseded by RHIA.
    # 80% HIIM of 50 = 40. A cycle begun 2024-05-11 follows the 2024 update (no 40% rule).
    "ahima 23+30: three credentials, RHIT superseded, 50": Case(
        holder(
            [
                cred("RHIT", "2020-05-11"),
                cred("RHIA", "2022-05-11"),
                cred("CCS", "2023-01-01"),
                cred("CCS-P", "2023-02-01"),
            ],
            [ceu("2024-06-01", 40, "AHIMA", "hiim"), ceu("2025-06-01", 10, "AHIMA")],
        ),
        "2026-01-10",
        Expect(
            ("2024-05-11", "2026-05-10"),
            50,
            50,
            0,
            "complete",
            120,
            {"hiim": (40, 40)},
            version="ahima-2024",
        ),
    ),
    # §4.25: a cycle that begins 2025-03-03 carries the 40% AHIMA-source rule: 8 of 20. 5 CEUs
    # that are both HIIM and from AHIMA: HIIM 5 of 16 (11 short), source 5 of 8 (3 short);
    # remaining max(20 - 5, 11, 3) = 15. Pace 20 x (631 - 30)/730 = 16.5 > 5: behind.
    "ahima 25: 40% from AHIMA sources for cycles from 2025": Case(
        holder([cred("CCS-P", "2025-03-03")], [ceu("2025-08-26", 5, "AHIMA", "hiim;ahima-source")]),
        "2026-11-24",
        Expect(
            ("2025-03-03", "2027-03-02"),
            20,
            5,
            15,
            "behind",
            98,
            {"hiim": (16, 5), "ahima-source": (8, 5)},
            version="ahima-2025",
        ),
    ),
    # §4.26: the 2024 update covers cycles that begin in 2024 or later; one that began
    # 2023-05-11 follows the 2021 rules.
    "ahima 26: a cycle begun in 2023 follows the 2021 rules": Case(
        holder([cred("CCA", "2023-05-11")], [ceu("2024-01-01", 20, "AHIMA", "hiim")]),
        "2025-01-10",
        Expect(
            ("2023-05-11", "2025-05-10"),
            20,
            20,
            0,
            "complete",
            120,
            {"hiim": (16, 20)},
            version="ahima-2021",
        ),
    ),
    # §4.27: a cycle ending 2019-05-31 (before 2021) needs two self-reviews, 10 CEUs, inside
    # the 20. Self-review CEUs are also HIIM, so both minimums are met.
    "ahima 27: self-reviews before 2021": Case(
        holder(
            [cred("CCS", "2017-06-01")],
            [
                ceu("2017-12-01", 10, "AHIMA", "hiim;coding-self-review"),
                ceu("2018-06-01", 8, "AHIMA", "hiim"),
                ceu("2018-09-01", 2, "AHIMA"),
            ],
        ),
        "2019-01-15",
        Expect(
            ("2017-06-01", "2019-05-31"),
            20,
            20,
            0,
            "complete",
            136,
            {"hiim": (16, 18), "coding-self-review": (10, 10)},
            version="ahima-2019",
        ),
    ),
    # §4.27, choice straddle-2021: a cycle ending 2021-02-28 needs no self-review.
    "ahima 27: a cycle straddling 2021 needs no self-review": Case(
        holder([cred("CCS", "2019-03-01")], [ceu("2020-01-01", 20, "AHIMA", "hiim")]),
        "2020-12-01",
        Expect(
            ("2019-03-01", "2021-02-28"),
            20,
            20,
            0,
            "complete",
            89,
            {"hiim": (16, 20)},
            version="ahima-2021",
        ),
    ),
    # §4.28 before 2021: a 3-month grace. The cycle ended 2019-05-31 with 10 of 20 and no
    # self-review; on 2019-07-15 it is in its grace (until 2019-08-31). Remaining: the 10 CEUs
    # of self-review would also close the total.
    "ahima 28: overdue in the pre-2021 grace": Case(
        holder([cred("CCS", "2017-06-01")], [ceu("2018-01-01", 10, "AHIMA", "hiim")]),
        "2019-07-15",
        Expect(
            ("2017-06-01", "2019-05-31"),
            20,
            10,
            10,
            "overdue",
            -45,
            {"hiim": (16, 10), "coding-self-review": (10, 0)},
            version="ahima-2019",
        ),
    ),
    "ahima 28: lapsed after the pre-2021 grace": Case(
        holder([cred("CCS", "2017-06-01")], [ceu("2018-01-01", 10, "AHIMA", "hiim")]),
        "2019-09-15",
        Expect(
            ("2017-06-01", "2019-05-31"),
            20,
            10,
            10,
            "lapsed",
            -107,
            {"hiim": (16, 10), "coding-self-review": (10, 0)},
            version="ahima-2019",
        ),
    ),
    # §4.28 from 2021: inactive at the end, revoked after 180 days (2026-08-29 + 180 =
    # 2027-02-25). RHIT + CCS: 20 + 10 = 30, HIIM 24.
    "ahima 28: inactive for 180 days after 2021": Case(
        holder(
            [cred("RHIT", "2016-08-30"), cred("CCS", "2023-05-11")],
            [ceu("2024-10-21", 5, "AHIMA", "ahima-source")],
        ),
        "2026-11-24",
        Expect(
            ("2024-08-30", "2026-08-29"),
            30,
            5,
            25,
            "overdue",
            -87,
            {"hiim": (24, 0)},
            version="ahima-2024",
        ),
    ),
    # The AHIMA example of docs/rules.md: RHIA + CCS, 30 + 10 = 40, HIIM 32, AHIMA source 16
    # (the cycle began 2025-06-15). 20 + 10 + 6 = 36 earned, 30 of them HIIM: 4 remain.
    # Pace 40 x (527 - 30)/730 = 27.2 <= 36: on track.
    "docs: RHIA + CCS": Case(
        holder(
            [cred("RHIA", "2019-06-15"), cred("CCS", "2023-03-01")],
            [
                ceu("2025-09-10", 20, "AHIMA", "hiim;ahima-source"),
                ceu("2026-02-02", 10, "AHIMA", "hiim"),
                ceu("2026-05-20", 6, "AHIMA"),
            ],
        ),
        "2026-11-24",
        Expect(
            ("2025-06-15", "2027-06-14"),
            40,
            36,
            4,
            "on_track",
            202,
            {"hiim": (32, 30), "ahima-source": (16, 20)},
            version="ahima-2025",
        ),
    ),
    # §4.32: retired credentials still need CEUs: PCS, 20.
    "ahima 32: a retired credential still needs CEUs": Case(
        holder([cred("PCS", "2010-04-01")], [ceu("2025-01-01", 20, "AHIMA", "hiim")]),
        "2025-06-01",
        Expect(("2024-04-01", "2026-03-31"), 20, 20, 0, "complete", 303, {"hiim": (16, 20)}),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_case(case: Case) -> None:
    [result], problems = evaluate(
        case.facts, replace(RULES, missing_history=case.missing), d(case.as_of)
    )
    assert not problems
    expect = case.expect
    assert (result.cycle_start, result.cycle_end) == (d(expect.cycle[0]), d(expect.cycle[1]))
    assert result.required == cents(expect.required)
    assert result.earned == cents(expect.earned)
    assert result.remaining == cents(expect.remaining)
    assert result.status == expect.status
    assert result.days_left == expect.days_left
    minimums = {m.category: (m.required, m.earned) for m in result.minimums}
    assert minimums == {k: (cents(r), cents(e)) for k, (r, e) in expect.minimums.items()}
    if expect.version:
        assert result.version == expect.version


@pytest.mark.parametrize(
    ("codes", "required"),
    [
        (["CCS", "CCS-P"], 30),  # 20 + 10 (AHIMA's own example)
        (["CHPS", "RHIT"], 40),  # 30 + 10
        (["RHIA", "CHDA"], 40),
        (["RHIA", "CDIP"], 40),
        (["RHIA", "CCS", "CCS-P"], 50),  # 30 + 10 + 10
        (["RHIA", "CDIP", "CHDA", "CCS"], 50),  # 30 + 30: capped at 50
        (["RHIA", "RHIT"], 30),  # RHIT superseded
        (["CHTS-CP"], 20),
        (["CPHI"], 30),
    ],
)
def test_ahima_requirement_for_several_credentials(codes: list[str], required: int) -> None:
    facts = holder([cred(code, "2024-06-01") for code in codes])
    assert only(facts, "2025-01-01").required == required * 100


@pytest.mark.parametrize(
    ("count", "required"), [(1, 36), (2, 40), (3, 44), (4, 48), (5, 52), (6, 52)]
)
def test_aapc_requirement_by_number_of_credentials(count: int, required: int) -> None:
    codes = ["CPC", "CRC", "CPB", "CIC", "COC", "CPC-P"][:count]
    facts = holder([cred(code, "2020-01-01") for code in codes], AAPC=member("2027-03-31"))
    assert only(facts, "2026-01-01").required == required * 100


def test_first_cycle_without_a_stated_figure_asks_for_it() -> None:
    facts = holder([cred("CPC", "2025-09-20")], AAPC=member("2027-01-31"))
    result = only(facts, "2026-11-24")
    assert result.required == 3600 and not result.required_stated
    assert any("choice Q4" in reason for reason in result.explanation)


def test_a_membership_without_dates_is_reported_not_guessed() -> None:
    evaluations, problems = evaluate(holder([cred("CPC", "2020-01-01")]), RULES, d("2026-01-01"))
    assert evaluations == []
    assert problems == [
        Problem(
            "h-1",
            "AAPC",
            "no membership date: add renews_on (or cycle_ends_on) for AAPC to memberships.csv",
        )
    ]


def test_a_roster_loaded_today_is_not_taken_for_lapsed() -> None:
    """No CEUs recorded in the ended cycle and no dates from the body: it is not judged."""
    facts = holder([cred("CCS", "2020-05-11")], [ceu("2026-06-01", 5, "AHIMA", "hiim")])
    result = only(facts, "2026-07-01")
    assert (result.cycle_start, result.status) == (d("2026-05-11"), "on_track")
    assert any("taken as settled" in reason for reason in result.explanation)


def test_a_renewed_membership_settles_the_ended_cycle() -> None:
    facts = holder([CPC], [ceu("2024-06-01", 2)], AAPC=member("2026-03-31"))
    result = only(facts, "2025-05-01")
    assert result.cycle_end == d("2027-03-31")
    assert any("has renewed the membership" in reason for reason in result.explanation)


def test_credentials_not_yet_earned_are_ignored() -> None:
    facts = holder([cred("CCS", "2027-01-01")])
    assert evaluate(facts, RULES, d("2026-11-24")) == ([], [])


def test_both_bodies_are_evaluated_in_order() -> None:
    facts = holder(
        [cred("RHIA", "2018-02-06"), cred("CPC", "2017-10-12")],
        [ceu("2025-06-20", 12, "AAPC;AHIMA", "hiim")],
        AAPC=member("2027-05-31"),
    )
    evaluations, _ = evaluate(facts, RULES, d("2026-01-10"))
    assert [(e.body, e.earned) for e in evaluations] == [("AAPC", 1200), ("AHIMA", 1200)]


def test_every_reason_names_its_rule_and_sources() -> None:
    result = only(CASES["aapc 8: minimums are inside the total"].facts, "2026-11-24")
    text = "\n".join(result.explanation)
    assert "[aapc.cycle; P5, P6, P7]" in text
    assert "[aapc-2015.requirement; P1, P2, P4]" in text
    assert "[aapc-2015.minimum.CPMA; P1, P2, P4]" in text


def test_an_apprentice_keeps_its_code_until_the_full_credential() -> None:
    membership = member("2027-03-31")
    apprentice = only(holder([cred("CPC-A", "2024-01-10")], AAPC=membership), "2026-11-24")
    assert (apprentice.credentials, apprentice.required) == (("CPC-A",), 3600)
    both = [cred("CPC-A", "2024-01-10"), cred("CPC", "2025-06-01")]
    full = only(holder(both, AAPC=membership), "2026-11-24")
    assert (full.credentials, full.cycle_start) == (("CPC",), d("2025-04-01"))
