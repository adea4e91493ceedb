"""Article 6.2 authorizations as records (credit_authorizations)

One row per authorized serial range of an issuance, in its current version. Existing data:
every issuance authorized as a whole gets one record per registry range it issued, with the
conservative reading c3p applied so far (purposes ndc and oimp, cancellation counted as the
first transfer), decided by its notification on the day of the journal entry that authorized
it, so nothing already reported changes; the rows are read from the journal exactly as
``verify`` rebuilds them.

Revision ID: 20261206_1010
Revises: 20261206_0910
Create Date: 2026-12-06 06:00:00
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "20261206_1010"
down_revision = "20261206_0910"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_authorizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuance_id", sa.Integer(), nullable=False),
        sa.Column("registry", sa.String(length=3), nullable=False),
        sa.Column("start_serial", sa.BigInteger(), nullable=False),
        sa.Column("end_serial", sa.BigInteger(), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("entities", sa.JSON(), nullable=False),
        sa.Column("first_transfer", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("decision_ref", sa.Text(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("journal_seq", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "end_serial >= start_serial AND start_serial >= 1", name=op.f("ck_credit_authorizations_range_not_empty")
        ),
        sa.ForeignKeyConstraint(
            ["issuance_id"], ["credit_issuances.id"], name=op.f("fk_credit_authorizations_issuance_id_credit_issuances")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_authorizations")),
        sa.UniqueConstraint("registry", "start_serial", name=op.f("uq_credit_authorizations_registry_start_serial")),
        info={"history": False},
    )
    with op.batch_alter_table("credit_authorizations") as batch:
        batch.create_index(batch.f("ix_credit_authorizations_issuance_id"), ["issuance_id"])
    rows = _legacy_records(op.get_bind())
    if rows:
        types: dict[str, Any] = {"purposes": sa.JSON(), "entities": sa.JSON(), "decided_on": sa.Date()}
        types["recorded_at"] = sa.DateTime(timezone=True)
        table = sa.table("credit_authorizations", *(sa.column(name, types.get(name)) for name in rows[0]))
        op.bulk_insert(table, rows)


def _legacy_records(bind: Any) -> list[dict[str, Any]]:
    """The records of every issuance authorized as a whole, read from the journal as ``verify`` replays it."""
    found = bind.execute(
        sa.text("SELECT seq, entry FROM credit_journal WHERE kind IN ('issuance', 'authorization') ORDER BY seq")
    )
    issued: dict[int, tuple[str, list[tuple[str, int, int]]]] = {}
    authorized: dict[int, dict[str, Any]] = {}
    for seq, text in found:
        entry = json.loads(text)
        d = entry["details"]
        issuance = d["issuance_id"]
        if entry["kind"] == "issuance":
            ranges: dict[str, tuple[int, int]] = {}
            for registry, start, end, *_accounts in entry["moves"]:  # [registry, start, end, from, to, …]
                low, high = ranges.get(registry, (start, end))
                ranges[registry] = (min(low, start), max(high, end))
            issued[issuance] = (d.get("notification_ref", ""), [(r, lo, hi) for r, (lo, hi) in sorted(ranges.items())])
            if d.get("authorized"):
                authorized[issuance] = {"seq": seq, "actor": entry["actor"], "at": entry["at"]}
        elif d.get("status") == "authorized" and issuance not in authorized:
            authorized[issuance] = {"seq": seq, "actor": entry["actor"], "at": entry["at"]}
        elif d.get("status") == "not_authorized":
            authorized.pop(issuance, None)
    rows = []
    now = dt.datetime.now(dt.UTC)
    for issuance, when in sorted(authorized.items()):
        ref, ranges_issued = issued[issuance]
        for registry, start, end in ranges_issued:
            rows.append(
                {
                    "issuance_id": issuance,
                    "registry": registry,
                    "start_serial": start,
                    "end_serial": end,
                    "purposes": ["ndc", "oimp"],
                    "entities": [],
                    "first_transfer": "use_or_cancellation",
                    "version": 1,
                    "decision_ref": ref,
                    "decided_on": dt.date.fromisoformat(when["at"][:10]),
                    "recorded_by": when["actor"],
                    "recorded_at": now,
                    "journal_seq": when["seq"],
                }
            )
    return rows


def downgrade() -> None:
    with op.batch_alter_table("credit_authorizations") as batch:
        batch.drop_index(batch.f("ix_credit_authorizations_issuance_id"))
    op.drop_table("credit_authorizations")
