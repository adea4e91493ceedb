"""applications as documents: partner companies, comments; the subsidy saved with the JCM project

Partner companies named on an application (its co-applicants besides the Japanese local
governments and partner places it already names) and the comments of the people who may read
it. The JCM project keeps its last saved subsidy calculation. Nothing existing changes.

Revision ID: 20261205_0860
Revises: 20261205_0850
Create Date: 2026-12-05 23:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261205_0860"
down_revision = "20261205_0850"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "application_partner_companies",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_partner_companies_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["member_organizations.id"],
            name=op.f("fk_application_partner_companies_organization_id_member_organizations"),
        ),
        sa.PrimaryKeyConstraint("application_id", "organization_id", name=op.f("pk_application_partner_companies")),
    )
    op.create_table(
        "application_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_label", sa.String(length=254), nullable=False),
        sa.Column("organization_slug", sa.String(length=80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_application_comments_application_id_applications")
        ),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_application_comments_author_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_comments")),
    )
    op.create_index(
        op.f("ix_application_comments_application_id"), "application_comments", ["application_id"], unique=False
    )
    with op.batch_alter_table("jcm_projects") as batch:
        batch.add_column(sa.Column("subsidy_calculation", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("subsidy_calculated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jcm_projects") as batch:
        batch.drop_column("subsidy_calculated_at")
        batch.drop_column("subsidy_calculation")
    op.drop_index(op.f("ix_application_comments_application_id"), table_name="application_comments")
    op.drop_table("application_comments")
    op.drop_table("application_partner_companies")
