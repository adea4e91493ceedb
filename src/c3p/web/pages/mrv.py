"""Portal pages of the MRV engine: the methodology list, a methodology, its ex-ante calculator.

Each page's JSON twin (``?format=json``) is the API's answer for the same methodology, built
by the same functions of :mod:`c3p.mrv.monitoring_report`. The calculator is a GET form: an estimate
changes nothing, so it needs no CSRF token, and a result can be bookmarked or shared.
Form values are read into :class:`CalculatorForm` here (an interface concern); every rule
of the calculation itself stays in :func:`c3p.mrv.engine.estimate`.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from markupsafe import Markup
from pydantic import ConfigDict, Field, RootModel

from c3p.errors import InvalidInput
from c3p.messages import Message
from c3p.mrv import catalog
from c3p.mrv.factors import EmissionFactor, default_registry
from c3p.mrv.params import CalculationParams, GivenValue
from c3p.mrv.render import equation_html, symbol_html, to_text
from c3p.mrv.results import CalculationResult
from c3p.mrv.spec import Methodology, Parameter
from c3p.mrv.units import compatible_units, scale_factor
from c3p.program.snapshot import RegistrySnapshot
from c3p.schema import Schema
from c3p.web.deps import snapshot
from c3p.web.pages.program import page_query
from c3p.web.pages.render import PageContext, page_only, render
from c3p.web.routes import Router

router = Router(include_in_schema=False)
Snapshot = Annotated[RegistrySnapshot, Depends(snapshot)]
UNIT_SUFFIX = "__unit"
FACTOR_SUFFIX = "__factor"


class MethodologyQuery(Schema):
    """The list filters; the same names the API's ``GET /mrv/methodologies`` takes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    country: str | None = Field(None, pattern=r"^[A-Za-z]{3}$")
    sector: str | None = Field(None, max_length=200)
    q: str | None = Field(None, max_length=200)


class MethodologyList(RootModel[list[dict[str, Any]]]):
    """The list page's data: exactly the API's list of methodology summaries."""


class MethodologyData(RootModel[dict[str, Any]]):
    """A methodology page's data: exactly the API's methodology detail."""


class EstimateData(RootModel[dict[str, Any]]):
    """The calculator's data: exactly the API's estimate result."""


@dataclass(frozen=True)
class EquationView:
    symbol: str
    html: Markup
    text: str
    unit: str
    description: str
    description_ja: str | None
    source: str | None
    source_ja: str | None
    role: str | None  # "reference_emissions", "project_emissions", "emission_reductions" or None
    verification: str = "reconstructed"  # "verbatim": checked against the published text


@dataclass(frozen=True)
class FactorView:
    factor: EmissionFactor
    symbols: tuple[str, ...]
    is_default: bool


@dataclass
class CalculatorField:
    """One design value of the calculator with what the user typed and its error, if any."""

    param: Parameter
    units: list[str]
    factors: list[EmissionFactor]
    required: bool
    value: str = ""
    unit: str = ""
    factor: str = ""
    error: str | None = None  # a code the template turns into a sentence in the page's language
    error_arg: str = ""

    @property
    def key(self) -> str:
        return self.param.key


@dataclass
class CalculatorForm:
    fields: list[CalculatorField]
    version: str | None = None
    submitted: bool = False
    problem: Message | None = None  # an engine refusal, said in the page's language
    params: CalculationParams | None = None

    @property
    def invalid(self) -> list[CalculatorField]:
        return [f for f in self.fields if f.error]


@dataclass
class MethodologyPage:
    """Everything the methodology template shows besides the API's detail."""

    methodology: Methodology
    equations: list[EquationView]
    factors: list[FactorView]
    form: CalculatorForm
    result: CalculationResult | None = None
    not_in_calculator: list[Parameter] = field(default_factory=list)

    @staticmethod
    def symbol(name: str) -> Markup:
        """A symbol as the document prints it (``EG<sub>i,p</sub>``), escaped by the renderer."""
        return Markup(symbol_html(name))


class MethodologyListPage(PageContext):
    data: MethodologyList
    query: MethodologyQuery = page_only()
    countries: list[str] = page_only()
    sectors: list[str] = page_only()
    total: int = page_only()
    snap: RegistrySnapshot = page_only()


class MethodologyDetailPage(PageContext):
    """A methodology (the API's detail) with its equations, factors and the calculator.

    The calculator's answer shows this page too; its JSON twin is the estimate alone
    (:class:`EstimateData`), answered before the page is built.
    """

    data: MethodologyData
    page: MethodologyPage = page_only()
    snap: RegistrySnapshot = page_only()


@router.get("/methodologies", response_model=MethodologyListPage)
def methodology_list(request: Request, snap: Snapshot) -> Response:
    from c3p.mrv import monitoring_report

    query = page_query(request, MethodologyQuery)
    found = catalog.search_methodologies(query.country, query.sector, query.q)
    every = catalog.all_methodologies()
    page = MethodologyListPage(
        data=MethodologyList([monitoring_report.methodology_summary(m) for m in found]),
        query=query,
        countries=sorted({m.spec.host_country for m in every}),
        sectors=sorted({m.spec.sector for m in every}),
        total=len(every),
        snap=snap,
    )
    return render(request, "mrv/methodology_list.html", page)


@router.get("/methodologies/{methodology_id}", response_model=MethodologyDetailPage)
def methodology_page(request: Request, methodology_id: str, snap: Snapshot, version: str | None = None) -> Response:
    methodology = catalog.get_methodology(methodology_id, version)
    form = blank_form(methodology)
    form.version = version
    page = MethodologyDetailPage(data=_detail(methodology), page=methodology_view(methodology, form), snap=snap)
    return render(request, "mrv/methodology_detail.html", page)


@router.get("/methodologies/{methodology_id}/estimate", response_model=MethodologyDetailPage)
def estimate_page(request: Request, methodology_id: str, snap: Snapshot, version: str | None = None) -> Response:
    """The calculator's answer: the methodology page with the result, or the form with errors."""
    from c3p.mrv import engine

    methodology = catalog.get_methodology(methodology_id, version)
    form = read_form(methodology, request.query_params)
    form.version = version
    result = None
    if form.params is not None:
        try:
            result = engine.estimate(methodology, form.params)
        except InvalidInput as exc:
            form.problem = exc.message
    failed = result is None
    if request.query_params.get("format") == "json":
        if failed:
            names = [f.param.symbol for f in form.invalid]
            raise InvalidInput(form.problem or f"invalid values for: {', '.join(names)}", parameters=names)
        assert result is not None
        return Response(EstimateData(result.model_dump(mode="json")).model_dump_json(), media_type="application/json")
    page = MethodologyDetailPage(data=_detail(methodology), page=methodology_view(methodology, form, result), snap=snap)
    return render(request, "mrv/methodology_detail.html", page, status=422 if failed else 200)


def _detail(methodology: Methodology) -> MethodologyData:
    from c3p.mrv import monitoring_report

    return MethodologyData(monitoring_report.methodology_detail(methodology))


def methodology_view(
    methodology: Methodology, form: CalculatorForm, result: CalculationResult | None = None
) -> MethodologyPage:
    spec = methodology.spec
    roles = {
        spec.reference_emissions: "reference_emissions",
        spec.project_emissions: "project_emissions",
        spec.emission_reductions: "emission_reductions",
    }
    equations = [
        EquationView(
            symbol=e.symbol,
            html=Markup(equation_html(e.symbol, methodology.trees[e.key])),  # escaped by render.to_html
            text=f"{e.symbol} = {to_text(methodology.trees[e.key])}",
            unit=e.unit,
            description=e.description,
            description_ja=e.description_ja,
            source=e.source,
            source_ja=e.source_ja,
            role=roles.get(e.symbol),
            verification=e.verification,
        )
        for e in spec.equations
    ]
    in_form = {f.key for f in form.fields}
    return MethodologyPage(
        methodology=methodology,
        equations=equations,
        factors=factor_views(methodology),
        form=form,
        result=result,
        not_in_calculator=[p for p in spec.parameters if p.key not in in_form],
    )


def factor_views(methodology: Methodology) -> list[FactorView]:
    """Every version of every emission factor a parameter uses or may choose."""
    users: dict[str, list[str]] = {}
    defaults = set()
    for param in methodology.spec.parameters:
        for factor_id in dict.fromkeys(filter(None, (param.factor, *param.factor_options))):
            users.setdefault(factor_id.partition("@")[0], []).append(param.symbol)
        if param.factor:
            defaults.add(param.factor.partition("@")[0])
    every = default_registry().all()
    return [
        FactorView(factor=f, symbols=tuple(users[f.factor_id]), is_default=f.factor_id in defaults)
        for factor_id in users
        for f in sorted((f for f in every if f.factor_id == factor_id), key=lambda f: f.version)
    ]


def _calculator_parameters(methodology: Methodology) -> list[Parameter]:
    """The parameters an ex-ante estimate needs (QA/QC-only ones such as capacities aside)."""
    return [p for p in methodology.spec.parameters if p.key in methodology.referenced]


def blank_form(methodology: Methodology) -> CalculatorForm:
    registry = default_registry()
    fields = []
    for param in _calculator_parameters(methodology):
        options = list(dict.fromkeys(filter(None, (param.factor, *param.factor_options))))
        fields.append(
            CalculatorField(
                param=param,
                units=compatible_units(param.unit),
                factors=[registry.get(ref) for ref in options],
                required=param.value is None and not param.factor,
                unit=param.unit,
                factor=registry.get(param.factor).ref if param.factor else "",
            )
        )
    return CalculatorForm(fields=fields)


def parse_number(text: str) -> float | None:
    """A number as people type it: ``1,200``, ``１２００``, ``0.533``, ``1e3``; None otherwise.

    >>> parse_number("１,２００.5"), parse_number("abc"), parse_number("nan")
    (1200.5, None, None)
    """
    cleaned = unicodedata.normalize("NFKC", text).replace(",", "").replace("_", "").replace(" ", "")
    try:
        number = float(cleaned)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def read_form(methodology: Methodology, given: Mapping[str, str]) -> CalculatorForm:
    """The submitted calculator: what was typed (kept as typed), errors per field, params."""
    form = blank_form(methodology)
    form.submitted = True
    values: dict[str, Any] = {}
    for entry in form.fields:
        entry.value = given.get(entry.key, "").strip()
        entry.unit = given.get(entry.key + UNIT_SUFFIX) or entry.param.unit
        entry.factor = given.get(entry.key + FACTOR_SUFFIX, entry.factor)
        chosen = _read_field(entry)
        if chosen is not None:
            values[entry.param.symbol] = chosen
    if not form.invalid:
        form.params = CalculationParams(values=values)
    return form


def _read_field(entry: CalculatorField) -> GivenValue | None:
    if entry.unit not in entry.units:
        entry.error = "unit"
        return None
    if entry.factors and entry.factor and entry.factor not in {f.ref for f in entry.factors}:
        entry.error = "factor"
        return None
    if not entry.value:
        if entry.required and not entry.factor:
            entry.error = "choice" if entry.factors else "required"
        return GivenValue(factor=entry.factor) if entry.factor else None
    number = parse_number(entry.value)
    if number is None:
        entry.error = "number"
        return None
    physical = entry.param.bounds.physical
    if not physical.contains(number * scale_factor(entry.unit, entry.param.unit)):
        below = physical.low is not None and number < physical.low and physical.low_closed
        entry.error, entry.error_arg = ("minimum", f"{physical.low:g}") if below else ("range", str(physical))
        return None
    return GivenValue(value=number, unit=entry.unit)
