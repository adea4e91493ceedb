"""The change history: one append-only row per created, updated or deleted record.

Rows are written by the session hook in :mod:`c3p.db.history` in the same transaction as the
change; triggers refuse UPDATE and DELETE on both backends (:mod:`c3p.db.append_only`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from c3p.db.append_only import refuse_changes
from c3p.db.base import NOT_IN_HISTORY, Base, utcnow


class HistoryEntry(Base):
    __tablename__ = "history"
    __table_args__ = (Index("ix_history_table_name_record_key", "table_name", "record_key"), {"info": NOT_IN_HISTORY})

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(254))
    operation: Mapped[str] = mapped_column(String(6))
    table_name: Mapped[str] = mapped_column(String(80))
    record_key: Mapped[str] = mapped_column(String(200))
    #: {field: [before, after]}; secrets appear as "[redacted]"
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)


refuse_changes(HistoryEntry, "the history is append-only")
