"""Japanese names for prefectures and enclosing units, spelling aliases, the signing source

Public pages speak Japanese throughout: a government's prefecture and a place's enclosing
unit get their Japanese names; places and organizations keep the other spellings the brochure
uses as searchable aliases; a country's JCM signing date names the official page it rests on;
a published reach figure says how precise its date is and whether it is a lower bound (「30件以上」).
All columns are text with an empty default, so existing rows stay valid until the data loads.

Revision ID: 20261205_0840
Revises: 20261205_0830
Create Date: 2026-12-06 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261205_0840"
down_revision = "20261205_0830"
branch_labels = None
depends_on = None

COLUMNS = (
    ("countries", "jcm_signed_source"),
    ("japanese_governments", "prefecture_ja"),
    ("partner_places", "parent_ja"),
    ("partner_places", "aliases_ja"),
    ("organizations", "aliases_ja"),
)


def upgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(column, sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("program_reach") as batch:
        batch.add_column(sa.Column("as_of_precision", sa.String(length=10), nullable=False, server_default="day"))
        batch.add_column(sa.Column("jcm_projects_at_least", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("program_reach") as batch:
        batch.drop_column("jcm_projects_at_least")
        batch.drop_column("as_of_precision")
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
