"""Settlement: whether the cycle before the current one needs checking. Pure.

The body's own dates may settle it, or the CEUs recorded in it decide. Where the dates alone
settle it and no minimum can apply, an evaluation needs only a sum of each body's CEUs
(sums_suffice), and a scan has the database add them up.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from reminders.rules import holding
from reminders.rules.cycles import Window
from reminders.rules.explain import Reason
from reminders.rules.facts import CeuFact, CredentialFact, HolderFacts, MembershipFact
from reminders.rules.holding import Holding, rule_code
from reminders.rules.loader import MissingHistory, Rulebook
from reminders.rules.model import BodyFile

_UNDECIDED = "?"  # _settled_by_dates: the CEUs recorded decide


def _settled_by_dates(
    body: BodyFile,
    membership: MembershipFact,
    previous: Window,
    certified: date,
    as_of: date,
    missing: MissingHistory,
) -> Reason | None:
    """`settled` as far as the dates alone decide it; `_UNDECIDED` where the CEUs do.

    A date the body showed that has passed unmoved (the stated cycle's end, a membership
    renewal not beyond the ended cycle) makes the ended cycle one to check, on the CEUs
    recorded; unless the roster is read as lagging (`missing` "settled"), when the CEUs
    recorded decide whether it is checked at all."""
    if previous.end < certified:
        return ""  # certified during the current cycle: there is no earlier one
    stated = membership.cycle_ends_on
    if stated is not None:
        # The stated cycle is the current one until it ends; then it is the one to check.
        if stated >= as_of:
            return ""
        return None if missing == "lapsed" else _UNDECIDED
    renews = membership.renews_on
    if renews is not None and renews > previous.end:
        return lambda: (
            f"the cycle that ended on {previous.end} is settled: {body.body} has renewed the "
            f"membership to {renews} (choice history)"
        )
    if renews is not None and missing == "lapsed":
        return None  # due for renewal on or before the cycle's end, and never renewed since
    return _UNDECIDED


def settled(
    body: BodyFile,
    membership: MembershipFact,
    previous: Window,
    certified: date,
    accepted: Sequence[CeuFact],
    as_of: date,
    missing: MissingHistory,
) -> Reason | None:
    """Why the cycle before the current one needs no check, or None if it must be checked.

    The records may start with the current cycle (a roster loaded today has no history), so an
    ended cycle is judged only on evidence: the body's own dates, or CEUs recorded in it.
    """
    by_dates = _settled_by_dates(body, membership, previous, certified, as_of, missing)
    if by_dates is not _UNDECIDED:
        return by_dates
    start = max(previous.start, certified)
    if any(start <= c.completed_on <= previous.end for c in accepted):
        return None
    return lambda: (
        f"no CEUs are recorded for the cycle that ended on {previous.end}: it is taken as "
        f"settled; record the dates {body.body} shows (cycle_ends_on) to have it checked "
        "(choice history)"
    )


def sums_suffice(
    facts: HolderFacts,
    rulebook: Rulebook,
    as_of: date,
    holdings: Sequence[Holding] | None = None,
) -> dict[str, date] | None:
    """For a holder whose evaluation needs of their CEUs only a sum per body: the day from which
    CEUs count, per body (the sum is of the CEUs the body accepts completed from that day to
    `as_of`). None when it needs the CEUs themselves. Only credentials and memberships are read
    (`holdings`: holding.holdings of the facts on `as_of`, if the caller has them).

    A sum suffices for a body when the cycle before the current one is settled by dates alone
    (so no CEU is looked at to judge it, and none moves between the cycles) and no minimum of
    any rule version can apply to the credentials held (so no CEU is allocated). Then the
    evaluation is the same with one CEU of that sum, dated that day, in place of the CEUs; a
    scan has the database add them up instead of reading them one by one.
    """
    if holdings is None:
        holdings = holding.holdings(facts, rulebook, as_of)
    days: dict[str, date] = {}
    for holds in holdings:
        body = holds.body
        if _minimums_may_apply(body, holds.held):
            return None
        if holds.current is None or holds.previous is None:
            continue  # cannot be evaluated: its CEUs are not read
        settled = _settled_by_dates(
            body, holds.membership, holds.previous, holds.certified, as_of,
            rulebook.missing_history,
        )  # fmt: skip
        if settled is None or settled is _UNDECIDED:
            return None
        days[body.body] = max(holds.current.start, holds.certified)
    return days


def _minimums_may_apply(body: BodyFile, held: Sequence[CredentialFact]) -> bool:
    """Could any minimum of any version apply to (some of) these credentials?"""
    codes = {rule_code(body, c.code) for c in held}
    for version in body.versions:
        for minimum in version.minimums:
            if not minimum.credentials or not codes.isdisjoint(minimum.credentials):
                return True
        if version.specialty is not None:
            for code in codes:
                spec = body.credential(code)
                if spec is not None and spec.kind == "specialty":
                    return True
    return False
