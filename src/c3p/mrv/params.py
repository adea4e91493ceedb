"""Calculation parameters: the frozen inputs a project gives besides its monitoring data.

``params.json`` maps parameter symbols to ``{"value": …, "unit": "…"}`` (or
``{"factor": "MNG-grid@1"}`` to pick a registered emission factor); the reserved keys
``period``, ``interval_minutes``, ``timezone`` and ``meters`` describe the monitoring period,
the zone of its months and the meters' calibration and replacement history.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, ValidationError, model_validator

from c3p.errors import DataFileError, InvalidInput
from c3p.schema import Schema

RESERVED = {"period", "interval_minutes", "meters", "sites", "timezone"}


class _Frozen(Schema):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GivenValue(_Frozen):
    """A value for one symbol: a number with its unit, or a registered factor id."""

    value: float | None = None
    unit: str | None = None
    factor: str | None = Field(None, description="Emission factor id, optionally id@version.")

    @model_validator(mode="after")
    def _one_source(self) -> GivenValue:
        if (self.value is None) == (self.factor is None):
            raise ValueError("give either value (with unit) or factor")
        if self.value is not None and self.unit is None:
            raise ValueError("a value needs its unit")
        return self


class Period(_Frozen):
    start: date = Field(description="First day of the monitoring period.")
    end: date = Field(description="Last day of the monitoring period (inclusive).")

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError("period end is before its start")
        return self


class Meter(_Frozen):
    """A meter's history: calibration validity and replacement dates."""

    site_id: str
    parameter: str
    serial: str | None = None
    installed_on: date | None = None
    removed_on: date | None = None
    calibrated_on: date | None = None
    calibration_valid_months: int = Field(12, ge=1)
    accuracy_pct: float = Field(0.0, ge=0, le=100, description="Maximum permissible error.")


class CalculationParams(_Frozen):
    values: dict[str, GivenValue] = Field(default_factory=dict)
    period: Period | None = None
    interval_minutes: int | None = Field(None, ge=1)
    meters: tuple[Meter, ...] = ()
    timezone: str | None = Field(
        None,
        description="UTC offset (e.g. +07:00) that readings written with an offset are converted to; "
        "default: the offset of the first reading (UTC for Parquet instants).",
    )

    @classmethod
    def from_mapping(cls, data: dict[str, Any], where: str = "params") -> CalculationParams:
        """Build from the params.json shape; errors name the symbol or key concerned."""
        if not isinstance(data, dict):
            raise InvalidInput(f"{where}: expected a JSON object mapping symbols to values")
        values = {k: v for k, v in data.items() if k not in RESERVED}
        for symbol, given in values.items():
            if isinstance(given, int | float) and not isinstance(given, bool):
                raise InvalidInput(f"{where}: {symbol}: give {{'value': {given}, 'unit': '…'}}")
        try:
            return cls.model_validate(
                {"values": values, **{k: v for k, v in data.items() if k in RESERVED - {"sites"}}}
            )
        except ValidationError as exc:
            error = exc.errors()[0]
            path = ".".join(str(p) for p in error["loc"] if p != "values")
            raise InvalidInput(f"{where}: {path}: {error['msg']}") from None


def read_params(path: Path | str) -> CalculationParams:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataFileError(str(path), None, "file not found") from None
    except json.JSONDecodeError as exc:
        raise DataFileError(str(path), exc.lineno, f"not valid JSON: {exc.msg}") from None
    try:
        return CalculationParams.from_mapping(data, where=str(path))
    except InvalidInput as exc:
        raise DataFileError(str(path), None, exc.detail.removeprefix(f"{path}: ")) from None
