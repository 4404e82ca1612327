"""Which notices a team lead gets a copy of (escalation/policy.py), and what the coder is told
of it (escalation/content.py). Pure."""

from __future__ import annotations

import pytest

from reminders.escalation.content import coder_note
from reminders.escalation.policy import escalated
from reminders.notices.ladder import load_ladder
from reminders.resources import config_dir

LADDER = load_ladder(config_dir() / "notices.yaml")  # AAPC and AHIMA: before 90, 45, 15


@pytest.mark.parametrize(
    ("policy", "kind", "rung", "body", "copied"),
    [
        ("final", "deadline", "15", "AAPC", True),
        ("final", "deadline", "45", "AAPC", False),
        ("final", "deadline", "90", "AHIMA", False),
        ("final", "overdue", "1", "AAPC", True),
        ("final", "overdue", "75", "AAPC", True),
        ("final", "lapsed", "lapse", "AHIMA", True),
        ("final", "shortfall", "2026-11-01", "AAPC", False),
        ("final", "dues", "30", "AAPC", False),
        ("final", "complete", "cycle", "AAPC", False),
        ("final", "deadline", "15", "NOSUCH", False),
        ("overdue", "deadline", "15", "AAPC", False),
        ("overdue", "overdue", "30", "AAPC", True),
        ("overdue", "lapsed", "lapse", "AAPC", True),
        ("off", "overdue", "1", "AAPC", False),
        ("off", "deadline", "15", "AAPC", False),
    ],
)
def test_what_each_choice_copies(
    policy: str, kind: str, rung: str, body: str, copied: bool
) -> None:
    assert escalated(policy, kind, rung, body, LADDER) is copied


def test_the_coder_is_told_of_the_leads_by_name_never_by_address() -> None:
    assert coder_note([]) is None
    one = coder_note([("Dana Whitaker", "Riverside Health", "overdue")])
    assert one == (
        "Your team lead (Dana Whitaker) gets a copy of this reminder: Riverside Health asks "
        "that team leads are told of every notice after a missed due date."
    )
    two = coder_note([("Dana", "Riverside Health", "final"), (None, "Summit", "final")])
    assert two is not None and two.startswith("Your team leads (Dana) get a copy")
    assert "Riverside Health and Summit ask that" in two
    nameless = coder_note([(None, "Summit", "final")])
    assert nameless is not None and nameless.startswith("Your team lead gets a copy")
