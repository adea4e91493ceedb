"""The stored shape of a record field, a view field and a table column, comparable.

A seed record (pydantic) is the one description of each program field; these helpers reduce
it, a read model's field and a database column to the same small tuple so tests can check
that records, tables, views and the migrated database agree field by field.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic.fields import FieldInfo
from sqlalchemy import Column

#: Surrogate keys and link order: columns a table has that no record needs.
STORAGE_ONLY_COLUMNS = {"id", "position"}


@dataclass(frozen=True)
class Shape:
    python_type: type
    nullable: bool
    max_length: int | None = None


def field_shape(field: FieldInfo) -> Shape:
    """A pydantic field's type, whether it may be None, and the longest string it accepts."""
    return _shape(field.annotation, field.metadata)


def column_shape(column: Column[Any]) -> Shape:
    length = getattr(column.type, "length", None)
    return Shape(column.type.python_type, bool(column.nullable), length)


def _shape(annotation: Any, metadata: list[Any]) -> Shape:
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType) and type(None) in arguments:
        (inner,) = [a for a in arguments if a is not type(None)]
        shape = _shape(inner, metadata)
        return Shape(shape.python_type, True, shape.max_length)
    if origin is typing.Annotated:
        return _shape(arguments[0], [*metadata, *annotation.__metadata__])
    if origin is typing.Literal:
        return Shape(type(arguments[0]), False, max(len(str(a)) for a in arguments))
    if origin is list:
        return Shape(list, False)
    if isinstance(annotation, type) and issubclass(annotation, (str, int, float, bool, dt.date)):
        return Shape(annotation, False, _max_length(metadata) if annotation is str else None)
    raise AssertionError(f"no stored shape for {annotation!r}")


def _max_length(metadata: list[Any]) -> int | None:
    for item in metadata:
        if getattr(item, "max_length", None) is not None:
            return int(item.max_length)
        fixed = re.fullmatch(r"\^\[A-Z\]\{(\d+)\}\$", getattr(item, "pattern", None) or "")
        if fixed:
            return int(fixed.group(1))
    return None
