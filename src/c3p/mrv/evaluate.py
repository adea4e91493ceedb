"""Vectorised evaluation of a methodology over cells (one cell = one site and month)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from c3p.errors import InvalidInput
from c3p.mrv import expressions as ex
from c3p.mrv.spec import Methodology
from c3p.mrv.units import parse_unit, unit_registry


def evaluate_cells(
    methodology: Methodology,
    columns: Mapping[str, np.ndarray | float],
    n_cells: int,
    floor_at_zero: frozenset[str] = frozenset(),
) -> dict[str, np.ndarray]:
    """Every equation's value per cell, in its declared unit.

    Equations in ``floor_at_zero`` (e.g. project emissions, which cannot be negative) are
    clamped at zero before later equations use them; a value that is not finite (a zero
    divisor, an overflow) refuses the calculation naming the equation, because NaN would
    otherwise vanish from the sums.

    >>> from c3p.mrv.catalog import get_methodology
    >>> m = get_methodology("MN_AM003")
    >>> out = evaluate_cells(m, {"EG_i_p": np.array([10.0]), "EF_RE_i": 0.797}, 1)
    >>> round(float(out["RE_p"][0]), 3)
    7.97
    """
    values: dict[str, np.ndarray] = {}
    units = {p.key: parse_unit(p.unit) for p in methodology.spec.parameters}
    declared = {e.key: parse_unit(e.unit) for e in methodology.spec.equations}

    def lookup(sym: ex.Sym):
        key = ex.symbol_key(sym.name)
        if key in values:
            return values[key], declared[key]
        return columns[key], units[key]

    for key in methodology.order:
        magnitude, unit = ex.evaluate(methodology.trees[key], lookup)
        zero = isinstance(methodology.trees[key], ex.Num) and magnitude == 0
        factor = 1.0 if zero or unit == declared[key] else _factor(unit, declared[key])
        result = np.broadcast_to(np.asarray(magnitude, dtype=float) * factor, (n_cells,))
        if not np.all(np.isfinite(result)):
            raise InvalidInput(_not_finite(methodology, key))
        values[key] = np.maximum(result, 0.0) if key in floor_at_zero else result
    return values


def _not_finite(methodology: Methodology, key: str) -> str:
    equation = next(e for e in methodology.spec.equations if e.key == key)
    return (f"{equation.symbol} = {equation.expression} is not a finite number "
            "(a divisor is zero or a value is NaN or infinite); check the parameter values")  # fmt: skip


def _factor(unit, target) -> float:
    return float(unit_registry().Quantity(1.0, unit).to(target).magnitude)


def round_down(tonnes: float) -> int:
    """JCM rounds emission reductions down to whole tonnes; 6 decimals absorb float noise.

    >>> round_down(99.9999999999), round_down(12.7)
    (100, 12)
    """
    return math.floor(round(tonnes, 6))
