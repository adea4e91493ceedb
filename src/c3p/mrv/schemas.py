"""What the MRV API answers: typed views over the methodology specs and calculation results.

The builders in :mod:`c3p.mrv.monitoring_report` make the same documents as plain JSON (for
files and pages); these classes give the API its response models, so the OpenAPI names every
field instead of an open object.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from c3p.mrv.results import CalculationResult
from c3p.mrv.spec import Equation, MethodologySpec
from c3p.schema import Schema


class MethodologySummary(Schema):
    """One line of the methodology list."""

    id: str
    version: str
    title: str
    host_country: str = Field(description="ISO 3166-1 alpha-3")
    sector: str
    sectoral_scope: int
    status: str = Field(description="approved or proposed")
    verification: str = Field(description="verbatim, partly-confirmed or reconstructed")


class RenderedEquation(Equation):
    rendered: str = Field(description="the expression as plain text")
    latex: str


class MethodologyDetail(MethodologySpec):
    """A methodology spec with its symbols, rendered equations and file digest."""

    symbols: list[str] = Field(description="parameter symbols, then equation symbols")
    equations: tuple[RenderedEquation, ...]
    sha256: str = Field(description="digest of the specification file")


class MonitoringRecord(CalculationResult):
    """The JSON record of a monitoring report, as stored for the issuance step."""

    kind: Literal["jcm-monitoring-report"]
    methodology: MethodologySummary
    equations: dict[str, str] = Field(description="equation symbol: expression")
