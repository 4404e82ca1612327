"""An annual membership whose renewal date has passed with no later one recorded (AAPC).

AAPC cancels a certified member's membership, and the credentials with it, when the dues are
not paid within a number of days of the renewal date (`membership.cancelled_after_days`; P8,
P9, P11). The date comes from the body's portal (`renews_on`); when it has passed and was never
moved on, the membership was not renewed: overdue until the cancellation, lapsed after, whatever
the CEUs. Unless the operator says the roster may lag (REMINDERS_MISSING_HISTORY=settled).
Pure: the evaluation (rules.evaluate) asks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from reminders.rules.facts import MembershipFact
from reminders.rules.loader import MissingHistory
from reminders.rules.model import BodyFile


@dataclass(frozen=True, slots=True)
class Unrenewed:
    renewal_due: date
    """The renewal date that passed."""
    cancelled_after: date
    """The last day before the body cancels the membership and the credentials with it."""

    def status(self, as_of: date) -> str:
        return "overdue" if as_of <= self.cancelled_after else "lapsed"


def unrenewed(
    body: BodyFile, membership: MembershipFact, as_of: date, missing: MissingHistory
) -> Unrenewed | None:
    """The membership's renewal, if it is due and not made; None if the body has no annual
    membership, the date is to come (or today), or the roster is read as lagging."""
    rules = body.membership
    renews = membership.renews_on
    if rules is None or renews is None or renews >= as_of or missing != "lapsed":
        return None
    return Unrenewed(renews, renews + timedelta(days=rules.cancelled_after_days))


def reason(body: BodyFile, found: Unrenewed, status: str) -> str:
    """The explanation's line for it: the rule, its sources, and what would change it."""
    rules = body.membership
    assert rules is not None  # found only for a body with an annual membership
    cancels = "cancels" if status == "overdue" else "cancelled"
    return (
        f"{status}: the membership was due for renewal on {found.renewal_due} and no later date "
        f"is recorded; {body.body} {cancels} it, and the credentials with it, after "
        f"{found.cancelled_after} [{rules.id}; {', '.join(rules.sources)}] (setting "
        f"missing-history=lapsed: once renewed, record the new date {body.body} shows as "
        "renews_on)"
    )
