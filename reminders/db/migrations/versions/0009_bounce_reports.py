"""Bounces and complaints after acceptance: every report read, once, and the kind of each
suppression (refused at SMTP time, bouncing, or a complaint).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("suppressions") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=16), server_default="refused", nullable=False)
        )
    op.create_table(
        "bounce_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("message_pk", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=254), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_pk"],
            ["messages.id"],
            name=op.f("fk_bounce_reports_message_pk_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bounce_reports")),
        sa.UniqueConstraint("report_id", name=op.f("uq_bounce_reports_report_id")),
    )
    op.create_index(
        "ix_bounce_reports_address", "bounce_reports", ["address", "kind", "received_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_bounce_reports_address", table_name="bounce_reports")
    op.drop_table("bounce_reports")
    with op.batch_alter_table("suppressions") as batch:
        batch.drop_column("kind")
