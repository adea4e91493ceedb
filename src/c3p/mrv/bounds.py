"""Plausibility bounds of a parameter, written in its methodology file as intervals.

Each parameter carries a *physical* range (a value outside it cannot be true: negative
energy, a COP of zero, a grid factor of 566 tCO2/MWh typed in kg) and, where one is known, a
*typical* range (a value outside it may be true but deserves a verifier's look), with the
source of both. Intervals are written as a reader would: ``"[0, ∞)"``, ``"(0, 2]"``.

>>> Interval.parse("(0, 2]").contains(0.0), Interval.parse("(0, 2]").contains(2.0)
(False, True)
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, PlainSerializer

from c3p.schema import Schema

_INTERVAL = re.compile(r"^\s*([\[(])\s*([^,]*?)\s*,\s*([^,]*?)\s*([\])])\s*$")
_INFINITE = {"", "∞", "+∞", "-∞", "−∞", "inf", "+inf", "-inf"}


class Interval(Schema):
    """A range of real numbers; ``None`` for an open end (no bound)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    low: float | None
    high: float | None
    low_closed: bool = True
    high_closed: bool = True

    @classmethod
    def parse(cls, text: str) -> Interval:
        match = _INTERVAL.match(text)
        if not match:
            raise ValueError(f"{text!r} is not an interval such as '[0, ∞)' or '(0, 2]'")
        opening, low, high, closing = match.groups()
        interval = cls(low=_end(low), high=_end(high), low_closed=opening == "[", high_closed=closing == "]")
        if interval.low is not None and interval.high is not None and interval.low > interval.high:
            raise ValueError(f"{text!r}: the lower end is above the upper end")
        return interval

    def contains(self, value: float) -> bool:
        if math.isnan(value):
            return False
        above = self.low is None or value > self.low or (self.low_closed and value == self.low)
        below = self.high is None or value < self.high or (self.high_closed and value == self.high)
        return above and below

    def __str__(self) -> str:
        low = "−∞" if self.low is None else f"{self.low:g}"
        high = "∞" if self.high is None else f"{self.high:g}"
        return f"{'[' if self.low_closed and self.low is not None else '('}{low}, {high}" + (
            "]" if self.high_closed and self.high is not None else ")"
        )


def _end(text: str) -> float | None:
    if text.strip().lower() in _INFINITE:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None


def _as_interval(value: Any) -> Any:
    return Interval.parse(value) if isinstance(value, str) else value


IntervalField = Annotated[Interval, BeforeValidator(_as_interval), PlainSerializer(str, return_type=str)]


class Bounds(Schema):
    """Where a parameter's values can and usually do lie, in the parameter's unit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    physical: IntervalField = Field(description="Outside it a value cannot be true: it is refused.")
    typical: IntervalField | None = Field(
        None, description="Outside it a value is kept with a finding for the verifier."
    )
    source: str = Field(min_length=8, description="Where the ranges come from; says when c3p set them.")
