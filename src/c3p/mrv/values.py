"""Where each parameter's value comes from: params, the specification's default, or data.

Precedence: a value given for the project (params.json) wins over the methodology default;
an emission factor is always recorded as ``factor_id@version`` so the calculation can be
reproduced after the registry gains newer versions.
"""

from __future__ import annotations

import math

from c3p.errors import InvalidInput
from c3p.messages import N_, Message
from c3p.mrv.factors import FactorRegistry
from c3p.mrv.params import CalculationParams, GivenValue
from c3p.mrv.plausibility import check_value
from c3p.mrv.results import ParameterUsed
from c3p.mrv.spec import Methodology, Parameter
from c3p.mrv.units import scale_factor


def given_values(methodology: Methodology, params: CalculationParams) -> dict[str, GivenValue]:
    """Params keyed by symbol key, refusing symbols the methodology does not define."""
    found: dict[str, GivenValue] = {}
    for symbol, given in params.values.items():
        param = methodology.parameter(symbol)
        if param is None:
            known = ", ".join(p.symbol for p in methodology.spec.parameters)
            raise InvalidInput(f"{methodology.id} has no parameter {symbol!r}; it has: {known}")
        found[param.key] = given
    return found


def resolve(param: Parameter, given: GivenValue | None, factors: FactorRegistry) -> tuple[float, ParameterUsed] | None:
    """The scalar value of ``param`` in its spec unit, or None if nothing provides one."""
    if given is not None and given.value is not None:  # GivenValue holds a value or a factor
        try:
            value = given.value * scale_factor(given.unit or "", param.unit)
        except InvalidInput as exc:
            raise _about(param, exc) from None
        if not math.isfinite(value):
            raise _about(param, InvalidInput(f"{given.value} is not a finite number"))
        check_value(param, value, "params")
        return value, _used(param, value, "params")
    factor_ref = given.factor if given is not None else param.factor
    if factor_ref:
        factor = factors.get(factor_ref)
        try:
            value = factor.magnitude_in(param.unit, param.factor_bound)
        except InvalidInput as exc:
            raise _about(param, exc) from None
        origin = "params (factor)" if given is not None else "default (factor)"
        check_value(param, value, f"factor {factor.ref}")
        return value, _used(param, value, origin, factor.ref, factor.source)
    if param.value is not None:
        return param.value, _used(param, param.value, "default", source=param.source)
    return None


def _about(param: Parameter, error: InvalidInput) -> InvalidInput:
    """``error`` naming the parameter it is about."""
    return InvalidInput(Message(N_("%(field)s: %(reason)s"), {"field": param.symbol, "reason": error.message}))


def _used(param: Parameter, value: float, origin: str, factor: str | None = None,
          source: str | None = None) -> ParameterUsed:  # fmt: skip
    return ParameterUsed(symbol=param.symbol, kind=param.kind, value=value, unit=param.unit,
                         origin=origin, factor=factor, source=source or param.source)  # fmt: skip


def missing_value_error(param: Parameter, mode: str) -> InvalidInput:
    hint = f'give it in params.json as {{"{param.symbol}": {{"value": ..., "unit": "{param.unit}"}}}}'
    if param.kind == "monitored" and mode == "ex-post":
        hint = f"the monitoring data has no rows for {param.symbol}; " + hint
    if param.factor_options:
        hint += " or " + " or ".join(f'{{"factor": "{option}"}}' for option in param.factor_options)
    if param.choice:
        hint += f". This is the participant's choice: {param.choice}"
    return InvalidInput(f"parameter {param.symbol} ({param.description}) has no value: {hint}")
