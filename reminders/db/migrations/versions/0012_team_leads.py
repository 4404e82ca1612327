"""Escalation to team leads: each organisation's choice, the leads of its teams, and the copies
of holders' messages sent to them.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(
            sa.Column("escalate", sa.String(length=16), server_default="off", nullable=False)
        )
    op.create_table(
        "team_leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_pk", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("muted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_pk"], ["teams.id"], name=op.f("fk_team_leads_team_pk_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_leads")),
        sa.UniqueConstraint("team_pk", "email", name=op.f("uq_team_leads_team_pk")),
    )
    op.create_table(
        "lead_copies",
        sa.Column("message_pk", sa.Integer(), nullable=False),
        sa.Column("original_pk", sa.Integer(), nullable=True),
        sa.Column("team_pk", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_pk"],
            ["messages.id"],
            name=op.f("fk_lead_copies_message_pk_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["original_pk"],
            ["messages.id"],
            name=op.f("fk_lead_copies_original_pk_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_pk"], ["teams.id"], name=op.f("fk_lead_copies_team_pk_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("message_pk", name=op.f("pk_lead_copies")),
        sa.UniqueConstraint("original_pk", "email", name=op.f("uq_lead_copies_original_pk")),
    )


def downgrade() -> None:
    op.drop_table("lead_copies")
    op.drop_table("team_leads")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("escalate")
