"""Reading an exported dataset (JSON, CSV folder or Excel workbook) back into seed records.

The same validation and cross-file checks as the shipped seed apply, with the file, row and
reason of the first problem; nothing is loaded unless the whole dataset is sound.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from c3p.errors import DataFileError, describe_validation_error
from c3p.program.dataset import Located, SeedDataset
from c3p.program.rules.integrity import check_integrity
from c3p.program.seed import SEED_FILES

Rows = dict[str, list[tuple[int, dict[str, Any]]]]


def read_export(path: Path) -> SeedDataset:
    if path.is_dir():
        rows = _unflatten(_csv_tables(path), path)
    elif path.suffix == ".json":
        rows = _json_tables(path)
    elif path.suffix == ".xlsx":
        rows = _unflatten(_xlsx_tables(path), path)
    else:
        raise DataFileError(str(path), None, "expected an exported .json, .xlsx or a folder of .csv files")
    return _dataset(rows, path)


def _dataset(rows: Rows, path: Path) -> SeedDataset:
    parts: dict[str, Any] = {}
    for attribute, _pattern, record_class in SEED_FILES:
        if attribute not in rows:
            raise DataFileError(str(path), None, f"the dataset has no {attribute!r} table")
        located = []
        for line, raw in rows[attribute]:
            try:
                located.append(Located(record_class.model_validate(raw), f"{path}#{attribute}", line))
            except ValidationError as error:
                raise DataFileError(f"{path}#{attribute}", line, describe_validation_error(error)) from None
        parts[attribute] = located
    digest = hashlib.sha256(path.read_bytes() if path.is_file() else str(sorted(rows.items())).encode())
    dataset = SeedDataset(**parts, sha256=digest.hexdigest())
    check_integrity(dataset)
    return dataset


def _json_tables(path: Path) -> Rows:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DataFileError(str(path), error.lineno, error.msg) from None
    if not isinstance(document, dict) or not isinstance(document.get("records"), dict):
        raise DataFileError(str(path), 1, "expected an object with a 'records' mapping (a c3p export)")
    return {name: list(enumerate(items, start=1)) for name, items in document["records"].items()}


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k and v is not None and str(v).strip() != ""}


def _csv_tables(folder: Path) -> Rows:
    tables: Rows = {}
    for file in sorted(folder.glob("*.csv")):
        with file.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            tables[file.stem] = [(reader.line_num, _clean(row)) for row in reader]
    return tables


def _xlsx_tables(path: Path) -> Rows:
    from openpyxl import load_workbook  # here: only an import of a workbook needs it

    workbook = load_workbook(path, read_only=True)
    tables: Rows = {}
    for sheet in workbook.worksheets:
        values = list(sheet.iter_rows(values_only=True))
        if not values:
            tables[sheet.title] = []
            continue
        header = [str(h) for h in values[0]]
        tables[sheet.title] = [
            (n, _clean(dict(zip(header, row, strict=False)))) for n, row in enumerate(values[1:], start=2)
        ]
    return tables


def _unflatten(tables: Rows, path: Path) -> Rows:
    """Put each project's organizations and tags back inside it."""
    links: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for kind in ("project_organizations", "project_tags"):
        for line, row in tables.pop(kind, []):
            slug = row.pop("project_slug", None)
            if slug is None:
                raise DataFileError(f"{path}#{kind}", line, "project_slug: field required")
            links.setdefault(slug, {"organizations": [], "tags": []})[kind.removeprefix("project_")].append(row)
    tables["projects"] = [
        (line, row | links.get(row.get("slug", ""), {"organizations": [], "tags": []}))
        for line, row in tables.get("projects", [])
    ]
    return tables
