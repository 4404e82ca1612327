"""Recording delivery outcomes in groups: one transaction for the outcomes that arrive together."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

from reminders.mail.smtp import SendError

T = TypeVar("T")


class GroupRecorder(Generic[T]):
    """Records delivery outcomes as they come, those that arrive together in one transaction.

    Each connection waits for its outcome to be recorded before it sends its next message, so
    that a crash repeats at most the messages in flight. Outcomes that arrive while a
    transaction runs go together in the next one: eight connections cost about one transaction
    a round instead of eight, and the guarantee is the same.
    """

    def __init__(
        self,
        record: Callable[[list[T], list[SendError | None]], None],
        unrecorded: list[tuple[T, SendError | None]],
    ) -> None:
        self._record = record
        self._unrecorded = unrecorded
        """Where outcomes go that could not be recorded (the database failed): the pass fails,
        and the next one records them before anything else."""
        self._waiting: list[tuple[T, SendError | None, asyncio.Future[None]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def __call__(self, item: T, error: SendError | None) -> None:
        recorded = asyncio.get_running_loop().create_future()
        self._waiting.append((item, error, recorded))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain())
        await recorded

    async def _drain(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting, []
            try:
                items, errors = [g[0] for g in group], [g[1] for g in group]
                await asyncio.to_thread(self._record, items, errors)
            except Exception as exc:  # noqa: BLE001 (each waiting connection raises it)
                self._unrecorded += [(item, error) for item, error, _ in group]
                for *_, recorded in group:
                    if not recorded.done():
                        recorded.set_exception(exc)
            else:
                for *_, recorded in group:
                    if not recorded.done():
                        recorded.set_result(None)
