"""Initial schema: holders, their credentials, memberships and CEU records; organisations,
teams and digest subscriptions; change events for the daemon.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "holders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holder_id", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holders")),
        sa.UniqueConstraint("holder_id", name=op.f("uq_holders_holder_id")),
    )
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )
    op.create_table(
        "ceu_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holder_pk", sa.Integer(), nullable=False),
        sa.Column("natural_key", sa.String(length=516), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column(
            "hours",
            sa.Integer(),  # hundredths of a CEU
            nullable=False,
        ),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=True),
        sa.Column("index_number", sa.String(length=64), nullable=True),
        sa.Column("bodies", sa.String(length=64), nullable=False),
        sa.Column("categories", sa.String(length=500), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_pk"],
            ["holders.id"],
            name=op.f("fk_ceu_records_holder_pk_holders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ceu_records")),
        sa.UniqueConstraint("holder_pk", "natural_key", name=op.f("uq_ceu_records_holder_pk")),
    )
    with op.batch_alter_table("ceu_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ceu_records_holder_completed", ["holder_pk", "completed_on"], unique=False
        )

    op.create_table(
        "change_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holder_pk", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_pk"],
            ["holders.id"],
            name=op.f("fk_change_events_holder_pk_holders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_events")),
    )
    with op.batch_alter_table("change_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_change_events_holder_pk"), ["holder_pk"], unique=False)

    op.create_table(
        "credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holder_pk", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("body", sa.String(length=16), nullable=False),
        sa.Column("earned_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_pk"],
            ["holders.id"],
            name=op.f("fk_credentials_holder_pk_holders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
        sa.UniqueConstraint("holder_pk", "code", name=op.f("uq_credentials_holder_pk")),
    )
    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holder_pk", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=16), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=True),
        sa.Column("renews_on", sa.Date(), nullable=True),
        sa.Column("cycle_ends_on", sa.Date(), nullable=True),
        sa.Column("required_ceus", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["holder_pk"],
            ["holders.id"],
            name=op.f("fk_memberships_holder_pk_holders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("holder_pk", "body", name=op.f("uq_memberships_holder_pk")),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_pk", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_pk"],
            ["organisations.id"],
            name=op.f("fk_teams_org_pk_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("org_pk", "name", name=op.f("uq_teams_org_pk")),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_pk", sa.Integer(), nullable=False),
        sa.Column("team_pk", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("paused", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_pk"],
            ["organisations.id"],
            name=op.f("fk_subscriptions_org_pk_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_pk"],
            ["teams.id"],
            name=op.f("fk_subscriptions_team_pk_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            "uq_subscriptions_org",
            ["org_pk", "email"],
            unique=True,
            sqlite_where=sa.text("team_pk IS NULL"),
            postgresql_where=sa.text("team_pk IS NULL"),
        )
        batch_op.create_index(
            "uq_subscriptions_team",
            ["org_pk", "team_pk", "email"],
            unique=True,
            sqlite_where=sa.text("team_pk IS NOT NULL"),
            postgresql_where=sa.text("team_pk IS NOT NULL"),
        )

    op.create_table(
        "team_members",
        sa.Column("team_pk", sa.Integer(), nullable=False),
        sa.Column("holder_pk", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_pk"],
            ["holders.id"],
            name=op.f("fk_team_members_holder_pk_holders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_pk"],
            ["teams.id"],
            name=op.f("fk_team_members_team_pk_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_pk", "holder_pk", name=op.f("pk_team_members")),
    )
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.create_index("ix_team_members_holder", ["holder_pk"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.drop_index("ix_team_members_holder")

    op.drop_table("team_members")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_subscriptions_team",
            sqlite_where=sa.text("team_pk IS NOT NULL"),
            postgresql_where=sa.text("team_pk IS NOT NULL"),
        )
        batch_op.drop_index(
            "uq_subscriptions_org",
            sqlite_where=sa.text("team_pk IS NULL"),
            postgresql_where=sa.text("team_pk IS NULL"),
        )

    op.drop_table("subscriptions")
    op.drop_table("teams")
    op.drop_table("memberships")
    op.drop_table("credentials")
    with op.batch_alter_table("change_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_events_holder_pk"))

    op.drop_table("change_events")
    with op.batch_alter_table("ceu_records", schema=None) as batch_op:
        batch_op.drop_index("ix_ceu_records_holder_completed")

    op.drop_table("ceu_records")
    op.drop_table("organisations")
    op.drop_table("holders")
