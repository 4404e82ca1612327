"""Coders' own word that a cycle is submitted ("I already renewed"), which pauses its reminders.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "self_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holder_pk", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=16), nullable=False),
        sa.Column("cycle_end", sa.Date(), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("pause_until", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_pk"],
            ["holders.id"],
            name=op.f("fk_self_reports_holder_pk_holders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_reports")),
        sa.UniqueConstraint(
            "holder_pk", "body", "cycle_end", name=op.f("uq_self_reports_holder_pk")
        ),
    )


def downgrade() -> None:
    op.drop_table("self_reports")
