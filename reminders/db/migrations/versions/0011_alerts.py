"""Employer alerts: the events of an organisation's members (behind near a deadline, overdue,
lapsed), each subscription's choice of alerts, and the alerts with the events they carry.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("events_since", sa.DateTime(), nullable=True))
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(
            sa.Column("alerts", sa.String(length=16), server_default="none", nullable=False)
        )
        batch.add_column(sa.Column("alerts_after", sa.Integer(), nullable=True))
    op.create_table(
        "team_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_pk", sa.Integer(), nullable=False),
        sa.Column("holder_pk", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=16), nullable=False),
        sa.Column("cycle_end", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("detected_at", sa.DateTime(), nullable=False),
        sa.Column("baseline", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_pk"],
            ["organisations.id"],
            name=op.f("fk_team_events_org_pk_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["holder_pk"],
            ["holders.id"],
            name=op.f("fk_team_events_holder_pk_holders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_events")),
        sa.UniqueConstraint(
            "org_pk", "holder_pk", "body", "cycle_end", "kind", name=op.f("uq_team_events_org_pk")
        ),
    )
    op.create_index("ix_team_events_org", "team_events", ["org_pk", "id"])
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=96), nullable=False),
        sa.Column("subscription_pk", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("message_pk", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_pk"],
            ["subscriptions.id"],
            name=op.f("fk_alerts_subscription_pk_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_pk"],
            ["messages.id"],
            name=op.f("fk_alerts_message_pk_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("key", name=op.f("uq_alerts_key")),
    )
    op.create_index("ix_alerts_subscription", "alerts", ["subscription_pk", "id"])
    op.create_index("ix_alerts_message", "alerts", ["message_pk"])
    op.create_table(
        "alert_items",
        sa.Column("subscription_pk", sa.Integer(), nullable=False),
        sa.Column("event_pk", sa.Integer(), nullable=False),
        sa.Column("alert_pk", sa.Integer(), nullable=False),
        sa.Column("dropped", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_pk"],
            ["subscriptions.id"],
            name=op.f("fk_alert_items_subscription_pk_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_pk"],
            ["team_events.id"],
            name=op.f("fk_alert_items_event_pk_team_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["alert_pk"],
            ["alerts.id"],
            name=op.f("fk_alert_items_alert_pk_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subscription_pk", "event_pk", name=op.f("pk_alert_items")),
    )
    op.create_index("ix_alert_items_alert", "alert_items", ["alert_pk"])


def downgrade() -> None:
    op.drop_index("ix_alert_items_alert", table_name="alert_items")
    op.drop_table("alert_items")
    op.drop_index("ix_alerts_message", table_name="alerts")
    op.drop_index("ix_alerts_subscription", table_name="alerts")
    op.drop_table("alerts")
    op.drop_index("ix_team_events_org", table_name="team_events")
    op.drop_table("team_events")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("alerts_after")
        batch.drop_column("alerts")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("events_since")
