"""each host country's running total of first-transferred credits (Article 6.2)

The "correspondingly adjusted" label compares a host's recorded first-transfer adjustments
with the credits it first transferred; summing the host's first-transferred blocks on every
page view grew with the ledger. The credit service now keeps this total in the transaction
that records the adjustments. Existing data: the totals are written from the blocks' marks.

Revision ID: 20261206_1030
Revises: 20261206_1020
Create Date: 2026-12-06 21:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261206_1030"
down_revision = "20261206_1020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article6_first_transfer_totals",
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("credits", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("country", name=op.f("pk_article6_first_transfer_totals")),
        info={"history": False},
    )
    op.execute(
        "INSERT INTO article6_first_transfer_totals (country, credits) "
        "SELECT i.host_country, SUM(b.end_serial - b.start_serial + 1) FROM credit_blocks b "
        "JOIN credit_issuances i ON i.id = b.issuance_id WHERE b.first_transferred "
        "GROUP BY i.host_country"
    )


def downgrade() -> None:
    op.drop_table("article6_first_transfer_totals")
