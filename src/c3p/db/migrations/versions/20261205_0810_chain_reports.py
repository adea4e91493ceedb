"""one JCM project from pipeline to registry; monitoring reports recomputed, verified with findings

A JCM project gets its serial code at registration and its assigned verifying TPE; monitoring
reports and issuances point at the JCM project; a report keeps its inputs, the submitter's and
verifier's person and organization, the verified amount and opinion; verification findings
are rows of their own. Existing issuances keep the serial code their serials already printed
(the project reference without punctuation, upper case).

Revision ID: 20261205_0810
Revises: 20261205_0801
Create Date: 2026-12-05 19:10:00
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "20261205_0810"
down_revision = "20261205_0801"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jcm_projects") as batch_op:
        batch_op.add_column(sa.Column("serial_code", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("verifier_slug", sa.String(80), nullable=True))
        batch_op.add_column(sa.Column("verifier_assigned_by", sa.String(254), nullable=True))
        batch_op.add_column(sa.Column("verifier_assigned_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint("uq_jcm_projects_serial_code", ["serial_code"])
    with op.batch_alter_table("monitoring_reports") as batch_op:
        batch_op.add_column(sa.Column("jcm_project_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("inputs", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("submitted_by_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("submitted_by_organization", sa.String(80), nullable=True))
        batch_op.add_column(sa.Column("verified_by_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("verified_by_organization", sa.String(80), nullable=True))
        batch_op.add_column(sa.Column("verified_tco2", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("opinion", sa.Text(), nullable=False, server_default=""))
        batch_op.create_foreign_key(
            "fk_monitoring_reports_jcm_project_id_jcm_projects", "jcm_projects", ["jcm_project_id"], ["id"]
        )
        batch_op.create_index("ix_monitoring_reports_jcm_project_id", ["jcm_project_id"])
    # reports verified before verification recorded an amount were verified as claimed
    op.execute("UPDATE monitoring_reports SET verified_tco2 = emission_reductions_tco2 WHERE status <> 'submitted'")
    with op.batch_alter_table("credit_issuances") as batch_op:
        batch_op.add_column(sa.Column("jcm_project_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("serial_code", sa.String(16), nullable=False, server_default=""))
        batch_op.create_foreign_key(
            "fk_credit_issuances_jcm_project_id_jcm_projects", "jcm_projects", ["jcm_project_id"], ["id"]
        )
        batch_op.create_index("ix_credit_issuances_jcm_project_id", ["jcm_project_id"])
    connection = op.get_bind()
    for issuance_id, project in connection.execute(sa.text("SELECT id, project FROM credit_issuances")).all():
        code = re.sub(r"[^A-Za-z0-9]", "", project).upper()
        connection.execute(
            sa.text("UPDATE credit_issuances SET serial_code = :code WHERE id = :id"), {"code": code, "id": issuance_id}
        )
    op.create_table(
        "verification_findings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("monitoring_reports.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("raised_by", sa.String(254), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("responded_by", sa.String(254), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(254), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_verification_findings_report_id", "verification_findings", ["report_id"])


def downgrade() -> None:
    op.drop_index("ix_verification_findings_report_id", "verification_findings")
    op.drop_table("verification_findings")
    with op.batch_alter_table("credit_issuances") as batch_op:
        batch_op.drop_index("ix_credit_issuances_jcm_project_id")
        batch_op.drop_constraint("fk_credit_issuances_jcm_project_id_jcm_projects", type_="foreignkey")
        batch_op.drop_column("serial_code")
        batch_op.drop_column("jcm_project_id")
    with op.batch_alter_table("monitoring_reports") as batch_op:
        batch_op.drop_index("ix_monitoring_reports_jcm_project_id")
        batch_op.drop_constraint("fk_monitoring_reports_jcm_project_id_jcm_projects", type_="foreignkey")
        for column in (
            "opinion",
            "verified_tco2",
            "verified_by_organization",
            "verified_by_user_id",
            "submitted_by_organization",
            "submitted_by_user_id",
            "params",
            "inputs",
            "jcm_project_id",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("jcm_projects") as batch_op:
        batch_op.drop_constraint("uq_jcm_projects_serial_code", type_="unique")
        for column in ("verifier_assigned_at", "verifier_assigned_by", "verifier_slug", "serial_code"):
            batch_op.drop_column(column)
