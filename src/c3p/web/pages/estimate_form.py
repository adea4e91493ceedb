"""The ex-ante estimate on the application form: a chosen methodology and its inputs.

The inputs are the MRV calculator's (:mod:`c3p.web.pages.mrv`), named ``estimate__<key>`` so
they sit in the draft form beside its other fields. A methodology's inputs are shown once the
methodology is chosen; the hidden ``estimate_for`` says whose inputs were posted, so a changed
choice keeps the new methodology and asks for its inputs instead of reading the old ones.
All inputs empty means "not estimated yet"; anything typed is checked like the calculator
checks it, and a decimal comma (``0,533``) is refused rather than read as thousands.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from c3p.errors import C3PError, InvalidInput, NotFound
from c3p.messages import N_
from c3p.mrv import catalog
from c3p.mrv.factors import default_registry
from c3p.mrv.render import symbol_html
from c3p.mrv.spec import Methodology
from c3p.web.pages.mrv import FACTOR_SUFFIX, UNIT_SUFFIX, CalculatorForm, blank_form, read_form

PREFIX = "estimate__"
#: thousands groups as Japan writes them (1,200 or 12,000.5); any other comma is a decimal comma
_THOUSANDS = re.compile(r"[+-]?[1-9]\d{0,2}(,\d{3})+(\.\d*)?([eE][+-]?\d+)?")


@dataclass(frozen=True)
class MethodologyChoice:
    """One approved methodology as the picker lists it (its official title is English)."""

    id: str
    title: str
    host_country: str


def approved_methodologies() -> list[MethodologyChoice]:
    """The approved methodologies an applicant may pick, latest version of each."""
    latest = {m.id: m for m in catalog.all_methodologies() if m.spec.status == "approved"}
    return [MethodologyChoice(m.id, m.spec.title, m.spec.host_country) for m in latest.values()]


def chosen_methodology(methodology_id: str | None) -> Methodology | None:
    """The approved methodology of that id, or None (an unknown id is the service's to refuse)."""
    if not methodology_id:
        return None
    try:
        methodology = catalog.get_methodology(methodology_id)
    except NotFound:  # the service names it next to the picker
        return None
    return methodology if methodology.spec.status == "approved" else None


def has_decimal_comma(text: str) -> bool:
    """True for ``0,533`` or ``1,5``; False for ``1,200`` and for text without a comma.

    >>> has_decimal_comma("0,533"), has_decimal_comma("1,5"), has_decimal_comma("1,200.5")
    (True, True, False)
    """
    cleaned = unicodedata.normalize("NFKC", text).replace(" ", "")
    return "," in cleaned and not _THOUSANDS.fullmatch(cleaned)


def typed_inputs(values: Mapping[str, Any]) -> dict[str, str]:
    """The estimate's inputs as posted, without their prefix."""
    return {name[len(PREFIX) :]: str(value) for name, value in values.items() if name.startswith(PREFIX)}


def read_estimate(methodology: Methodology, values: Mapping[str, Any]) -> tuple[CalculatorForm, dict[str, Any] | None]:
    """The estimate's inputs as typed with an error per field, and the engine's params (None: none given)."""
    given = typed_inputs(values)
    form = read_form(methodology, given)
    commas = [entry for entry in form.fields if has_decimal_comma(entry.value)]
    for entry in commas:
        entry.error = "decimal_comma"
    if commas:
        form.params = None
    typed_any = any(entry.value for entry in form.fields)
    if not typed_any and not any(given.get(e.key + FACTOR_SUFFIX) for e in form.fields if not e.param.factor):
        for entry in form.fields:
            entry.error = None
        return form, None
    if form.invalid or form.params is None:
        return form, None
    params = {symbol: given.model_dump(exclude_none=True) for symbol, given in form.params.values.items()}
    return form, params


def stored_estimate(methodology: Methodology, params: Mapping[str, Any] | None) -> CalculatorForm:
    """The inputs form filled in with what the application holds."""
    keys = {p.symbol: p.key for p in methodology.spec.parameters}
    shown: dict[str, str] = {}
    for symbol, given in (params or {}).items():
        key = keys.get(symbol)
        if key is None or not isinstance(given, Mapping):
            continue
        if given.get("factor"):
            shown[key + FACTOR_SUFFIX] = factor_ref(str(given["factor"]))
        if given.get("value") is not None:
            shown[key] = number_shown(float(given["value"]))
            shown[key + UNIT_SUFFIX] = str(given.get("unit") or "")
    if not shown:
        return blank_form(methodology)
    form = read_form(methodology, shown)
    form.submitted = False
    for entry in form.fields:
        entry.error = None  # what was saved is shown as saved
    return form


def factor_ref(factor: str) -> str:
    """A factor as the picker names it (``MNG-grid@1``), however it was stored (``MNG-grid``)."""
    try:
        return default_registry().get(factor).ref
    except C3PError:
        return factor


def number_shown(value: float) -> str:
    """A stored number as a person would type it back (``1000``, ``0.533``).

    >>> number_shown(1000.0), number_shown(0.533)
    ('1000', '0.533')
    """
    return str(int(value)) if value.is_integer() else repr(value)


def refused() -> InvalidInput:
    """The refusal of a draft whose estimate inputs are wrong (each field says what, on the form)."""
    return InvalidInput(N_("Check the inputs of the ex-ante estimate marked below."), field="estimate")


def estimate_params_from(values: Mapping[str, Any]) -> dict[str, Any] | None:
    """The engine's params from a posted draft; raises when an input is wrong (nothing is saved then)."""
    methodology = chosen_methodology(str(values.get("methodology_id", "")))
    if methodology is None or values.get("estimate_for") != methodology.id:
        return None  # a new choice: its inputs are asked for on the page that follows
    form, params = read_estimate(methodology, values)
    if form.invalid:
        raise refused()
    return params


@dataclass(frozen=True)
class EstimateInputs:
    """The inputs of one methodology's estimate as the draft form shows them."""

    methodology: Methodology
    form: CalculatorForm

    @staticmethod
    def symbol(name: str) -> Markup:
        """A symbol as the methodology prints it (``EG<sub>i,p</sub>``), escaped by the renderer."""
        return Markup(symbol_html(name))


def estimate_shown(
    methodology_id: str | None, stored: Mapping[str, Any] | None, typed: Mapping[str, Any] | None
) -> EstimateInputs | None:
    """The inputs the draft form shows: as typed when the form came back refused, else as stored."""
    if typed is not None and "methodology_id" in typed:
        methodology = chosen_methodology(str(typed["methodology_id"]))
        if methodology is None:
            return None
        if typed.get("estimate_for") == methodology.id:
            return EstimateInputs(methodology, read_estimate(methodology, typed)[0])
        kept = methodology.id == methodology_id
        return EstimateInputs(methodology, stored_estimate(methodology, stored) if kept else blank_form(methodology))
    methodology = chosen_methodology(methodology_id)
    return EstimateInputs(methodology, stored_estimate(methodology, stored)) if methodology is not None else None


def methodology_title(methodology_id: str | None) -> str:
    """The official (English) title of the application's methodology, or ''."""
    methodology = chosen_methodology(methodology_id)
    return methodology.spec.title if methodology is not None else ""
