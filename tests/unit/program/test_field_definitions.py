"""Each program field is described once, by its seed record; tables and views agree with it.

The records (:mod:`c3p.program.records`) say what a field is; the tables store it under the
same name (a ``<x>_slug`` reference as ``<x>_id``), with the same type, nullability and a
column wide enough for every allowed value; the read models share its type. A field added
to one place and not the others fails here, naming the field.
"""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from c3p.program import records as r
from c3p.program import schemas as v
from c3p.program import tables as t
from tests.unit.program.field_shapes import (
    STORAGE_ONLY_COLUMNS,
    column_shape,
    field_shape,
)

RECORD_TABLES = list(t.RECORD_TABLES.items())

#: Rows stored inside another record (a project's organizations and tags) keep its key.
OWNER_COLUMNS = {r.ProjectOrganizationRecord: "project_id", r.ProjectTagRecord: "project_id"}

#: Which record describes the fields of each read model.
VIEW_RECORDS: list[tuple[type[BaseModel], type[r.Record]]] = [
    (v.CountryRef, r.CountryRecord),
    (v.CountryView, r.CountryRecord),
    (v.GovernmentRef, r.JapaneseGovernmentRecord),
    (v.GovernmentView, r.JapaneseGovernmentRecord),
    (v.PlaceRef, r.PartnerPlaceRecord),
    (v.PlaceView, r.PartnerPlaceRecord),
    (v.OrganizationRef, r.OrganizationRecord),
    (v.OrganizationView, r.OrganizationRecord),
    (v.PartnershipRef, r.PartnershipRecord),
    (v.PartnershipView, r.PartnershipRecord),
    (v.TermRef, r.VocabularyTermRecord),
    (v.TermView, r.VocabularyTermRecord),
    (v.TagView, r.ProjectTagRecord),
    (v.TagView, r.VocabularyTermRecord),
    (v.ProjectRef, r.ProjectRecord),
    (v.ProjectListItem, r.ProjectRecord),
    (v.ProjectView, r.ProjectRecord),
    (v.EventView, r.EventRecord),
    (v.RelatedProgramView, r.RelatedProgramRecord),
    (v.WebsiteView, r.WebsiteRecord),
    (v.ProgramReachView, r.ProgramReachRecord),
    (v.CallRoundView, r.CallRoundRecord),
    (v.StatedFigureView, r.DataNoteRecord),
]


def _scalar_fields(record: type[BaseModel]) -> dict[str, object]:
    return {name: field for name, field in record.model_fields.items() if field_shape(field).python_type is not list}


def _ids(pairs: list[tuple[type, type]]) -> list[str]:
    return [f"{a.__name__}-{b.__name__}" for a, b in pairs]


@pytest.mark.parametrize(("record", "table"), RECORD_TABLES, ids=_ids(RECORD_TABLES))
def test_every_record_field_is_stored_in_a_column_of_its_shape(record: type[r.Record], table: type) -> None:
    columns = table.__table__.columns
    for name, field in record.model_fields.items():
        shape = field_shape(field)
        if shape.python_type is list:
            continue  # stored as rows of their own record's table (project organizations, tags)
        if name in columns:
            column = column_shape(columns[name])
            assert column.python_type is shape.python_type, f"{table.__name__}.{name}: type"
            if column.max_length is not None:
                assert shape.max_length is not None, f"{record.__name__}.{name}: no bound for {column}"
                assert shape.max_length <= column.max_length, f"{table.__name__}.{name}: too narrow"
            default = columns[name].default
            assert (default.arg if default is not None else None) == (None if field.is_required() else field.default), (
                f"{table.__name__}.{name}: default"
            )
        else:
            assert name.endswith("_slug"), f"{table.__name__} has no column {name}"
            reference = columns[t.reference_column(name)]
            assert reference.foreign_keys, f"{table.__name__}.{reference.name} is not a reference"
            column = column_shape(reference)
        assert column.nullable == shape.nullable, f"{table.__name__}.{name}: nullable"


@pytest.mark.parametrize(("record", "table"), RECORD_TABLES, ids=_ids(RECORD_TABLES))
def test_every_column_holds_a_record_field(record: type[r.Record], table: type) -> None:
    fields = record.model_fields
    described = set(fields) | {t.reference_column(name) for name in fields if name.endswith("_slug")}
    allowed = described | STORAGE_ONLY_COLUMNS | {OWNER_COLUMNS.get(record, "")}
    assert set(table.__table__.columns.keys()) <= allowed


def test_partnership_members_are_stored_by_role() -> None:
    links = {"japanese_government": t.PartnershipJapaneseGovernment, "partner_place": t.PartnershipPartnerPlace}
    roles = field_shape(r.PartnershipMemberRecord.model_fields["role"])
    assert roles.python_type is str and set(links) == set(r.MemberRole.__args__)  # type: ignore[attr-defined]
    for role, table in links.items():
        stored = {"partnership_id", f"{role}_id", "position", "source"}
        assert set(table.__table__.columns.keys()) == stored


@pytest.mark.parametrize(("view", "record"), VIEW_RECORDS, ids=_ids(VIEW_RECORDS))
def test_a_read_model_shares_the_type_of_its_record_fields(view: type[BaseModel], record: type[r.Record]) -> None:
    shared = set(view.model_fields) & set(record.model_fields)
    assert shared, f"{view.__name__} shares no field with {record.__name__}"
    for name in shared:
        view_shape = field_shape(view.model_fields[name])
        record_shape = field_shape(record.model_fields[name])
        assert (view_shape.python_type, view_shape.nullable) == (record_shape.python_type, record_shape.nullable), (
            f"{view.__name__}.{name}"
        )


@pytest.mark.parametrize(("view", "record"), VIEW_RECORDS, ids=_ids(VIEW_RECORDS))
def test_fields_a_view_copies_from_its_table_have_the_column_type(
    view: type[BaseModel], record: type[r.Record]
) -> None:
    table = t.RECORD_TABLES[record]
    columns = table.__table__.columns
    copied = set(view.model_fields) & set(columns.keys())
    assert copied
    for name in copied:
        view_shape = field_shape(view.model_fields[name])
        column = column_shape(columns[name])
        assert (view_shape.python_type, view_shape.nullable) == (column.python_type, column.nullable), (
            f"{view.__name__}.{name}"
        )
