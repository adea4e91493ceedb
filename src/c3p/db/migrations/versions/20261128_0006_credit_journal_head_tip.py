"""credit journal head: the chain's tip (seq, hash, previous_hash)

The head row was only a mutex; it now also holds the number and hash of the last entry,
written in the same transaction as that entry. On PostgreSQL one statement then advances
the head (``UPDATE … RETURNING``, which after waiting for the row's lock reads its newest
version) and appends the entry it describes, so the lock is held from that statement to
the commit and no longer across a round trip. ``c3p registry verify`` checks that the head
and the last entry agree.

Revision ID: 20261128_0006
Revises: 20261128_0005
Create Date: 2026-11-28 14:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261128_0006"
down_revision = "20261128_0005"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table("credit_journal_head") as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=False, server_default=GENESIS))
        batch_op.add_column(sa.Column("previous_hash", sa.String(length=64), nullable=False, server_default=GENESIS))
    op.execute(
        "UPDATE credit_journal_head SET "
        "seq = COALESCE((SELECT MAX(seq) FROM credit_journal), 0), "
        f"hash = COALESCE((SELECT hash FROM credit_journal ORDER BY seq DESC LIMIT 1), '{GENESIS}'), "
        f"previous_hash = COALESCE((SELECT previous_hash FROM credit_journal ORDER BY seq DESC LIMIT 1), '{GENESIS}')"
    )


def downgrade() -> None:
    with op.batch_alter_table("credit_journal_head") as batch_op:
        batch_op.drop_column("previous_hash")
        batch_op.drop_column("hash")
        batch_op.drop_column("seq")
