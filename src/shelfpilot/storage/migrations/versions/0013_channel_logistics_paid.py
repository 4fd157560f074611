"""channel logistics paid

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24

What getting a channel line's units to the channel cost (courier, packing),
kept with its outcome: what clearance recovered is counted net of it. It is
what the shop said it paid (``logistics_paid`` true: the channel's logistics
cost is learned from it) or else what the plan expected. Outcomes recorded
before have none (the channel's cost as set up stands in).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("channel_outcomes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("logistics", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("logistics_paid", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("channel_outcomes", schema=None) as batch_op:
        batch_op.drop_column("logistics_paid")
        batch_op.drop_column("logistics")
