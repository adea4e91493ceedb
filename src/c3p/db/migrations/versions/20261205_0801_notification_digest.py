"""notifications remember when they were mailed; people may ask for one daily digest

A notification of a person who chose the daily digest waits (``mailed_at`` empty) until the
digest job mails it with the others of the day. Notifications that exist already count as
mailed, so the first digest does not repeat them.

Revision ID: 20261205_0801
Revises: 20261205_0007
Create Date: 2026-12-05 19:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261205_0801"
down_revision = "20261205_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.add_column(sa.Column("mailed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE notifications SET mailed_at = created_at")
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("daily_digest", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_notification_preferences_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preferences")),
    )


def downgrade() -> None:
    op.drop_table("notification_preferences")
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_column("mailed_at")
