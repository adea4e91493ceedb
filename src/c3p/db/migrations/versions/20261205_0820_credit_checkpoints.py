"""signed checkpoints of the credit journal head

The registry signs the head of its journal (sequence number and hash) with its Ed25519 key at
each issuance and whenever the operator runs ``c3p registry checkpoint``. Existing journals are
not re-hashed: their entries keep their hashes. Rows written before this revision (accounts,
monitoring reports, issuances, registries) have never been sealed into the journal; after
upgrading, the operator runs ``c3p registry verify`` and then ``c3p registry seal`` once
(docs/registry.md, "Upgrading a registry").

Revision ID: 20261205_0820
Revises: 20261205_0810
Create Date: 2026-12-05 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261205_0820"
down_revision = "20261205_0810"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("head_seq", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.String(length=40), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_checkpoints")),
        info={"history": False},
    )


def downgrade() -> None:
    op.drop_table("credit_checkpoints")
