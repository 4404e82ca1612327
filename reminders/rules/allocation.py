"""Which CEU fills which minimum: an exact solution of a small assignment problem.

Each minimum needs some CEUs of its category; a CEU tagged for several minimums fills one of
them, whole. The best assignment leaves the least shortfall in total (that is what the coder
still has to earn), and among those meets the most minimums. A greedy pass can get this wrong:
with needs A = 16 and B = 16, a 16-CEU course tagged for both and a 10-CEU course tagged only
for A, the first must go to B.

CEUs that only one minimum can use go there (it never hurts). The contested rest are decided by
a search over the amounts filled so far, capped at each need, keeping only the states no other
state beats on every minimum. That is exact, and small for real rosters: a coder has a handful
of contested courses at most.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

State = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Allocation:
    assigned: tuple[str | None, ...]
    """For each item, the need it fills (None: it fills none)."""
    filled: Mapping[str, int]
    """For each need, the amount assigned (it may exceed the need)."""

    def shortfall(self, needs: Mapping[str, int]) -> int:
        return sum(max(0, amount - self.filled[need]) for need, amount in needs.items())


def allocate(items: Sequence[tuple[int, frozenset[str]]], needs: Mapping[str, int]) -> Allocation:
    """Assign items (amount, the needs it may fill) to needs, leaving the least shortfall."""
    names = sorted(needs)
    position = {name: index for index, name in enumerate(names)}
    caps = tuple(needs[name] for name in names)
    assigned: list[str | None] = [None] * len(items)
    base = [0] * len(names)
    contested: list[int] = []
    for index, (amount, eligible) in enumerate(items):
        usable = [name for name in eligible if name in position]
        if len(usable) == 1:
            assigned[index] = usable[0]
            base[position[usable[0]]] += amount
        elif usable:
            contested.append(index)
    if contested:
        choices = _search(items, contested, position, caps, tuple(base))
        for index, choice in zip(contested, choices, strict=True):
            assigned[index] = choice
    filled = dict.fromkeys(names, 0)
    for (amount, _), need in zip(items, assigned, strict=True):
        if need is not None:
            filled[need] += amount
    return Allocation(tuple(assigned), filled)


def _search(
    items: Sequence[tuple[int, frozenset[str]]],
    contested: Sequence[int],
    position: Mapping[str, int],
    caps: State,
    base: Sequence[int],
) -> list[str]:
    start = tuple(min(amount, cap) for amount, cap in zip(base, caps, strict=True))
    # Each frontier maps a state to the choices that reached it.
    frontier: dict[State, tuple[str, ...]] = {start: ()}
    for index in contested:
        amount, eligible = items[index]
        usable = sorted(name for name in eligible if name in position)
        following: dict[State, tuple[str, ...]] = {}
        for state, path in frontier.items():
            for name in usable:
                slot = position[name]
                filled = min(caps[slot], state[slot] + amount)
                successor = state[:slot] + (filled,) + state[slot + 1 :]
                if successor not in following:
                    following[successor] = (*path, name)
        frontier = _undominated(following)
    best = max(frontier, key=lambda state: _score(state, caps))
    return list(frontier[best])


def _score(state: State, caps: State) -> tuple[int, int]:
    # Capped amounts: the total covered is the total need minus the shortfall.
    return sum(state), sum(1 for filled, cap in zip(state, caps, strict=True) if filled >= cap)


def _undominated(states: dict[State, tuple[str, ...]]) -> dict[State, tuple[str, ...]]:
    """Drop every state that another one matches or beats on every need."""
    ordered = sorted(states, key=sum, reverse=True)
    kept: list[State] = []
    for state in ordered:
        if not any(_covers(other, state) for other in kept):
            kept.append(state)
    return {state: states[state] for state in kept}


def _covers(a: State, b: State) -> bool:
    return all(x >= y for x, y in zip(a, b, strict=True))
