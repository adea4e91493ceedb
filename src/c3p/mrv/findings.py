"""QA/QC findings: what a verifier would note, with the conservative treatment applied."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field

from c3p.schema import Schema

Severity = Literal["info", "warning", "error"]


class Finding(Schema):
    """One QA/QC observation; ``adjustment`` is what the treatment changed, in ``unit``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(description="gap, duplicate, negative, impossible, jump, calibration, ...")
    severity: Severity
    message: str
    site_id: str | None = None
    parameter: str | None = None
    month: date | None = None
    rows: int = Field(0, description="Number of rows (or missing intervals) concerned.")
    first_line: int | None = Field(None, description="First data line concerned, if known.")
    treatment: str = Field("none", description="The conservative treatment applied.")
    adjustment: float = 0.0
    unit: str | None = None


class Adjustment(Schema):
    """A change to one aggregated (site, month, parameter) value, in the parameter's unit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    site_id: str
    month: date
    key: str
    delta: float
