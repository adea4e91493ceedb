"""Exporting the registry as a documented dataset that re-imports cleanly.

The export holds exactly the seed records (:mod:`c3p.program.records`), read back from the
database: JSON (one object, a list per record kind), CSV (a folder, one file per kind, as in
``c3p/program/data``, with projects flattened into three files) or Excel (a sheet per kind).
GeoJSON is the map layer of partnerships, for GIS tools; it is not meant to re-import.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, selectinload

from c3p.db import tables as t
from c3p.db.base import Base
from c3p.errors import InvalidInput
from c3p.program import records as r
from c3p.program.geo import partnerships_geojson
from c3p.program.snapshot import SnapshotCache
from c3p.program.tables import RECORD_TABLES, reference_column

FORMAT_NAME = "c3p-registry-dataset"
FORMAT_VERSION = 1
FLAT_PROJECT_FIELDS = [name for name in r.ProjectRecord.model_fields if name not in ("organizations", "tags")]


def dataset_records(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Every registry record as plain dicts, keyed by record kind, in seed-file order."""
    records = _RecordReader(session)
    partnerships = list(
        session.scalars(
            select(t.Partnership)
            .order_by(t.Partnership.id)
            .options(
                selectinload(t.Partnership.japanese_government_links),
                selectinload(t.Partnership.partner_place_links),
            )
        )
    )
    projects = session.scalars(
        select(t.Project)
        .order_by(t.Project.id)
        .options(selectinload(t.Project.organization_links), selectinload(t.Project.tags))
    )
    return {
        "countries": records.all(
            r.CountryRecord, t.Country.jcm_partner_order.is_(None), t.Country.jcm_partner_order, t.Country.iso3
        ),
        "japanese_governments": records.all(r.JapaneseGovernmentRecord, t.JapaneseGovernment.id),
        "partner_places": records.all(r.PartnerPlaceRecord, t.PartnerPlace.id),
        "organizations": records.all(r.OrganizationRecord, t.Organization.id),
        "partnerships": [records.one(r.PartnershipRecord, row) for row in partnerships],
        "partnership_members": _partnership_members(records, partnerships),
        "vocabulary": records.all(r.VocabularyTermRecord, t.VocabularyTerm.id),
        "projects": [
            records.one(
                r.ProjectRecord,
                row,
                organizations=[records.one(r.ProjectOrganizationRecord, link) for link in row.organization_links],
                tags=[records.one(r.ProjectTagRecord, tag) for tag in row.tags],
            )
            for row in projects
        ],
        "events": records.all(r.EventRecord, t.Event.id),
        "related_programs": records.all(r.RelatedProgramRecord, t.RelatedProgram.id),
        "websites": records.all(r.WebsiteRecord, t.Website.id),
        "program_reach": records.all(r.ProgramReachRecord, t.ProgramReach.as_of),
        "call_rounds": records.all(r.CallRoundRecord, t.CallRound.fiscal_year, t.CallRound.round),
        "data_notes": records.all(r.DataNoteRecord, t.DataNote.figure),
    }


class _RecordReader:
    """Reads rows back as the seed records that describe them, copying fields by the
    record's own definition; a ``<x>_slug`` field is the slug of the row ``<x>_id`` names."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._slugs: dict[str, dict[Any, str]] = {}

    def all(self, record: type[r.Record], *order: Any) -> list[dict[str, Any]]:
        rows = self.session.scalars(select(RECORD_TABLES[record]).order_by(*order))
        return [self.one(record, row) for row in rows]

    def one(self, record: type[r.Record], row: Base, **nested: list[dict[str, Any]]) -> dict[str, Any]:
        values: dict[str, Any] = {
            name: self.reference(row, reference_column(name)) if name.endswith("_slug") else getattr(row, name)
            for name in record.model_fields
            if name not in nested
        }
        return record.model_validate(values | nested).model_dump(mode="json")

    def reference(self, row: Base, column: str) -> str | None:
        key = getattr(row, column)
        if key is None:
            return None
        (foreign_key,) = inspect(type(row)).columns[column].foreign_keys
        target = foreign_key.column.table
        if target.name not in self._slugs:
            self._slugs[target.name] = dict(self.session.execute(select(target.c.id, target.c.slug)).all())
        return self._slugs[target.name][key]


def _partnership_members(records: _RecordReader, partnerships: list[t.Partnership]) -> list[dict[str, Any]]:
    """Japanese governments of every partnership, then partner places, as the seed file lists them."""
    members = []
    for role in ("japanese_government", "partner_place"):
        for partnership in partnerships:
            for link in getattr(partnership, f"{role}_links"):
                member = records.reference(link, f"{role}_id")
                members.append(
                    {"partnership_slug": partnership.slug, "role": role, "member_slug": member, "source": link.source}
                )
    return members


def flat_tables(data: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Tables for CSV and Excel: projects split into projects, their organizations and tags."""
    tables = {name: rows for name, rows in data.items() if name != "projects"}
    tables["projects"] = [{n: p[n] for n in FLAT_PROJECT_FIELDS} for p in data["projects"]]
    tables["project_organizations"] = [
        {"project_slug": p["slug"], **link} for p in data["projects"] for link in p["organizations"]
    ]
    tables["project_tags"] = [{"project_slug": p["slug"], **tag} for p in data["projects"] for tag in p["tags"]]
    return tables


def export_dataset(session: Session, output: Path, export_format: str) -> Path:
    if export_format == "geojson":
        snapshot = SnapshotCache().get(session)
        output.write_bytes(partnerships_geojson(snapshot, list(snapshot.partnerships.values())))
        return output
    data = dataset_records(session)
    if export_format == "json":
        document = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "records": data}
        output.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    elif export_format == "csv":
        output.mkdir(parents=True, exist_ok=True)
        for name, rows in flat_tables(data).items():
            _write_csv(output / f"{name}.csv", rows)
    elif export_format == "xlsx":
        _write_xlsx(output, flat_tables(data))
    else:
        raise InvalidInput(f"--format: unknown export format {export_format!r}")
    return output


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        if not rows:
            return
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)


def _write_xlsx(path: Path, tables: dict[str, list[dict[str, Any]]]) -> None:
    from openpyxl import Workbook  # here: the web app starts without it

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in tables.items():
        sheet = workbook.create_sheet(name[:31])
        if rows:
            sheet.append(list(rows[0]))
            for row in rows:
                sheet.append([_cell(v) for v in row.values()])
    workbook.save(path)
