"""Holders owned by the organisation that created them: holder_id unique per organisation.

Every holder stored before this revision stays on the operator's roster (org_pk empty), where
holder_id stays unique: the CSV imports and the organisations' teams find them as before.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ROSTER = sa.text("org_pk IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("holders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("org_pk", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_holders_org_pk_organisations"),
            "organisations",
            ["org_pk"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.drop_constraint(op.f("uq_holders_holder_id"), type_="unique")
        batch_op.create_unique_constraint(op.f("uq_holders_org_pk"), ["org_pk", "holder_id"])
    op.create_index(
        "uq_holders_roster_holder_id",
        "holders",
        ["holder_id"],
        unique=True,
        sqlite_where=_ROSTER,
        postgresql_where=_ROSTER,
    )
    op.create_index("ix_holders_holder_id_id", "holders", ["holder_id", "id"])


def downgrade() -> None:
    # Only possible while no two holders share a holder_id (the unique constraint comes back).
    op.drop_index("ix_holders_holder_id_id", table_name="holders")
    op.drop_index("uq_holders_roster_holder_id", table_name="holders")
    with op.batch_alter_table("holders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_holders_org_pk"), type_="unique")
        batch_op.create_unique_constraint(op.f("uq_holders_holder_id"), ["holder_id"])
        batch_op.drop_constraint(op.f("fk_holders_org_pk_organisations"), type_="foreignkey")
        batch_op.drop_column("org_pk")
