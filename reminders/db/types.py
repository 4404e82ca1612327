"""Column types that keep values exact and time zones explicit on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Integer
from sqlalchemy.types import TypeDecorator

CENTS = 100


def ceus_to_cents(value: Decimal) -> int:
    cents = value * CENTS
    if cents != cents.to_integral_value():
        raise ValueError(f"{value} has more than two decimal places")
    return int(cents)


def cents_to_ceus(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


class Ceus(TypeDecorator[Decimal]):
    """CEUs as an exact decimal with two places, stored as integer hundredths.

    Integers keep `SUM()` exact in SQL on both databases (SQLite has no decimal type).
    """

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        return None if value is None else ceus_to_cents(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else cents_to_ceus(int(value))


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime; stored without a zone, since SQLite would drop it anyway."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)
