"""Over every shipped methodology: removing, duplicating or corrupting one monitoring value
never raises the emission reductions (it lowers them, or the file is refused)."""

from __future__ import annotations

import csv
import random

import pytest

from c3p.errors import DataFileError
from c3p.mrv.catalog import all_methodologies
from c3p.mrv.direction import directions
from c3p.mrv.engine import calculate
from c3p.mrv.params import CalculationParams

METHODOLOGIES = list(all_methodologies())
PERIOD = {"period": {"start": "2024-01-01", "end": "2024-03-31"}}
HEADER = ("site_id", "timestamp", "parameter", "value", "unit")


def project(methodology, chance):
    """Monthly readings for two sites and values for parameters without a default.

    Readings that raise ER are large and those that lower it small, so that each site-month
    earns credits, as in a working project; fixed values lie in their typical range, high
    where they raise ER and low where they lower it (COP of the project above the reference).
    """
    effect = directions(methodology)
    rows, values = [], {}
    for param in methodology.spec.parameters:
        if param.kind == "monitored":
            for site in ("A", "B"):
                for month in (1, 2, 3):
                    size = 1.0 if effect[param.key] == "lowers" else 100.0
                    value = round(chance.uniform(size, 2 * size), 3)
                    rows.append([site, f"2024-{month:02d}-15", param.symbol, str(value), param.unit])
        elif param.value is None and param.factor is None:
            values[param.symbol] = {"value": design_value(param, effect[param.key]), "unit": param.unit}
    return rows, values


def design_value(param, effect):
    """A plausible value: high in the typical range if it raises ER, low if it lowers it."""
    span = param.bounds.typical or param.bounds.physical
    low = span.low if span.low is not None else 0.0
    high = span.high if span.high is not None else low + 10.0
    return low + {"raises": 0.9, "lowers": 0.1}.get(effect, 0.5) * (high - low)


def er(tmp_path, methodology, rows, values, name):
    path = tmp_path / f"{name}.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    params = CalculationParams.from_mapping({**PERIOD, **values})
    return calculate(methodology, [path], params).emission_reductions_unrounded_tco2


@pytest.mark.parametrize("methodology", METHODOLOGIES, ids=lambda m: m.id)
def test_no_change_to_the_data_raises_credits(tmp_path, methodology):
    chance = random.Random(methodology.id)
    rows, values = project(methodology, chance)
    base = er(tmp_path, methodology, rows, values, "base")
    for trial in range(2):
        index = chance.randrange(len(rows))
        removed = rows[:index] + rows[index + 1 :]
        assert er(tmp_path, methodology, removed, values, f"r{trial}") <= base + 1e-9, rows[index]
        for factor in (0.7, 1.3):
            twin = [*rows[index][:3], str(round(float(rows[index][3]) * factor, 3)), rows[index][4]]
            doubled = [*rows, twin]
            assert er(tmp_path, methodology, doubled, values, f"d{trial}") <= base + 1e-9, twin
        for text in ("", "nan", "1,5"):
            corrupt = [*rows[:index], [*rows[index][:3], text, rows[index][4]], *rows[index + 1 :]]
            with pytest.raises(DataFileError):
                er(tmp_path, methodology, corrupt, values, f"c{trial}")
