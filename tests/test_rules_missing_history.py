"""A date the body showed that has passed with nothing recorded after it (issue 15, part 1):
an AAPC membership renewal date means the membership was not renewed; a stated cycle end, that
the cycle is checked on its CEUs. Overdue inside the body's window, lapsed after; or, with
REMINDERS_MISSING_HISTORY=settled, history the roster lacks.

AAPC: a CPC whose membership renews on 2026-02-28 (February is even: CEUs due in even years, so
that is also the CEUs' due date); AAPC cancels 90 days on, after 2026-05-29. AHIMA: an RHIT
whose stated cycle ended on 2026-02-28; AHIMA revokes 180 days on, after 2026-08-27.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from reminders.rules.evaluate import evaluate
from reminders.rules.facts import HolderFacts
from reminders.rules.loader import MissingHistory
from reminders.rules.results import Evaluation
from tests.rules_helpers import RULES, ceu, cred, d, holder, member

DUE = d("2026-02-28")
ENDED = (d("2024-03-01"), DUE)  # the cycle that ended on the date
NEXT = (d("2026-03-01"), d("2028-02-29"))

AAPC_NONE = holder([cred("CPC", "2015-01-10")], AAPC=member("2026-02-28"))
AAPC_MET = holder([cred("CPC", "2015-01-10")], [ceu("2025-06-01", 36)], AAPC=member("2026-02-28"))
AHIMA_NONE = holder([cred("RHIT", "2014-03-01")], AHIMA=member(cycle_ends_on="2026-02-28"))
AHIMA_MET = holder(
    [cred("RHIT", "2014-03-01")],
    [ceu("2025-06-01", 20, "AHIMA", "hiim;ahima-source")],
    AHIMA=member(cycle_ends_on="2026-02-28"),
)


def _read(facts: HolderFacts, days_past: int, missing: MissingHistory = "lapsed") -> Evaluation:
    rules = replace(RULES, missing_history=missing)
    [evaluation], problems = evaluate(facts, rules, DUE + timedelta(days=days_past))
    assert problems == []
    return evaluation


def _window(e: Evaluation) -> tuple[object, object]:
    return (e.cycle_start, e.cycle_end)


@pytest.mark.parametrize(
    ("days_past", "status"), [(30, "overdue"), (89, "overdue"), (90, "overdue"), (91, "lapsed"),
                              (400, "lapsed")],
)  # fmt: skip
def test_an_aapc_renewal_date_passed_means_not_renewed(days_past: int, status: str) -> None:
    # No CEUs: the cycle that ended on the renewal date is unmet too; both are said.
    e = _read(AAPC_NONE, days_past)
    assert (e.status, _window(e), e.deadline, e.unrenewed) == (
        status, ENDED, d("2026-05-29"), DUE,
    )  # fmt: skip
    assert f"{status}: the membership was due for renewal on 2026-02-28" in "\n".join(e.explanation)
    assert any(line.startswith(f"{status}: the cycle ended unmet") for line in e.explanation)
    # The CEUs met: the current cycle's figures, and still the membership.
    met = _read(AAPC_MET, days_past)
    assert (met.status, _window(met), met.deadline, met.unrenewed) == (
        status, NEXT, d("2026-05-29"), DUE,
    )  # fmt: skip
    assert not any("cycle ended unmet" in line for line in met.explanation)
    assert sum("membership was due for renewal" in line for line in met.explanation) == 1


def test_the_issues_case_a_membership_107_days_past_reads_lapsed() -> None:
    """The report: read on 2026-06-15, this coder showed `behind` on a fresh cycle."""
    [e], _ = evaluate(AAPC_NONE, RULES, d("2026-06-15"))
    assert (e.status, _window(e), e.remaining) == ("lapsed", ENDED, 3600)


def test_a_renewal_date_not_yet_passed_is_not_a_lapse() -> None:
    on_the_day = _read(AAPC_MET, 0)  # the CEUs' and the renewal's day: the 36 are in
    assert (on_the_day.status, on_the_day.unrenewed) == ("complete", None)
    # Renewed to 2027-02-28: the ended cycle is settled by it, nothing is overdue (and the new
    # cycle, 106 days in with nothing yet, is behind).
    renewed = holder([cred("CPC", "2015-01-10")], AAPC=member("2027-02-28"))
    [e], _ = evaluate(renewed, RULES, d("2026-06-15"))
    assert (e.status, e.unrenewed, _window(e)) == ("behind", None, NEXT)


def test_a_membership_not_renewed_in_a_year_without_ceus_due() -> None:
    """Renewing on 2025-02-28 (dues are annual; the CEUs fall due in even years): not renewed
    since, the membership is cancelled after 2025-05-29, though the CEU cycle runs to 2026."""
    facts = holder([cred("CPC", "2015-01-10")], AAPC=member("2025-02-28"))
    [overdue], _ = evaluate(facts, RULES, d("2025-04-01"))
    assert (overdue.status, overdue.deadline, overdue.unrenewed, overdue.cycle_end) == (
        "overdue", d("2025-05-29"), d("2025-02-28"), DUE,
    )  # fmt: skip
    [lapsed], _ = evaluate(facts, RULES, d("2025-06-01"))
    assert (lapsed.status, lapsed.deadline) == ("lapsed", d("2025-05-29"))


@pytest.mark.parametrize(
    ("days_past", "status"), [(30, "overdue"), (89, "overdue"), (91, "overdue"), (180, "overdue"),
                              (181, "lapsed"), (400, "lapsed")],
)  # fmt: skip
def test_an_ahima_stated_cycle_end_passed_is_checked(days_past: int, status: str) -> None:
    e = _read(AHIMA_NONE, days_past)
    assert (e.status, e.cycle_end, e.deadline, e.unrenewed) == (
        status, DUE, d("2026-08-27"), None,
    )  # fmt: skip
    met = _read(AHIMA_MET, days_past)  # the next cycle, behind once its first 90 days are past
    assert (met.status, met.cycle_start, met.unrenewed) == (
        "on_track" if days_past < 90 else "behind", d("2026-03-01"), None,
    )  # fmt: skip


@pytest.mark.parametrize("days_past", [30, 89, 91, 400])
def test_settled_reads_a_passed_date_as_history_the_roster_lacks(days_past: int) -> None:
    for facts in (AAPC_NONE, AAPC_MET):
        e = _read(facts, days_past, "settled")
        assert (e.unrenewed, e.cycle_start) == (None, d("2026-03-01"))
        assert e.status in ("on_track", "behind")
    ahima = _read(AHIMA_NONE, days_past, "settled")
    assert (ahima.status in ("on_track", "behind"), ahima.cycle_start) == (True, d("2026-03-01"))
    assert any("taken as settled" in line for line in ahima.explanation)
    # CEUs recorded in the ended cycle still have it checked: 5 of 20 is not met.
    partial = replace(AHIMA_NONE, ceus=(ceu("2025-06-01", 5, "AHIMA", "hiim"),))
    checked = _read(partial, days_past, "settled")
    assert (checked.status, checked.cycle_end) == (
        "overdue" if days_past <= 180 else "lapsed", DUE,
    )  # fmt: skip


def test_the_setting_reaches_the_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    from reminders.app import App
    from reminders.settings import load_settings

    assert App(load_settings()).rulebook.missing_history == "lapsed"
    monkeypatch.setenv("REMINDERS_MISSING_HISTORY", "settled")
    assert App(load_settings()).rulebook.missing_history == "settled"


def test_a_renewal_missed_before_the_cycle_ended_revokes_at_the_first_of_the_two() -> None:
    """Due for renewal on 2025-02-28 and never renewed; the CEU cycle then ended unmet on
    2026-02-28. AAPC cancelled the membership after 2025-05-29, long before the CEUs' 90 days
    would have run out (2026-05-29): that is the revocation date."""
    facts = holder([cred("CPC", "2015-01-10")], AAPC=member("2025-02-28"))
    [e], _ = evaluate(facts, RULES, d("2026-03-15"))
    assert (e.status, _window(e), e.deadline, e.unrenewed) == (
        "lapsed", ENDED, d("2025-05-29"), d("2025-02-28"),
    )  # fmt: skip
