"""role grants record who granted and who approved them; tokens record who made them

A grant of a role that runs the platform, issues or moves credits waits for a second
administrator's approval (``approved_at`` empty until then). A token an administrator makes
for someone else names its maker, so the history can say "on behalf of". Grants that exist
already count as approved when they were granted.

Revision ID: 20261205_0007
Revises: 20261128_0006
Create Date: 2026-12-05 13:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261205_0007"
down_revision = "20261128_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("role_grants") as batch_op:
        batch_op.add_column(sa.Column("granted_by", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("approved_by", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE role_grants SET approved_at = granted_at")
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.drop_column("created_by_id")
    with op.batch_alter_table("role_grants") as batch_op:
        batch_op.drop_column("approved_at")
        batch_op.drop_column("approved_by")
        batch_op.drop_column("granted_by")
