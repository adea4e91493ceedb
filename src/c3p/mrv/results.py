"""The result of a calculation: figures, breakdowns, findings and full provenance."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field

from c3p.mrv.findings import Finding
from c3p.schema import Schema


class _Frozen(Schema):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ParameterUsed(_Frozen):
    symbol: str
    kind: str
    value: float | None = Field(None, description="Scalar value, or None when it varies by site.")
    unit: str
    origin: str = Field(description="params, default, factor, or monitoring data.")
    factor: str | None = Field(None, description="factor_id@version when a factor was used.")
    source: str | None = None


class Breakdown(_Frozen):
    site_id: str | None = None
    month: date | None = None
    reference_emissions_tco2: float
    project_emissions_tco2: float
    emission_reductions_tco2: float


class Provenance(_Frozen):
    methodology_id: str
    methodology_version: str
    methodology_sha256: str
    verification: str
    factors: tuple[str, ...]
    input_files: dict[str, str] = Field(default_factory=dict, description="path -> sha256")
    input_rows: int = 0
    engine_version: str
    computed_at: str


class CalculationResult(_Frozen):
    mode: Literal["ex-ante", "ex-post"]
    methodology_id: str
    period_start: date | None = None
    period_end: date | None = None
    interval_minutes: int | None = None
    timezone: str | None = Field(
        None, description="Zone that readings written with a UTC offset were converted to; None: taken as written."
    )
    reference_emissions_tco2: float
    project_emissions_tco2: float
    emission_reductions_unrounded_tco2: float
    emission_reductions_tco2: int = Field(description="Rounded down to whole tCO2, as JCM does.")
    sites: int
    parameters: tuple[ParameterUsed, ...]
    by_site: tuple[Breakdown, ...] = ()
    by_month: tuple[Breakdown, ...] = ()
    intermediate: dict[str, float] = Field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    provenance: Provenance
