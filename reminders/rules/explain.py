"""Explanations: the reasons behind an evaluation, how they write CEUs, how they cite. Pure.

Amounts are in cents of a CEU. A reason is text, or a function that writes it the first time
it is read. A citation names the rule and its sources.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import overload

CENTS = 100

Reason = str | Callable[[], str]
"""A reason as text, or a function that writes it (most reasons are never read)."""


class Explanation(Sequence[str]):
    """The reasons behind an evaluation, written out the first time they are read.

    A scan that only plans notices never reads them, and writing them all (dates, citations)
    took a third of the evaluation's time.
    """

    __slots__ = ("_parts", "_text")
    _text: tuple[str, ...]  # set by the first _written(), while _parts is still there

    def __init__(self, parts: Iterable[Reason]) -> None:
        self._parts: tuple[Reason, ...] | None = tuple(parts)

    def _written(self) -> tuple[str, ...]:
        if self._parts is not None:
            self._text = tuple(p if isinstance(p, str) else p() for p in self._parts)
            self._parts = None
        return self._text

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...
    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        return self._written()[index]

    def __len__(self) -> int:
        return len(self._written())

    def __iter__(self) -> Iterator[str]:
        return iter(self._written())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Explanation):
            return self._written() == other._written()
        return isinstance(other, tuple) and self._written() == other

    def __hash__(self) -> int:
        return hash(self._written())

    def __repr__(self) -> str:
        return repr(self._written())


def ceus(cents: int) -> str:
    """Cents of a CEU as a person writes the number: 40, 22.5, 0.25."""
    whole, part = divmod(cents, CENTS)
    return str(whole) if not part else f"{whole}.{part:02d}".rstrip("0")


def cite(rule_id: str, sources: Iterable[str]) -> str:
    return f"[{rule_id}; {', '.join(sources)}]"
