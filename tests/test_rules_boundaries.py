"""The rules engine on the days where one day more or less changes the answer: the first and
last day of a cycle, of a renewal month and of the window after the deadline; certification and
CEUs on those days; and what an evaluation carries besides its figures. Found untested by
`make mutation` (docs/mutation.md); every figure is worked out by hand in the comment beside it.

The usual holder: a CPC since 2015 whose AAPC membership month is March (odd), so the ended
cycle is 2023-04-01 .. 2025-03-31, its deadline 90 days on, 2025-06-29, and the current cycle
2025-04-01 .. 2027-03-31. A membership still dated 2025-03-31 has not renewed; the days are
read with REMINDERS_MISSING_HISTORY=settled, so that the CEUs recorded in the ended cycle decide
(by default the unrenewed membership would make every one overdue: see
tests/test_rules_missing_history.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import pytest

from reminders.rules.evaluate import evaluate
from reminders.rules.facts import CeuFact, CredentialFact, HolderFacts, MembershipFact
from reminders.rules.loader import Rulebook
from reminders.rules.settle import sums_suffice
from tests.rules_helpers import RULES, cents, ceu, cred, d, holder, member, only

CPC = cred("CPC", "2015-01-10")
NOT_RENEWED = member("2025-03-31")
RENEWED = member("2027-03-31")
ENDED = ("2023-04-01", "2025-03-31")
CURRENT = ("2025-04-01", "2027-03-31")
SETTLED = replace(RULES, missing_history="settled")


@dataclass(frozen=True)
class Day:
    facts: HolderFacts
    as_of: str
    cycle: tuple[str, str]
    required: float
    earned: float
    status: str
    reasons: int
    """Lines of explanation: the cycle, the version, the requirement, then one per further
    reason (settled, pro-rated, overdue, a minimum), and the CEUs counted."""


DAYS = {
    # 36 on the ended cycle's first day complete it: the current cycle starts from nothing,
    # and the ended one is checked, not "taken as settled" for want of CEUs.
    "a CEU on the ended cycle's first day is in it": Day(
        holder([CPC], [ceu("2023-04-01", 36)], AAPC=NOT_RENEWED),
        "2025-06-01", CURRENT, 36, 0, "on_track", 4,
    ),
    # 2025-03-31 is both the cycle's last day and in its renewal month.
    "a CEU on the ended cycle's last day is in it": Day(
        holder([CPC], [ceu("2025-03-31", 36)], AAPC=NOT_RENEWED),
        "2025-06-01", CURRENT, 36, 0, "on_track", 4,
    ),
    # The renewal month starts on 1 March: the ended cycle is complete without the 5, which
    # move to the current cycle.
    "renewal-month CEUs from the month's first day move on when not needed": Day(
        holder([CPC], [ceu("2024-06-01", 36), ceu("2025-03-01", 5)], AAPC=NOT_RENEWED),
        "2025-06-01", CURRENT, 36, 5, "on_track", 4,
    ),
    # 31 + the 5 of 1 March make the 36: they stay in the ended cycle.
    "renewal-month CEUs from the month's first day stay when needed": Day(
        holder([CPC], [ceu("2024-06-01", 31), ceu("2025-03-01", 5)], AAPC=NOT_RENEWED),
        "2025-06-01", CURRENT, 36, 0, "on_track", 4,
    ),
    # 31 + the 5 of 15 March complete the ended cycle; the 3 of 1 April are the current one's.
    "a CEU on the current cycle's first day is its own when the ended one takes March's": Day(
        holder(
            [CPC],
            [ceu("2024-06-01", 31), ceu("2025-03-15", 5), ceu("2025-04-01", 3)],
            AAPC=NOT_RENEWED,
        ),
        "2025-06-01", CURRENT, 36, 3, "on_track", 4,
    ),
    # 30 + 5 on the last day make 35 of 36; that CEU is not also one after the cycle's end.
    "a CEU on the cycle's last day is not counted twice": Day(
        holder([CPC], [ceu("2024-06-01", 30), ceu("2025-03-31", 5)], AAPC=NOT_RENEWED),
        "2025-05-01", ENDED, 36, 35, "overdue", 5,
    ),
    # 30 + 6 completed after the end, on the day of the evaluation, within the 90 days.
    "a late CEU completed today completes the ended cycle": Day(
        holder([CPC], [ceu("2024-06-01", 30), ceu("2025-05-01", 6)], AAPC=NOT_RENEWED),
        "2025-05-01", CURRENT, 36, 0, "on_track", 4,
    ),
    "on the deadline itself the ended cycle is overdue": Day(
        holder([CPC], [ceu("2024-06-01", 30)], AAPC=NOT_RENEWED),
        "2025-06-29", ENDED, 36, 30, "overdue", 5,
    ),
    "the day after the deadline it has lapsed": Day(
        holder([CPC], [ceu("2024-06-01", 30)], AAPC=NOT_RENEWED),
        "2025-06-30", ENDED, 36, 30, "lapsed", 5,
    ),
    # Two credentials on the ended cycle's last day: 40 for it, and 36 are not enough.
    "a credential earned on a cycle's last day is held in that cycle": Day(
        holder([CPC, cred("COC", "2025-03-31")], [ceu("2024-06-01", 36)], AAPC=NOT_RENEWED),
        "2025-05-01", ENDED, 40, 36, "overdue", 5,
    ),
    # The COC of 15 April raises the current cycle to 40, not the ended one, which 36 complete.
    "a credential earned after a cycle ended leaves its requirement": Day(
        holder([CPC, cred("COC", "2025-04-15")], [ceu("2024-06-01", 36)], AAPC=NOT_RENEWED),
        "2025-05-01", CURRENT, 40, 0, "on_track", 4,
    ),
    # Certified on the current cycle's first day: a whole cycle, not a pro-rated first one,
    # and no earlier cycle to settle.
    "certified on a cycle's first day, the cycle is whole": Day(
        holder([cred("CPC", "2025-04-01")], AAPC=RENEWED),
        "2025-06-01", CURRENT, 36, 0, "on_track", 4,
    ),
    # Certified on the ended cycle's last day, with a CEU that day: that one-day cycle is the
    # first, pro-rated (Q4), and it is checked; 1 of 36.
    "certified on a cycle's last day, the holder held it": Day(
        holder([cred("CPC", "2025-03-31")], [ceu("2025-03-31", 1)], AAPC=NOT_RENEWED),
        "2025-06-01", ("2025-03-31", "2025-03-31"), 36, 1, "overdue", 6,
    ),
    # A stated cycle is the current one through its last day; the one before is not checked.
    "a stated cycle is current on its last day": Day(
        holder([CPC], AAPC=member("2027-03-31", cycle_ends_on="2027-03-31")),
        "2027-03-31", CURRENT, 36, 0, "behind", 4,
    ),
    # Certified today with 36 completed today: the first cycle, pro-rated, complete.
    "a credential earned and a CEU completed today both count": Day(
        holder([cred("CPC", "2025-07-01")], [ceu("2025-07-01", 36)], AAPC=RENEWED),
        "2025-07-01", ("2025-07-01", "2027-03-31"), 36, 36, "complete", 5,
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", DAYS.values(), ids=list(DAYS))
def test_a_boundary_day(case: Day) -> None:
    [result], _ = evaluate(case.facts, SETTLED, d(case.as_of))
    assert (result.cycle_start, result.cycle_end) == (d(case.cycle[0]), d(case.cycle[1]))
    assert (result.required, result.earned) == (cents(case.required), cents(case.earned))
    assert result.status == case.status
    assert len(result.explanation) == case.reasons, list(result.explanation)


def test_a_ceu_of_the_day_a_minimums_credential_was_earned_counts_toward_it() -> None:
    facts = holder(
        [CPC, cred("CPMA", "2025-06-01")],
        [ceu("2025-06-01", 16, "AAPC", "auditing")],
        AAPC=RENEWED,
    )
    result = only(facts, "2025-07-01")
    assert [(m.category, m.required, m.earned) for m in result.minimums] == [
        ("auditing", 1600, 1600)
    ]


def test_a_membership_date_in_mid_month_is_the_due_day() -> None:
    """15 March: March is odd, so the cycle ends on 15 March of odd years; the explanation says
    the day, and the evaluation carries the renewal date and when submission opens (a month
    before the cycle's end, AAPC)."""
    result = only(holder([CPC], [ceu("2023-04-01", 36)], AAPC=member("2025-03-15")), "2025-03-10")
    assert (result.cycle_start, result.cycle_end) == (d("2023-03-16"), d("2025-03-15"))
    assert result.explanation[0] == (
        "cycle 2023-03-16 to 2025-03-15: CEUs are due on the membership date (March 15) in odd "
        "years, as the membership month is odd [aapc.cycle; P5, P6, P7]"
    )
    assert (result.renews_on, result.submission_opens) == (d("2025-03-15"), d("2025-02-15"))


def test_a_cycle_ahima_states_ends_on_its_day() -> None:
    facts = holder([cred("RHIT", "2014-06-01")], AHIMA=member(cycle_ends_on="2026-05-31"))
    result = only(facts, "2026-01-01")
    assert (result.cycle_start, result.cycle_end) == (d("2024-06-01"), d("2026-05-31"))
    assert result.explanation[0] == (
        "cycle 2024-06-01 to 2026-05-31: the cycle ends on 2026-05-31, as AHIMA states it "
        "[ahima.cycle; H2, H3, H7, H8]"
    )


def test_a_body_without_dues_or_submission_dates_carries_none() -> None:
    """AHIMA has no annual membership dues and says nothing of when submission opens: a
    renewal date recorded for it is not passed on as one."""
    facts = holder([cred("RHIT", "2014-06-01")], AHIMA=member("2026-02-01"))
    result = only(facts, "2026-01-01")
    assert (result.renews_on, result.submission_opens) == (None, None)


def test_an_evaluation_says_whose_it_is() -> None:
    facts = HolderFacts("h-7", (CPC,), {"AAPC": RENEWED}, (), owner="org3")
    [result], _ = evaluate(facts, RULES, d("2026-01-01"))
    assert (result.holder_id, result.owner) == ("h-7", "org3")


def _changed(code: str, **changes: object) -> Rulebook:
    """The rulebook with one body changed, as another rule file would have it."""
    body = RULES.bodies[code]
    return Rulebook(bodies={**RULES.bodies, code: body.model_copy(update=changes)})


def test_without_parity_the_cycles_end_in_the_renewal_years_parity() -> None:
    """A body whose cycles do not follow the membership month: they end in the years of the
    renewal date's parity. Renewing 2026-03-31 (even) puts the ends on 31 March of even years;
    AAPC's rule (March is odd) would say 2027."""
    aapc = RULES.bodies["AAPC"]
    rulebook = _changed("AAPC", cycle=aapc.cycle.model_copy(update={"parity": None}))
    [result], _ = evaluate(holder([CPC], AAPC=member("2026-03-31")), rulebook, d("2025-06-01"))
    assert (result.cycle_start, result.cycle_end) == (d("2024-04-01"), d("2026-03-31"))


def test_the_specialty_minimums_group_is_the_rule_files() -> None:
    """AAPC's specialty minimums are a group of their own, so one CEU tagged for both a
    specialty and auditing fills both (P2). A rule file that put them in the credential
    minimums' group would have the CEU fill one only."""
    facts = holder(
        [CPC, cred("CPMA", "2015-01-10"), cred("CEMC", "2015-01-10")],
        [ceu("2025-06-01", 16, "AAPC", "auditing;specialty:CEMC")],
        AAPC=RENEWED,
    )

    def filled(rulebook: Rulebook) -> list[tuple[str, int]]:
        [result], _ = evaluate(facts, rulebook, d("2025-07-01"))
        return [(m.category, m.earned) for m in result.minimums]

    assert filled(RULES) == [("auditing", 1600), ("specialty:CEMC", 1600)]
    versions = tuple(
        v.model_copy(update={"specialty": v.specialty.model_copy(update={"group": "credential"})})
        if v.specialty is not None
        else v
        for v in RULES.bodies["AAPC"].versions
    )
    shared = filled(_changed("AAPC", versions=versions))
    assert sorted(earned for _, earned in shared) == [0, 1600]


@pytest.mark.parametrize(
    ("codes", "suffices"),
    [
        (["CPC"], True),
        (["CPC", "COC"], True),
        (["CPC", "CPMA"], False),  # a credential minimum: auditing CEUs are allocated
        (["CPC", "CEMC"], False),  # a specialty: its CEUs are allocated
        (["CEMC"], False),
    ],
)
def test_a_sum_of_ceus_suffices_only_where_no_minimum_can_apply(
    codes: list[str], suffices: bool
) -> None:
    """The scan adds up in SQL the CEUs of holders whose ended cycle the dates settle and
    whose credentials no minimum can concern; for them it needs only the day CEUs count from,
    the current cycle's first (or certification, if later)."""
    facts = holder([cred(code, "2015-01-10") for code in codes], AAPC=RENEWED)
    expected = {"AAPC": d("2025-04-01")} if suffices else None
    assert sums_suffice(facts, RULES, d("2025-06-01")) == expected


def test_a_sum_never_suffices_where_the_ceus_decide() -> None:
    cases = [
        # AHIMA: the health-information minimum concerns every credential.
        holder([cred("RHIT", "2015-01-10")], AHIMA=member(cycle_ends_on="2026-05-31")),
        # Not renewed: the CEUs recorded in the ended cycle decide whether it is settled.
        holder([CPC], AAPC=NOT_RENEWED),
        # Certified on the ended cycle's last day: that cycle is the holder's too.
        holder([cred("CPC", "2025-03-31")], AAPC=NOT_RENEWED),
    ]
    assert [sums_suffice(facts, RULES, d("2025-06-01")) for facts in cases] == [None] * 3


def test_a_sum_suffices_for_a_body_that_cannot_be_evaluated() -> None:
    """No membership date: the evaluation reports the problem without reading a CEU."""
    assert sums_suffice(holder([CPC]), RULES, d("2025-06-01")) == {}


def test_a_sum_suffices_for_an_exam_anchored_body_without_minimums() -> None:
    """Cycles from the exam date (AHIMA's kind) and no minimum: the first cycle of a holder
    certified 2024-06-10 runs from that day, with no ended cycle to settle; a cycle the body
    stated settles the one before it too."""
    ahima = RULES.bodies["AHIMA"]
    versions = tuple(v.model_copy(update={"minimums": ()}) for v in ahima.versions)
    rulebook = _changed("AHIMA", versions=versions)
    first = holder([cred("RHIT", "2024-06-10")])
    assert sums_suffice(first, rulebook, d("2025-06-01")) == {"AHIMA": d("2024-06-10")}
    stated = HolderFacts(
        "h-1",
        (CredentialFact("RHIT", date(2015, 6, 10)),),
        {"AHIMA": MembershipFact(cycle_ends_on=date(2025, 6, 9))},
        (CeuFact(date(2024, 1, 1), 100, "", frozenset({"AHIMA"})),),
    )
    assert sums_suffice(stated, rulebook, d("2025-06-01")) == {"AHIMA": d("2023-06-10")}


def test_one_body_that_cannot_be_evaluated_does_not_end_the_question() -> None:
    """No AAPC membership date (that body reads no CEUs), but AHIMA's minimum needs them."""
    facts = holder([CPC, cred("RHIT", "2015-01-10")])
    assert sums_suffice(facts, RULES, d("2025-06-01")) is None


def test_a_credential_sets_requirement_is_worked_out_once() -> None:
    """A scan meets the same few credential sets again and again: the requirement, the
    version's reason and the minimums are worked out the first time and reused (the same
    objects come back), which is what keeps a million-holder scan within its time. With a
    copy of the rules no other test has used, so that the first time is this test's."""
    facts = holder([CPC, cred("CPMA", "2015-01-10")], AAPC=RENEWED)
    rulebook = _changed("AAPC")

    def reasons() -> list[str]:
        [evaluation], _ = evaluate(facts, rulebook, d("2025-06-01"))
        return list(evaluation.explanation)

    first, second = reasons(), reasons()
    assert first == second
    assert all(a is b for a, b in zip(first[1:4], second[1:4], strict=True)), first[1:4]


def test_a_minimum_of_several_credentials_names_those_held() -> None:
    """AHIMA's self-review minimum (2019 rules) concerns four coding credentials: a holder of
    two is told which of theirs it is for."""
    facts = holder([cred("CCS", "2015-06-01"), cred("CCS-P", "2015-06-01")])
    result = only(facts, "2018-06-01")
    assert result.explanation[4] == (
        "CCS/CCS-P: 10 CEUs tagged coding-self-review, inside the total "
        "[ahima-2019.minimum.SELF-REVIEW; H1]"
    )


def test_a_minimum_that_names_providers_takes_only_their_ceus() -> None:
    """CIRCC's 16 ir-cv CEUs must come from one of three publishers: of an ir-cv 10 without a
    provider and a 4 from "ZHEALTH Publishing Inc", only the 4 fill it (any case, any suffix)."""
    facts = holder(
        [CPC, cred("CIRCC", "2015-01-10")],
        [
            ceu("2025-05-01", 10, "AAPC", "ir-cv"),
            ceu("2025-05-02", 4, "AAPC", "ir-cv", provider="ZHEALTH Publishing Inc"),
        ],
        AAPC=RENEWED,
    )
    result = only(facts, "2025-06-01")
    assert [(m.category, m.required, m.earned) for m in result.minimums] == [("ir-cv", 1600, 400)]
    assert result.earned == cents(14)


def test_a_per_credential_table_explains_a_credential_it_lacks_and_what_it_supersedes() -> None:
    """A rule file whose table has no figure for RHIT, and in which RHIA supersedes RHIT and
    CCA: a holder of RHIT alone owes the table's lowest figure, and is told the figure is
    missing; a holder of all three owes RHIA's, and is told both are superseded."""
    ahima = RULES.bodies["AHIMA"]
    versions = []
    for version in ahima.versions:
        table = version.requirement
        figures = {k: v for k, v in table.per_credential.items() if k != "RHIT"}  # type: ignore[union-attr]
        changed = table.model_copy(
            update={"per_credential": figures, "supersedes": {"RHIA": ("RHIT", "CCA")}}
        )
        versions.append(version.model_copy(update={"requirement": changed}))
    rulebook = _changed("AHIMA", versions=tuple(versions))

    def requirement(codes: list[str]) -> tuple[int, str]:
        [result], _ = evaluate(
            holder([cred(c, "2024-06-01") for c in codes]), rulebook, d("2025-01-01")
        )
        return result.required, result.explanation[2]

    assert requirement(["RHIT"]) == (
        2000, "RHIT ?: the highest, 20: 20 CEUs per cycle [ahima-2024.requirement; H3]"
    )  # fmt: skip
    assert requirement(["RHIA", "RHIT", "CCA"]) == (
        3000,
        (
            "RHIA 30: the highest, 30: 30 CEUs per cycle; CCA, RHIT are superseded and need no "
            "CEUs of their own [ahima-2024.requirement; H3]"
        ),
    )


def test_an_explanation_reads_the_same_every_time() -> None:
    """Written out on first reading, then kept: equal to its lines as a tuple (and only to
    those), with the same hash and repr."""
    result = only(holder([CPC], AAPC=RENEWED), "2025-06-01")
    lines = tuple(result.explanation)
    assert len(lines) == 5
    assert tuple(result.explanation) == lines
    shorter: object = lines[:-1]
    as_list: object = list(lines)
    assert result.explanation == lines and result.explanation != shorter
    assert result.explanation != as_list
    assert (hash(result.explanation), repr(result.explanation)) == (hash(lines), repr(lines))
    again = only(holder([CPC], AAPC=RENEWED), "2025-06-01")
    assert again.explanation == result.explanation
