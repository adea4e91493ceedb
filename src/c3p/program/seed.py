"""Reading and checking the seed dataset: every row validated, every reference resolved.

Nothing reaches the database until the whole dataset is read and consistent; a problem is
reported as :class:`~c3p.errors.DataFileError` with the file, line and reason.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from c3p.errors import DataFileError, describe_validation_error
from c3p.program import records as r
from c3p.program.dataset import Located, SeedDataset
from c3p.program.rules.integrity import check_integrity

SEED_DIR = Path(__file__).parent / "data"
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
RecordT = TypeVar("RecordT", bound=BaseModel)

__all__ = ["SEED_DIR", "SEED_FILES", "Located", "SeedDataset", "read_seed"]


#: The dataset's files: attribute name, file name, record class. Projects may span several files.
SEED_FILES: list[tuple[str, str, type[BaseModel]]] = [
    ("countries", "countries.csv", r.CountryRecord),
    ("japanese_governments", "japanese_governments.csv", r.JapaneseGovernmentRecord),
    ("partner_places", "partner_places.csv", r.PartnerPlaceRecord),
    ("organizations", "organizations.csv", r.OrganizationRecord),
    ("partnerships", "partnerships.csv", r.PartnershipRecord),
    ("partnership_members", "partnership_members.csv", r.PartnershipMemberRecord),
    ("vocabulary", "vocabulary.csv", r.VocabularyTermRecord),
    ("projects", "projects_*.yaml", r.ProjectRecord),
    ("events", "events.yaml", r.EventRecord),
    ("related_programs", "related_programs.yaml", r.RelatedProgramRecord),
    ("websites", "websites.yaml", r.WebsiteRecord),
    ("program_reach", "program_reach.csv", r.ProgramReachRecord),
    ("call_rounds", "call_rounds.csv", r.CallRoundRecord),
    ("data_notes", "data_notes.yaml", r.DataNoteRecord),
]


def read_seed(seed_dir: Path = SEED_DIR) -> SeedDataset:
    """Read, validate and cross-check the whole dataset in ``seed_dir``."""
    digest = hashlib.sha256()
    parts: dict[str, Any] = {}
    for attribute, pattern, record_class in SEED_FILES:
        paths = sorted(seed_dir.glob(pattern))
        if not paths:
            raise DataFileError(str(seed_dir / pattern), None, "file is missing")
        parts[attribute] = []
        for path in paths:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
            parts[attribute].extend(_read_file(path, record_class))
    dataset = SeedDataset(**parts, sha256=digest.hexdigest())
    check_integrity(dataset)
    return dataset


def _read_file(path: Path, record_class: type[RecordT]) -> list[Located[RecordT]]:
    rows = _csv_rows(path) if path.suffix == ".csv" else _yaml_rows(path)
    located = []
    for line, raw in rows:
        try:
            record = record_class.model_validate(raw)
        except ValidationError as error:
            raise DataFileError(str(path), line, describe_validation_error(error)) from None
        located.append(Located(record, str(path), line))
    if not located:
        raise DataFileError(str(path), None, "file holds no records")
    return located


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            if None in row:
                raise DataFileError(str(path), reader.line_num, "more cells than header columns")
            missing = [name for name, value in row.items() if value is None]
            if missing:
                raise DataFileError(str(path), reader.line_num, f"missing cells: {', '.join(missing)}")
            yield reader.line_num, {k: v for k, v in row.items() if v.strip() != ""}


def _yaml_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=SAFE_LOADER)
        data = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise DataFileError(str(path), mark.line + 1 if mark else None, str(error)) from None
    if not isinstance(data, list) or node is None:
        raise DataFileError(str(path), 1, "expected a list of records at the top level")
    for item_node, item in zip(node.value, data, strict=True):
        line = item_node.start_mark.line + 1
        if not isinstance(item, dict):
            raise DataFileError(str(path), line, "expected a mapping of field names to values")
        yield line, item
