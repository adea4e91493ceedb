"""the year after adoption: who recorded an activity and when it changed; expenses against the grant

Activities keep the organization of the person who recorded them and the time of their last
change; expenses are whole JPY per project. Existing activities get an empty organization.

Revision ID: 20261205_0870
Revises: 20261205_0860
Create Date: 2026-12-06 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261205_0870"
down_revision = "20261205_0860"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("project_activities") as batch:
        batch.add_column(sa.Column("organization_slug", sa.String(length=80), nullable=False, server_default=""))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "project_expenses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("spent_on", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("amount_jpy", sa.BigInteger(), nullable=False),
        sa.Column("organization_slug", sa.String(length=80), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_project_expenses_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_expenses")),
    )
    op.create_index(op.f("ix_project_expenses_project_id"), "project_expenses", ["project_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_project_expenses_project_id"), table_name="project_expenses")
    op.drop_table("project_expenses")
    with op.batch_alter_table("project_activities") as batch:
        batch.drop_column("updated_at")
        batch.drop_column("organization_slug")
