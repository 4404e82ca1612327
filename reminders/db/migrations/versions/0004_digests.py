"""Employer digests: one row per subscription and period, with what it showed; digest mail
goes through the same outbox, so a message's holder may now be empty.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.alter_column("holder_pk", existing_type=sa.Integer(), nullable=True)
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=96), nullable=False),
        sa.Column("subscription_pk", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("message_pk", sa.Integer(), nullable=True),
        sa.Column("previous_pk", sa.Integer(), nullable=True),
        sa.Column("shown", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_pk"],
            ["messages.id"],
            name=op.f("fk_digests_message_pk_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["previous_pk"],
            ["digests.id"],
            name=op.f("fk_digests_previous_pk_digests"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_pk"],
            ["subscriptions.id"],
            name=op.f("fk_digests_subscription_pk_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digests")),
        sa.UniqueConstraint("key", name=op.f("uq_digests_key")),
    )
    op.create_index("ix_digests_message", "digests", ["message_pk"])
    op.create_index("ix_digests_subscription", "digests", ["subscription_pk", "id"])


def downgrade() -> None:
    op.drop_index("ix_digests_subscription", table_name="digests")
    op.drop_index("ix_digests_message", table_name="digests")
    op.drop_table("digests")
    op.execute("DELETE FROM messages WHERE holder_pk IS NULL")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.alter_column("holder_pk", existing_type=sa.Integer(), nullable=False)
