"""The next-review index: each holder's next review day and the state of the index, so that
the daily tick looks at the holders whose day has come instead of every holder.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "holder_reviews",
        sa.Column("holder_pk", sa.Integer(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("rules", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_pk"],
            ["holders.id"],
            name=op.f("fk_holder_reviews_holder_pk_holders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("holder_pk", name=op.f("pk_holder_reviews")),
    )
    op.create_index(
        op.f("ix_holder_reviews_review_on"), "holder_reviews", ["review_on"], unique=False
    )
    op.create_table(
        "review_index",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rules", sa.String(length=16), nullable=False),
        sa.Column("planned_as_of", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_index")),
    )


def downgrade() -> None:
    op.drop_table("review_index")
    op.drop_index(op.f("ix_holder_reviews_review_on"), table_name="holder_reviews")
    op.drop_table("holder_reviews")
