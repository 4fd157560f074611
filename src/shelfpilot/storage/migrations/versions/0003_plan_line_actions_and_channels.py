"""plan line actions and channels

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
        sa.UniqueConstraint("code", name=op.f("uq_channels_code")),
    )
    op.create_table(
        "channel_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("plan_line_id", sa.Integer(), nullable=True),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("offered", sa.BigInteger(), nullable=False),
        sa.Column("sold", sa.BigInteger(), nullable=False),
        sa.Column("revenue", sa.BigInteger(), nullable=False),
        sa.Column("list_value", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_channel_outcomes_channel_id_channels")
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lots.id"], name=op.f("fk_channel_outcomes_lot_id_lots")
        ),
        sa.ForeignKeyConstraint(
            ["plan_line_id"],
            ["plan_lines.id"],
            name=op.f("fk_channel_outcomes_plan_line_id_plan_lines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_outcomes")),
        sa.UniqueConstraint("plan_line_id", name=op.f("uq_channel_outcomes_plan_line_id")),
    )
    with op.batch_alter_table("channel_outcomes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_channel_outcomes_channel_id"), ["channel_id"], unique=False
        )

    with op.batch_alter_table("plan_lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("action", sa.String(length=24), server_default="markdown", nullable=False)
        )
        batch_op.add_column(
            sa.Column("channel", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("units", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("detail", sa.Text(), server_default="{}", nullable=False))
        batch_op.drop_constraint(batch_op.f("uq_plan_lines_plan_lot"), type_="unique")
        batch_op.create_unique_constraint(
            "uq_plan_lines_plan_lot_action", ["plan_id", "lot_id", "action", "channel"]
        )


def downgrade() -> None:

    with op.batch_alter_table("plan_lines", schema=None) as batch_op:
        batch_op.drop_constraint("uq_plan_lines_plan_lot_action", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_plan_lines_plan_lot"), ["plan_id", "lot_id"]
        )
        batch_op.drop_column("detail")
        batch_op.drop_column("units")
        batch_op.drop_column("channel")
        batch_op.drop_column("action")

    with op.batch_alter_table("channel_outcomes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_outcomes_channel_id"))

    op.drop_table("channel_outcomes")
    op.drop_table("channels")
