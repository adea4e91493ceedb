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

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from c3p.db import tables as t
from c3p.errors import InvalidInput
from c3p.program import records as r
from c3p.program.geo import partnerships_geojson
from c3p.program.snapshot import SnapshotCache

FORMAT_NAME = "c3p-registry-dataset"
FORMAT_VERSION = 1
FLAT_PROJECT_FIELDS = [name for name in r.ProjectRecord.model_fields if name not in ("organizations", "tags")]


def dataset_records(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Every registry record as plain dicts, keyed by record kind, in seed-file order."""
    places = {row.id: row.slug for row in session.scalars(select(t.PartnerPlace))}
    terms = {row.id: row.slug for row in session.scalars(select(t.VocabularyTerm))}
    organizations = {row.id: row.slug for row in session.scalars(select(t.Organization))}
    governments = {row.id: row.slug for row in session.scalars(select(t.JapaneseGovernment))}

    def rows(table: type[Any], record: type[r.Record], order: Any, **computed: Any) -> list[dict[str, Any]]:
        names = [n for n in record.model_fields if n not in computed]
        out = []
        for row in session.scalars(select(table).order_by(*order if isinstance(order, tuple) else (order,))):
            values = {n: getattr(row, n) for n in names} | {n: f(row) for n, f in computed.items()}
            out.append(record.model_validate(values).model_dump(mode="json"))
        return out

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
    projects = list(
        session.scalars(
            select(t.Project)
            .order_by(t.Project.id)
            .options(selectinload(t.Project.organization_links), selectinload(t.Project.tags))
        )
    )
    partnership_slug = {p.id: p.slug for p in partnerships}
    return {
        "countries": rows(
            t.Country,
            r.CountryRecord,
            (t.Country.jcm_partner_order.is_(None), t.Country.jcm_partner_order, t.Country.iso3),
        ),
        "japanese_governments": rows(t.JapaneseGovernment, r.JapaneseGovernmentRecord, t.JapaneseGovernment.id),
        "partner_places": rows(
            t.PartnerPlace,
            r.PartnerPlaceRecord,
            t.PartnerPlace.id,
            parent_slug=lambda row: places.get(row.parent_id),
        ),
        "organizations": rows(t.Organization, r.OrganizationRecord, t.Organization.id),
        "partnerships": rows(t.Partnership, r.PartnershipRecord, t.Partnership.id),
        "partnership_members": [
            {
                "partnership_slug": p.slug,
                "role": "japanese_government",
                "member_slug": governments[link.japanese_government_id],
                "source": link.source,
            }
            for p in partnerships
            for link in p.japanese_government_links
        ]
        + [
            {
                "partnership_slug": p.slug,
                "role": "partner_place",
                "member_slug": places[link.partner_place_id],
                "source": link.source,
            }
            for p in partnerships
            for link in p.partner_place_links
        ],
        "vocabulary": rows(
            t.VocabularyTerm,
            r.VocabularyTermRecord,
            t.VocabularyTerm.id,
            sector_slug=lambda row: terms.get(row.sector_id),
        ),
        "projects": [
            r.ProjectRecord.model_validate(
                {n: getattr(p, n) for n in FLAT_PROJECT_FIELDS if n != "partnership_slug"}
                | {
                    "partnership_slug": partnership_slug[p.partnership_id],
                    "organizations": [
                        {"organization_slug": organizations[o.organization_id], "role": o.role}
                        for o in p.organization_links
                    ],
                    "tags": [{"term_slug": terms[tag.term_id], "evidence_ja": tag.evidence_ja} for tag in p.tags],
                }
            ).model_dump(mode="json")
            for p in projects
        ],
        "events": rows(t.Event, r.EventRecord, t.Event.id),
        "related_programs": rows(t.RelatedProgram, r.RelatedProgramRecord, t.RelatedProgram.id),
        "websites": rows(t.Website, r.WebsiteRecord, t.Website.id),
        "program_reach": rows(t.ProgramReach, r.ProgramReachRecord, t.ProgramReach.as_of),
        "call_rounds": rows(t.CallRound, r.CallRoundRecord, (t.CallRound.fiscal_year, t.CallRound.round)),
        "data_notes": rows(t.DataNote, r.DataNoteRecord, t.DataNote.figure),
    }


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
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in tables.items():
        sheet = workbook.create_sheet(name[:31])
        if rows:
            sheet.append(list(rows[0]))
            for row in rows:
                sheet.append([_cell(v) for v in row.values()])
    workbook.save(path)
