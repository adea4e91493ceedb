"""a waiting role grant can be refused, with a reason, by a second administrator

The refusal is written on the grant just before it is deleted, so who refused it and why stay
in the grant's history. Existing grants were never refused.

Revision ID: 20261205_0830
Revises: 20261205_0820
Create Date: 2026-12-05 23:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261205_0830"
down_revision = "20261205_0820"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("role_grants") as batch_op:
        batch_op.add_column(sa.Column("refused_by", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("refusal_reason", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("role_grants") as batch_op:
        batch_op.drop_column("refusal_reason")
        batch_op.drop_column("refused_by")
