"""The declarative base every table derives from, its constraint names, and the lengths the
tables share."""

from __future__ import annotations

from sqlalchemy import ForeignKey, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so that migrations can name what they alter on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID_LENGTH = 64
NAME_LENGTH = 200
EMAIL_LENGTH = 254
TITLE_LENGTH = 500
CODE_LENGTH = 16


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def holder_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("holders.id", ondelete="CASCADE"), nullable=False)
