"""The equation language: parsing, safety, units and the period (Σ) rules."""

from __future__ import annotations

import pytest

from c3p.mrv import expressions as ex
from c3p.mrv.units import parse_unit, scale_factor


def evaluate(text: str, **values):
    env = {ex.symbol_key(k): v for k, v in values.items()}

    def lookup(sym):
        magnitude, unit = env[ex.symbol_key(sym.name)]
        return magnitude, parse_unit(unit)

    return ex.evaluate(ex.parse(text), lookup)


def test_document_symbols_keep_their_commas():
    tree = ex.parse("Σ(EC_PJ,i,p × COP_PJ,i / COP_RE,i) − 3")
    assert [s.name for s in ex.symbols(tree)] == ["EC_PJ,i,p", "COP_PJ,i", "COP_RE,i"]


def test_argument_commas_need_a_space_to_separate():
    assert [s.name for s in ex.symbols(ex.parse("max(a_i, b)"))] == ["a_i", "b"]
    assert [s.name for s in ex.symbols(ex.parse("max(a_i,b, c)"))] == ["a_i,b", "c"]


def test_spellings_share_one_key():
    assert ex.symbol_key("EG_i,p") == ex.symbol_key("EG_{i,p}") == ex.symbol_key("EG_i_p")


@pytest.mark.parametrize("text", ["__import__('os')", "a.b", "a ** 2", "lambda: 1", "a[0]", "a; b"])
def test_anything_outside_the_whitelist_is_refused(text):
    with pytest.raises(ex.ExpressionError):
        ex.parse(text)


def test_unknown_function_is_a_symbol_then_a_syntax_error():
    with pytest.raises(ex.ExpressionError, match="unexpected"):
        ex.parse("open(a)")


def test_error_reports_the_character():
    with pytest.raises(ex.ExpressionError) as info:
        ex.parse("a + * b")
    assert info.value.position == 4


def test_units_convert_when_adding():
    magnitude, unit = evaluate("a + b", a=(1.0, "MWh"), b=(500.0, "kWh"))
    assert magnitude == pytest.approx(1.5) and unit == parse_unit("MWh")


def test_units_multiply():
    magnitude, unit = evaluate("e * f", e=(2.0, "MWh"), f=(0.5, "tCO2/MWh"))
    assert magnitude == pytest.approx(1.0) and unit == parse_unit("tCO2")


def test_adding_energy_to_volume_is_refused():
    with pytest.raises(ex.ExpressionError, match="different dimensions"):
        evaluate("a + b", a=(1.0, "kWh"), b=(1.0, "m3"))


def test_max_with_literal_zero_takes_the_other_unit():
    magnitude, unit = evaluate("max(a - b, 0)", a=(1.0, "MWh"), b=(3.0, "MWh"))
    assert magnitude == 0 and unit == parse_unit("MWh")


def test_period_totals_cannot_go_inside_max():
    with pytest.raises(ex.ExpressionError, match="period total"):
        ex.check_period_use(ex.parse("max(sum(a), 0)"), {})
    with pytest.raises(ex.ExpressionError, match="multiply"):
        ex.check_period_use(ex.parse("sum(a) * sum(b)"), {})
    assert ex.check_period_use(ex.parse("sum(a) - 2 * sum(b)"), {}) is True


@pytest.mark.parametrize(("source", "target", "factor"), [
    ("kWh", "MWh", 1e-3), ("TJ", "GJ", 1e3), ("kL", "L", 1e3), ("m³", "kL", 1.0),
    ("t", "kg", 1e3), ("kgCO2/kWh", "tCO2/MWh", 1.0),
])  # fmt: skip
def test_conversions(source, target, factor):
    assert scale_factor(source, target) == pytest.approx(factor)


def test_tonnes_of_waste_are_not_tonnes_of_co2():
    from c3p.errors import InvalidInput

    with pytest.raises(InvalidInput):
        scale_factor("t", "tCO2")
