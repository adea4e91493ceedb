"""continuation of a multi-year plan: an application names the project it continues

The next year of a multi-year plan is applied for and adopted like any project; the application
names the project it continues, and adoption makes the new project the plan's next year.

Revision ID: 20261205_0880
Revises: 20261205_0870
Create Date: 2026-12-06 00:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261205_0880"
down_revision = "20261205_0870"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("continues_project_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_applications_continues_project_id_projects", "projects", ["continues_project_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.drop_constraint("fk_applications_continues_project_id_projects", type_="foreignkey")
        batch.drop_column("continues_project_id")
