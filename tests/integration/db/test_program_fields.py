"""The migrated database stores every program record field as its record describes it."""

from __future__ import annotations

from sqlalchemy import inspect

from c3p.db.database import Database
from c3p.program import tables as t
from c3p.program.tables import reference_column
from tests.unit.program.field_shapes import field_shape


def test_migrated_columns_match_the_record_fields(fresh_database: Database) -> None:
    fresh_database.upgrade()
    inspector = inspect(fresh_database.engine)
    for record, table in t.RECORD_TABLES.items():
        migrated = {column["name"]: column for column in inspector.get_columns(table.__tablename__)}
        for name, field in record.model_fields.items():
            shape = field_shape(field)
            if shape.python_type is list:
                continue
            column = migrated.get(name) or migrated[reference_column(name)]
            where = f"{table.__tablename__}.{column['name']}"
            assert bool(column["nullable"]) == shape.nullable, where
            if column["name"] == name:
                assert column["type"].python_type is shape.python_type, where
                length = getattr(column["type"], "length", None)
                assert length is None or (shape.max_length or length + 1) <= length, where
