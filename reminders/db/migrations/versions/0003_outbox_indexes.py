"""Indexes the outbox needs at scale: notices by message (every delivery outcome updates its
message's notices) and messages by address and sending time (the daily cap).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_notices_message", "notices", ["message_pk"])
    op.create_index("ix_messages_address_sent", "messages", ["to_address", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_address_sent", table_name="messages")
    op.drop_index("ix_notices_message", table_name="notices")
