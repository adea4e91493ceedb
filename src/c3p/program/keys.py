"""From a record's public key (slug, ISO code) to its table and stored key, e.g. for its history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from c3p.db import tables as t

TABLES: dict[str, Any] = {
    "project": t.Project,
    "partnership": t.Partnership,
    "partner_place": t.PartnerPlace,
    "japanese_government": t.JapaneseGovernment,
    "organization": t.Organization,
    "term": t.VocabularyTerm,
}


def record_key(session: Session, kind: str, public_key: str) -> tuple[str, str] | None:
    """``(table name, primary key as text)`` of a registry record, or None if there is none."""
    if kind == "country":
        return ("countries", public_key.upper())
    table = TABLES[kind]
    row_id = session.scalar(select(table.id).where(table.slug == public_key))
    return (table.__tablename__, str(row_id)) if row_id is not None else None
