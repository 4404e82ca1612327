"""Full scans shared by instances: each pass as of a day, cut into ranges of holder ids that
instances claim for a lease and record as done with their plans.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scan_passes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("rules", sa.String(length=16), nullable=False),
        sa.Column("seen", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_passes")),
    )
    op.create_index(op.f("ix_scan_passes_started_at"), "scan_passes", ["started_at"])
    op.create_table(
        "scan_ranges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pass_pk", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("after", sa.String(length=64), nullable=False),
        sa.Column("through", sa.String(length=64), nullable=True),
        sa.Column("claimed_by", sa.String(length=40), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by", sa.String(length=40), nullable=True),
        sa.Column("holders", sa.Integer(), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pass_pk"],
            ["scan_passes.id"],
            name=op.f("fk_scan_ranges_pass_pk_scan_passes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_ranges")),
        sa.UniqueConstraint("pass_pk", "ordinal", name=op.f("uq_scan_ranges_pass_pk")),
    )


def downgrade() -> None:
    op.drop_table("scan_ranges")
    op.drop_index(op.f("ix_scan_passes_started_at"), table_name="scan_passes")
    op.drop_table("scan_passes")
