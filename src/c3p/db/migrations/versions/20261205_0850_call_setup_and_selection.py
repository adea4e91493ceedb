"""calls set up in the portal, the secretariat's selection tools; deadlines at 23:59 Japan time

Calls gain the JCM candidate countries they prioritise. Applications gain the secretariat's
eligibility ruling and its reason, the return for correction (差戻し) with its message and new
deadline, and the adoption decision (交付決定: grant amount and day).

The portal used to store a deadline typed as a day as 23:59:59 UTC, which is 08:59:59 the next
morning in Japan. Those deadlines are moved to 23:59:59 Japan time of the same day (14:59:59
UTC), which is what the secretariat meant; deadlines at any other time were typed as moments
(API, CLI) and are kept.

Revision ID: 20261205_0850
Revises: 20261205_0840
Create Date: 2026-12-05 23:50:00
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "20261205_0850"
down_revision = "20261205_0840"
branch_labels = None
depends_on = None

#: a day's end as the old portal stored it (UTC), and the same day's end in Japan (UTC+9, no summer time)
OLD_END_UTC = dt.time(23, 59, 59)
JAPAN_END_UTC = dt.time(14, 59, 59)
JAPAN_OFFSET = dt.timedelta(hours=9)


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch_op:
        batch_op.add_column(sa.Column("priority_countries", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("applications") as batch_op:
        batch_op.add_column(sa.Column("eligibility_override", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("eligibility_override_reason", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("correction_message", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("correction_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("grant_amount_jpy", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("grant_decided_on", sa.Date(), nullable=True))
    _move_deadlines(OLD_END_UTC, -JAPAN_OFFSET)


def _move_deadlines(stored_at: dt.time, shift: dt.timedelta) -> None:
    """Shift deadlines stored at ``stored_at`` UTC, unless an application was submitted after the new one.

    A call that accepted a submission after the corrected deadline keeps the deadline it
    really had, so no submitted application ever appears late.
    """
    connection = op.get_bind()
    calls = sa.table("calls", sa.column("id", sa.Integer()), sa.column("closes_at", sa.DateTime(timezone=True)))
    applications = sa.table(
        "applications", sa.column("call_id", sa.Integer()), sa.column("submitted_at", sa.DateTime(timezone=True))
    )
    for call_id, closes_at in connection.execute(sa.select(calls.c.id, calls.c.closes_at)).all():
        moment = _utc(closes_at)
        if moment.timetz().replace(tzinfo=None) != stored_at:
            continue
        moved = moment + shift
        submitted = connection.execute(
            sa.select(applications.c.submitted_at).where(
                applications.c.call_id == call_id, applications.c.submitted_at.is_not(None)
            )
        ).scalars()
        if all(_utc(at) <= moved for at in submitted):
            connection.execute(calls.update().where(calls.c.id == call_id).values(closes_at=moved))


def _utc(moment: dt.datetime) -> dt.datetime:
    """SQLite gives naive datetimes; every stored time is UTC."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def downgrade() -> None:
    """Columns are dropped in place (SQLite 3.35+ and PostgreSQL): copying a referenced table would fail."""
    _move_deadlines(JAPAN_END_UTC, JAPAN_OFFSET)
    for column in (
        "grant_decided_on",
        "grant_amount_jpy",
        "correction_due_at",
        "correction_message",
        "eligibility_override_reason",
        "eligibility_override",
    ):
        op.drop_column("applications", column)
    op.drop_column("calls", "priority_countries")
