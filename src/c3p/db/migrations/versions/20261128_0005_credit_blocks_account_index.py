"""credit blocks: index (account_id, registry, start_serial)

A transfer takes the sender's blocks with the lowest serials, ordered by registry then
serial. With the old index on (account_id, start_serial) the database read every block of
the account and sorted them; this index returns the first few directly (and serves every
query the old one did, which it replaces).

Revision ID: 20261128_0005
Revises: 20261128_0003
Create Date: 2026-11-28 14:05:00
"""

from __future__ import annotations

from alembic import op

revision = "20261128_0005"
down_revision = "20261128_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credit_blocks") as batch_op:
        batch_op.drop_index("ix_credit_blocks_account_id_start_serial")
        batch_op.create_index(
            "ix_credit_blocks_account_id_registry_start_serial", ["account_id", "registry", "start_serial"]
        )


def downgrade() -> None:
    with op.batch_alter_table("credit_blocks") as batch_op:
        batch_op.drop_index("ix_credit_blocks_account_id_registry_start_serial")
        batch_op.create_index("ix_credit_blocks_account_id_start_serial", ["account_id", "start_serial"])
