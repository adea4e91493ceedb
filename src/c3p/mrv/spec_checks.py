"""The rules a methodology specification must pass before the engine will evaluate it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from c3p.errors import C3PError, InvalidInput
from c3p.mrv import expressions as ex
from c3p.mrv.factors import default_registry
from c3p.mrv.units import format_unit, parse_unit, unit_registry

if TYPE_CHECKING:
    import pint

    from c3p.mrv.spec import MethodologySpec


class SpecProblem(InvalidInput):
    """A broken rule, with the YAML path it concerns (turned into a line by the loader)."""

    def __init__(self, loc: tuple[str | int, ...], reason: str) -> None:
        super().__init__(reason)
        self.loc = loc
        self.reason = reason


def check_methodology(spec: MethodologySpec) -> tuple[dict[str, ex.Node], tuple[str, ...]]:
    """Return parsed equations and their evaluation order, or raise :class:`SpecProblem`."""
    units = _check_parameters(spec)
    trees = _parse_equations(spec, units)
    order = _evaluation_order(spec, trees)
    _check_units(spec, trees, order, units)
    _check_period_use(spec, trees, order)
    for name in ("reference_emissions", "project_emissions", "emission_reductions"):
        key = ex.symbol_key(getattr(spec, name))
        if key not in trees:
            raise SpecProblem((name,), f"{getattr(spec, name)!r} is not defined by an equation")
        if units[key].dimensionality != parse_unit("tCO2").dimensionality:
            raise SpecProblem((name,), f"{getattr(spec, name)} must be in tCO2")
    return trees, order


def _check_parameters(spec: MethodologySpec) -> dict[str, pint.Unit]:
    units: dict[str, pint.Unit] = {}
    for index, param in enumerate(spec.parameters):
        loc = ("parameters", index)
        if param.key in units:
            raise SpecProblem((*loc, "symbol"), f"symbol {param.symbol!r} is defined twice")
        units[param.key] = _unit(param.unit, (*loc, "unit"))
        _check_default(param, loc)
        for factor_id in (param.factor, *param.factor_options):
            if factor_id:
                _check_factor(factor_id, param, (*loc, "factor"))
        if len(param.factor_options) > 1 and not param.choice:
            raise SpecProblem(loc, f"{param.symbol!r} offers factor_options: say in 'choice' which is conservative")
    for index, param in enumerate(spec.parameters):
        if param.rated_power:
            power = units.get(ex.symbol_key(param.rated_power))
            energy = units[param.key]
            if power is None or (power * unit_registry().hour).dimensionality != energy.dimensionality:
                raise SpecProblem(
                    ("parameters", index, "rated_power"),
                    f"rated_power {param.rated_power!r} must name a power parameter "
                    f"whose product with hours is a {format_unit(energy)} quantity",
                )
    for index, equation in enumerate(spec.equations):
        loc = ("equations", index)
        if equation.key in units:
            raise SpecProblem((*loc, "symbol"), f"symbol {equation.symbol!r} is defined twice")
        units[equation.key] = _unit(equation.unit, (*loc, "unit"))
    return units


def _check_default(param, loc) -> None:
    if param.kind == "default" and param.value is None and param.factor is None:
        raise SpecProblem(loc, f"default parameter {param.symbol!r} needs a value or a factor")
    if param.kind != "default" and (param.value is not None or param.factor is not None):
        raise SpecProblem(loc, f"only kind 'default' may carry a value ({param.symbol!r})")
    if param.value is not None and not param.bounds.physical.contains(param.value):
        raise SpecProblem((*loc, "value"), f"{param.value:g} is outside the physical range {param.bounds.physical}")


def _check_factor(factor_id: str, param, loc) -> None:
    try:
        factor = default_registry().get(factor_id)
        value = factor.magnitude_in(param.unit, param.factor_bound)
    except C3PError as exc:
        raise SpecProblem(loc, exc.detail) from None
    if not param.bounds.physical.contains(value):
        raise SpecProblem(loc, f"factor {factor.ref} ({value:g} {param.unit}) is outside the physical "
                          f"range {param.bounds.physical}")  # fmt: skip


def _unit(text: str, loc: tuple[str | int, ...]) -> pint.Unit:
    try:
        return parse_unit(text)
    except InvalidInput as exc:
        raise SpecProblem(loc, exc.detail) from None


def _parse_equations(spec: MethodologySpec, units: dict) -> dict[str, ex.Node]:
    trees: dict[str, ex.Node] = {}
    for index, equation in enumerate(spec.equations):
        loc = ("equations", index, "expression")
        try:
            tree = ex.parse(equation.expression)
        except ex.ExpressionError as exc:
            raise SpecProblem(loc, f"{equation.symbol}: {exc}") from None
        for sym in ex.symbols(tree):
            if ex.symbol_key(sym.name) not in units:
                raise SpecProblem(
                    loc,
                    f"{equation.symbol}: symbol {sym.name!r} is not defined (character {sym.pos + 1})",
                )
        trees[equation.key] = tree
    return trees


def _evaluation_order(spec: MethodologySpec, trees: dict[str, ex.Node]) -> tuple[str, ...]:
    order: list[str] = []
    state: dict[str, str] = {}
    index_of = {e.key: i for i, e in enumerate(spec.equations)}

    def visit(key: str) -> None:
        if state.get(key) == "done":
            return
        if state.get(key) == "visiting":
            raise SpecProblem(("equations", index_of[key]), f"equation {key} refers to itself")
        state[key] = "visiting"
        for sym in ex.symbols(trees[key]):
            if ex.symbol_key(sym.name) in trees:
                visit(ex.symbol_key(sym.name))
        state[key] = "done"
        order.append(key)

    for key in trees:
        visit(key)
    return tuple(order)


def _check_units(spec, trees, order, units) -> None:
    import numpy as np

    index_of = {e.key: i for i, e in enumerate(spec.equations)}

    def lookup(sym: ex.Sym):
        return np.float64(1.0), units[ex.symbol_key(sym.name)]

    for key in order:
        loc = ("equations", index_of[key], "expression")
        try:
            _, unit = ex.evaluate(trees[key], lookup)
        except ex.ExpressionError as exc:
            raise SpecProblem(loc, f"{spec.equations[index_of[key]].symbol}: {exc}") from None
        declared = units[key]
        if _is_zero(trees[key]):
            continue  # "0" (no project emissions) is zero in any unit
        if unit.dimensionality != declared.dimensionality:
            raise SpecProblem(
                loc,
                f"{spec.equations[index_of[key]].symbol}: the equation gives "
                f"{format_unit(unit)} but the declared unit is {format_unit(declared)}",
            )


def _check_period_use(spec, trees, order) -> None:
    index_of = {e.key: i for i, e in enumerate(spec.equations)}
    period_level: dict[str, bool] = {}
    for key in order:
        try:
            period_level[key] = ex.check_period_use(trees[key], period_level)
        except ex.ExpressionError as exc:
            loc = ("equations", index_of[key], "expression")
            raise SpecProblem(loc, f"{spec.equations[index_of[key]].symbol}: {exc}") from None


def _is_zero(tree: ex.Node) -> bool:
    return isinstance(tree, ex.Num) and tree.value == 0
