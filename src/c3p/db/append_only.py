"""Append-only tables: triggers that refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL).

The migrations that created the history and the credit journal added these triggers; the same
statements run when a fresh database is made from the tables in one go
(:func:`c3p.db.migrate.upgrade`), and a test checks that both ways build the same schema.
"""

from __future__ import annotations

from sqlalchemy import DDL, event

from c3p.db.base import Base


def refuse_changes(model: type[Base], refusal: str) -> None:
    """Have ``CREATE TABLE`` add the triggers that keep ``model``'s table append-only on both backends."""
    table, name = model.__table__, model.__tablename__
    for statement in (
        f"CREATE OR REPLACE FUNCTION {name}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{refusal}: % refused', TG_OP; END $$",
        f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {name} "
        f"FOR EACH ROW EXECUTE FUNCTION {name}_append_only()",
        f"CREATE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON {name} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}_append_only()",
    ):
        event.listen(table, "after_create", DDL(statement.replace("%", "%%")).execute_if(dialect="postgresql"))
    for operation in ("UPDATE", "DELETE"):
        statement = (
            f"CREATE TRIGGER {name}_no_{operation.lower()} BEFORE {operation} ON {name} "
            f"BEGIN SELECT RAISE(ABORT, '{refusal}: {operation} refused'); END"
        )
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
