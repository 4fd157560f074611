"""demand drivers (holidays, events, promotions, weather)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "demand_drivers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("location_code", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("driver", sa.String(length=24), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_drivers")),
        sa.UniqueConstraint(
            "day", "location_code", "sku", "driver", name=op.f("uq_demand_drivers_day")
        ),
    )
    with op.batch_alter_table("demand_drivers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_demand_drivers_day"), ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("demand_drivers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_demand_drivers_day"))
    op.drop_table("demand_drivers")
