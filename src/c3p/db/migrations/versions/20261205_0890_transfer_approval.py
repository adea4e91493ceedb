"""a registry may ask a second representative to approve large transfers; proposals wait for it

Each registry gets ``approval_threshold_credits`` (empty: no second approval, as before); a
transfer of more credits waits in ``credit_transfer_proposals`` until another representative
of the sending account approves or refuses it.

Existing data: no registry asks for approval until its administrator sets a threshold. No
account representative is named by this migration: from this version only representatives
move credits (membership of the holder gives read access), so after the upgrade each
registry administrator names the representatives of its holding accounts
(``c3p registry add-representative``); until then the accounts' credits stay where they are.

Revision ID: 20261205_0890
Revises: 20261205_0880
Create Date: 2026-12-05 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261205_0890"
down_revision = "20261205_0880"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credit_registries") as batch_op:
        batch_op.add_column(sa.Column("approval_threshold_credits", sa.BigInteger(), nullable=True))
    op.create_table(
        "credit_transfer_proposals",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("from_account_id", sa.Integer(), nullable=False),
        sa.Column("to_account_id", sa.Integer(), nullable=False),
        sa.Column("credits", sa.BigInteger(), nullable=False),
        sa.Column("serial", sa.Text(), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("proposed_by", sa.Text(), nullable=False),
        sa.Column("proposed_seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("resolved_by", sa.Text(), nullable=False),
        sa.Column("resolved_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["from_account_id"],
            ["credit_accounts.id"],
            name=op.f("fk_credit_transfer_proposals_from_account_id_credit_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["to_account_id"],
            ["credit_accounts.id"],
            name=op.f("fk_credit_transfer_proposals_to_account_id_credit_accounts"),
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_credit_transfer_proposals")),
        info={"history": False},
    )
    with op.batch_alter_table("credit_transfer_proposals") as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_transfer_proposals_from_account_id"), ["from_account_id"])
        batch_op.create_index(batch_op.f("ix_credit_transfer_proposals_status"), ["status"])


def downgrade() -> None:
    op.drop_table("credit_transfer_proposals")
    with op.batch_alter_table("credit_registries") as batch_op:
        batch_op.drop_column("approval_threshold_credits")
