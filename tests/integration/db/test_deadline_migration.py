"""The migration that moves deadlines the old portal stored as 23:59:59 UTC to 23:59:59 Japan time.

Deadlines typed as moments stay; a call that accepted a submission after the corrected deadline
keeps the deadline it really had, so no submitted application turns late. Both backends.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from alembic import command

from c3p.db import migrate
from c3p.db.database import Database

BEFORE = "20261205_0840"
DAY_END_UTC = dt.datetime(2030, 5, 1, 23, 59, 59, tzinfo=dt.UTC)
MOMENT = dt.datetime(2030, 5, 1, 8, 0, tzinfo=dt.UTC)  # 17:00 in Japan, typed through the API


def _filled(table: sa.Table, **given: Any) -> dict[str, Any]:
    """A row of ``table``: the values given, and a plain value for every other required column."""
    plain = {sa.Integer: 1, sa.String: "x", sa.Text: "x", sa.Boolean: False, sa.JSON: [], sa.BigInteger: 1}
    row = dict(given)
    for column in table.columns:
        if column.name in row or column.nullable or (column.primary_key and isinstance(column.type, sa.Integer)):
            continue
        if isinstance(column.type, sa.DateTime):
            row[column.name] = MOMENT
            continue
        row[column.name] = next((v for kind, v in plain.items() if isinstance(column.type, kind)), "x")
    return row


def _utc(moment: dt.datetime | str) -> dt.datetime:
    """A stored moment in UTC (SQLite answers raw SQL with naive text)."""
    moment = dt.datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def test_day_deadlines_move_to_the_end_of_the_day_in_japan(fresh_database: Database) -> None:
    engine = fresh_database.engine
    migrate.upgrade(engine, BEFORE)
    metadata = sa.MetaData()
    metadata.reflect(engine, only=["calls", "applications", "member_organizations", "countries"])
    tables = metadata.tables
    with engine.begin() as connection:
        connection.execute(sa.insert(tables["countries"]).values(_filled(tables["countries"], iso3="JPN", iso2="JP")))
        connection.execute(
            sa.insert(tables["member_organizations"]).values(
                _filled(tables["member_organizations"], id=1, slug="acme", country_iso3="JPN")
            )
        )
        for call_id, closes in ((1, DAY_END_UTC), (2, MOMENT), (3, DAY_END_UTC)):
            values = _filled(
                tables["calls"], id=call_id, slug=f"2030-{call_id}", round=call_id, closes_at=closes, rubric={}
            )
            connection.execute(sa.insert(tables["calls"]).values(values))
        late = DAY_END_UTC - dt.timedelta(hours=2)  # after 23:59:59 in Japan, before 23:59:59 UTC
        connection.execute(
            sa.insert(tables["applications"]).values(
                _filled(tables["applications"], id=1, call_id=3, proposer_id=1, submitted_at=late, eligibility=[])
            )
        )

    migrate.upgrade(engine)
    with engine.connect() as connection:
        closes = dict(connection.execute(sa.text("SELECT id, closes_at FROM calls")).all())
    assert _utc(closes[1]) == dt.datetime(2030, 5, 1, 14, 59, 59, tzinfo=dt.UTC)  # 23:59:59 in Japan
    assert _utc(closes[2]) == MOMENT
    assert _utc(closes[3]) == DAY_END_UTC  # it accepted a submission later than the corrected deadline

    with engine.begin() as connection:
        config = migrate.alembic_config(engine)
        config.attributes["connection"] = connection
        command.downgrade(config, BEFORE)
    with engine.connect() as connection:
        restored = dict(connection.execute(sa.text("SELECT id, closes_at FROM calls")).all())
    assert [_utc(restored[i]) for i in (1, 2, 3)] == [DAY_END_UTC, MOMENT, DAY_END_UTC]
