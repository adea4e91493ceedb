"""submitted versions of the Article 6.2 annual report (agreed electronic format)

One row per submitted version of a country's report for a year: its canonical JSON, hash,
whether its consistency checks passed, who submitted it and when. Existing data: none.

Revision ID: 20261206_0910
Revises: 20261205_0890
Create Date: 2026-12-06 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261206_0910"
down_revision = "20261205_0890"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article6_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("consistent", sa.Boolean(), nullable=False),
        sa.Column("submitted_by", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article6_submissions")),
        sa.UniqueConstraint("country", "year", "version", name=op.f("uq_article6_submissions_country_year_version")),
        info={"history": False},
    )


def downgrade() -> None:
    op.drop_table("article6_submissions")
