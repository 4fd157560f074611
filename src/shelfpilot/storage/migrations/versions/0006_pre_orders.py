"""pre-orders

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pre_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("price_ratio", sa.BigInteger(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("collect_on", sa.Date(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("customer", sa.String(length=200), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_pre_orders_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"], ["operations.id"], name=op.f("fk_pre_orders_operation_id_operations")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_pre_orders_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pre_orders")),
        sa.UniqueConstraint("operation_id", name=op.f("uq_pre_orders_operation_id")),
    )
    with op.batch_alter_table("pre_orders", schema=None) as batch_op:
        batch_op.create_index("ix_pre_orders_day", ["collect_on", "location_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pre_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_pre_orders_day")
    op.drop_table("pre_orders")
