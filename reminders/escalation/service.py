"""Copies of holders' notices for their team leads, queued with the holder's message (in the same
transaction), each in a message of its own to one lead: no Cc shows anyone's address."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection

from reminders.db import leads
from reminders.escalation.policy import escalated
from reminders.notices.ladder import Ladder


class Escalatable(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def rung(self) -> str: ...
    @property
    def body(self) -> str: ...


def copy_to_leads(
    connection: Connection,
    message: int,
    holder_pk: int,
    due: Sequence[Escalatable],
    ladder: Ladder,
    now: datetime,
) -> int:
    """Queue a copy of the holder's new message for each lead whose organisation escalates one
    of its notices; how many were queued."""
    queued = 0
    for lead in leads.leads_of(connection, holder_pk):
        if any(escalated(lead.policy, n.kind, n.rung, n.body, ladder) for n in due):
            queued += leads.record_copy(connection, message, holder_pk, lead, now) is not None
    return queued
