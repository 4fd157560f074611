"""audit location

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23

Each audit record names the location it happened at, so a brand admin reads
only their own brand's records. Earlier records about a lot ("lot L of SKU
at S1") get their location from the subject; the rest stay without one
(deployment-wide, shown by the CLI only).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_log_location"), ["location"], unique=False)
    audit = sa.table(
        "audit_log", sa.column("id", sa.Integer), sa.column("subject", sa.String),
        sa.column("location", sa.String),
    )  # fmt: skip
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(audit.c.id, audit.c.subject).where(audit.c.subject.like("lot % at %"))
    ).all()
    for row_id, subject in rows:
        connection.execute(
            sa.update(audit)
            .where(audit.c.id == row_id)
            .values(location=subject.rsplit(" at ", 1)[1])
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_location"))
        batch_op.drop_column("location")
