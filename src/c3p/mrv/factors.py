"""Emission factors and net calorific values as versioned reference data with sources.

Records live in CSV files under ``emission_factors/`` (one row per factor and version,
each with its source). Users may keep their own file of additional factors; a factor is
never edited in place — a correction is a new version — so a calculation that records
``factor_id@version`` can always be reproduced.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field, ValidationError

from c3p.errors import DataFileError, InvalidInput, NotFound
from c3p.messages import N_, Message
from c3p.mrv.units import parse_unit, scale_factor
from c3p.schema import Schema

PACKAGED_DIR = Path(__file__).parent / "emission_factors"
FIELDS = (
    "factor_id", "version", "kind", "country", "grid", "case", "vintage", "value", "unit",
    "lower", "upper", "source", "verification", "note",
)  # fmt: skip


class EmissionFactor(Schema):
    """One factor version. ``lower``/``upper`` are the IPCC 95% bounds where they exist."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    factor_id: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    version: int = Field(ge=1)
    kind: Literal["grid", "fuel_co2", "ncv", "other"]
    country: str | None = None
    grid: str | None = None
    case: str | None = None
    vintage: str | None = None
    value: float
    unit: str
    lower: float | None = None
    upper: float | None = None
    source: str = Field(min_length=8, description="URL or citation; required for every record.")
    verification: Literal["confirmed", "partly-confirmed", "unverified"] = "confirmed"
    note: str | None = None
    note_ja: str | None = Field(None, description="The note in Japanese (a reading aid; the English prevails).")

    @property
    def ref(self) -> str:
        return f"{self.factor_id}@{self.version}"

    def magnitude_in(self, unit: str, bound: Literal["value", "lower", "upper"] = "value") -> float:
        number = getattr(self, bound)
        if number is None:
            refusal = N_("factor %(factor)s has no %(bound)s value")
            raise InvalidInput(Message(refusal, {"factor": self.ref, "bound": bound}))
        return float(f"{number * scale_factor(self.unit, unit):.12g}")


class FactorRegistry:
    """All known factor versions, looked up as ``id`` (latest version) or ``id@version``."""

    def __init__(self, factors: Iterable[EmissionFactor] = ()) -> None:
        self._by_id: dict[str, dict[int, EmissionFactor]] = {}
        for factor in factors:
            self.add(factor)

    def add(self, factor: EmissionFactor) -> None:
        parse_unit(factor.unit)
        versions = self._by_id.setdefault(factor.factor_id, {})
        if factor.version in versions:
            raise InvalidInput(f"factor {factor.ref} already exists; add a new version instead")
        versions[factor.version] = factor

    def get(self, reference: str) -> EmissionFactor:
        factor_id, _, version = reference.partition("@")
        versions = self._by_id.get(factor_id)
        if not versions:
            raise NotFound(Message(N_("unknown emission factor '%(factor)s'"), {"factor": factor_id}))
        if not version:
            return versions[max(versions)]
        if not version.isdigit() or int(version) not in versions:
            refusal = N_("emission factor '%(factor)s' has no version '%(version)s'")
            raise NotFound(Message(refusal, {"factor": factor_id, "version": version}))
        return versions[int(version)]

    def all(self) -> list[EmissionFactor]:
        return [f for versions in self._by_id.values() for f in versions.values()]

    def extended(self, path: Path | str) -> FactorRegistry:
        """A copy with the factors of a user file added (the file may be missing)."""
        copy = FactorRegistry(self.all())
        if Path(path).exists():
            for factor in read_factor_file(path):
                copy.add(factor)
        return copy


def read_factor_file(path: Path | str) -> list[EmissionFactor]:
    """Read a factor CSV; a bad row is refused with its line number and field."""
    factors = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(row for row in handle if not row.startswith("#"))
        missing = {"factor_id", "version", "kind", "value", "unit", "source"} - set(reader.fieldnames or ())
        if missing:
            raise DataFileError(str(path), 1, f"missing columns: {', '.join(sorted(missing))}")
        for line, row in enumerate(reader, start=2):
            cleaned = {k: (v if v not in ("", None) else None) for k, v in row.items() if k}
            try:
                factors.append(EmissionFactor.model_validate(cleaned))
            except ValidationError as exc:
                error = exc.errors()[0]
                column = ".".join(str(p) for p in error["loc"])
                raise DataFileError(str(path), line, f"column {column}: {error['msg']}") from None
    return factors


def append_factor(path: Path | str, factor: EmissionFactor, base: FactorRegistry) -> None:
    """Add a user factor (with its source) to ``path``, refusing duplicate versions."""
    base.extended(path).add(factor)
    path = Path(path)
    new_file = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        if new_file:
            writer.writeheader()
        writer.writerow({k: v for k, v in factor.model_dump().items() if k in FIELDS})


@lru_cache(maxsize=1)
def default_registry() -> FactorRegistry:
    """The packaged factors (grid factors from the fact sheet, IPCC 2006 fuel defaults)."""
    factors: list[EmissionFactor] = []
    for path in sorted(PACKAGED_DIR.glob("*.csv")):
        factors.extend(read_factor_file(path))
    return FactorRegistry(factors)
