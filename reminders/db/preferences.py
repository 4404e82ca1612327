"""Each address's mail preference (notices/preferences.py says what the levels mean)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from reminders.db import events
from reminders.db.models import Holder, Preference
from reminders.notices.preferences import DEFAULT


def levels(connection: Connection, addresses: Sequence[str]) -> dict[str, str]:
    """The level of each address that chose one; the others get the default."""
    if not addresses:
        return {}
    query = select(Preference.email, Preference.level).where(Preference.email.in_(addresses))
    return {email: level for email, level in connection.execute(query)}


def level_of(connection: Connection, address: str) -> str:
    return levels(connection, [address]).get(address, DEFAULT)


def choose(connection: Connection, address: str, level: str, now: datetime) -> None:
    changed = connection.execute(
        update(Preference).where(Preference.email == address).values(level=level, updated_at=now)
    ).rowcount
    if not changed:
        connection.execute(insert(Preference).values(email=address, level=level, updated_at=now))
    # The holders of the address are planned again now, as after any change of their records:
    # their next review day was worked out with the ladder of the level they had.
    holders = select(Holder.id).where(Holder.email == address)
    events.record(connection, list(connection.execute(holders).scalars()), "preference", now)
