"""Methodology specifications: the declarative form of a JCM methodology, and its checks.

A specification is a YAML file (one per methodology and version) that a reviewer can read
next to the official PDF: parameters with their symbols, units, kinds and monitoring
options; equations as text; and the source of each part. Loading refuses a file that
breaks a rule — unknown keys, undefined symbols, unparsable equations, inconsistent units,
circular equations — with the file, line and reason, because a methodology that silently
computes the wrong thing is worse than one that does not load.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ConfigDict, Field, ValidationError, model_validator

from c3p.errors import DataFileError
from c3p.mrv import expressions as ex
from c3p.mrv.bounds import Bounds
from c3p.mrv.spec_checks import SpecProblem, check_methodology
from c3p.mrv.yaml_lines import line_map, nearest_line, safe_load
from c3p.schema import Schema

Kind = Literal["monitored", "fixed", "default"]
Verification = Literal["verbatim", "partly-confirmed", "reconstructed"]


def _japanese(field: str) -> Any:
    """A field's Japanese twin (``<field>_ja``): a reading aid for Japanese pages; the English prevails."""
    return Field(None, description=f"The Japanese of {field} (a reading aid; the English prevails).")


class _Frozen(Schema):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Parameter(_Frozen):
    """One parameter of a methodology, described once and used by engine, report and UI."""

    symbol: str = Field(description="Symbol as written in the methodology, e.g. EG_i,p.")
    description: str
    unit: str = Field(description="Unit the engine computes in; inputs are converted to it.")
    kind: Kind = Field(description="monitored, fixed ex-ante, or a default value.")
    option: Literal["A", "B", "C"] | None = Field(
        None, description="Monitoring option: A public data, B invoices, C measurement."
    )
    description_ja: str | None = _japanese("description")
    frequency: str | None = None
    frequency_ja: str | None = _japanese("frequency")
    source: str | None = Field(None, description="Where the value comes from.")
    source_ja: str | None = _japanese("source")
    value: float | None = Field(None, description="Default value (kind: default).")
    factor: str | None = Field(None, description="Default emission-factor id from the registry.")
    factor_bound: Literal["value", "lower", "upper"] = Field(
        "value", description="Which IPCC bound to use: lower is conservative for a reference fuel."
    )
    factor_options: tuple[str, ...] = Field(
        (), description="Emission-factor ids a project may choose for this parameter."
    )
    aggregate: Literal["sum", "mean", "max", "min"] = Field(
        "sum", description="How monitored rows of a site and month combine."
    )
    conservative: Literal["low", "high"] = Field(
        "low", description="low: missing or doubtful data lower it; high: raise it."
    )
    rated_power: str | None = Field(
        None, description="Symbol of a power parameter that caps each reading (kW x hours)."
    )
    bounds: Bounds = Field(description="Physical and typical range of values, with their source.")
    choice: str | None = Field(
        None, description="Why the participant must pick one of factor_options, and which is conservative."
    )
    choice_ja: str | None = _japanese("choice")

    @property
    def key(self) -> str:
        return ex.symbol_key(self.symbol)

    @property
    def minimum(self) -> float | None:
        """Smallest physically possible value (None: no lower bound)."""
        return self.bounds.physical.low


class Equation(_Frozen):
    symbol: str
    expression: str
    unit: str
    description: str = ""
    description_ja: str | None = _japanese("description")
    source: str | None = None
    source_ja: str | None = _japanese("source")
    verification: Literal["verbatim", "reconstructed"] = Field(
        description="verbatim: checked against the published text; reconstructed: not yet."
    )

    @property
    def key(self) -> str:
        return ex.symbol_key(self.symbol)


class Condition(_Frozen):
    id: str
    text: str
    text_ja: str | None = _japanese("text")


class QaqcRules(_Frozen):
    jump_sigma: float = Field(8.0, description="A reading this many σ above the mean is a jump.")
    max_gap_share: float = Field(0.0, description="Share of missing intervals tolerated quietly.")


class MethodologySpec(_Frozen):
    id: str = Field(pattern=r"^[A-Z]{2}_(AM|PM)\d{3}$")
    version: str
    title: str
    host_country: str = Field(pattern=r"^[A-Z]{3}$")
    sector: str
    sectoral_scope: int
    status: Literal["approved", "proposed"] = "approved"
    approved_on: str | None = None
    proponent: str | None = None
    source: str
    ja_source: str | None = Field(
        None, description="Where the Japanese text (the fields ending _ja) comes from; required when there is any."
    )
    verification: Verification
    verification_note: str
    verification_note_ja: str | None = _japanese("verification_note")
    related: tuple[str, ...] = ()
    applicability: tuple[Condition, ...]
    parameters: tuple[Parameter, ...]
    equations: tuple[Equation, ...]
    reference_emissions: str
    project_emissions: str
    emission_reductions: str
    rounding: Literal["floor"] = "floor"
    non_negative: bool = True
    qaqc: QaqcRules = QaqcRules()

    @model_validator(mode="after")
    def _japanese_text_has_a_source(self) -> MethodologySpec:
        if self.ja_source is None and _has_japanese(self.model_dump()):
            raise ValueError("the Japanese text (fields ending _ja) needs ja_source: where it comes from")
        return self


def _has_japanese(data: object) -> bool:
    """Whether any field ending ``_ja`` holds text, at any depth."""
    if isinstance(data, dict):
        return any((k.endswith("_ja") and v) or _has_japanese(v) for k, v in data.items())
    if isinstance(data, list | tuple):
        return any(_has_japanese(item) for item in data)
    return False


@dataclass(frozen=True)
class Methodology:
    """A checked specification with its parsed equations in evaluation order."""

    spec: MethodologySpec
    trees: dict[str, ex.Node]
    order: tuple[str, ...]
    path: str
    sha256: str
    parameters: dict[str, Parameter] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def version(self) -> str:
        return self.spec.version

    def parameter(self, symbol: str) -> Parameter | None:
        return self.parameters.get(ex.symbol_key(symbol))

    def equation(self, symbol: str) -> Equation:
        key = ex.symbol_key(symbol)
        return next(e for e in self.spec.equations if e.key == key)

    @property
    def referenced(self) -> set[str]:
        """Keys of parameters some equation uses (others, e.g. capacities, serve QA/QC only)."""
        return {ex.symbol_key(s.name) for tree in self.trees.values() for s in ex.symbols(tree)}

    def used_in(self, symbol: str) -> set[str]:
        """Which of RE/PE a parameter feeds (directly or through intermediate equations)."""
        key = ex.symbol_key(symbol)
        found: set[str] = set()
        for target in (self.spec.reference_emissions, self.spec.project_emissions):
            if key in _dependencies(self.trees, ex.symbol_key(target)):
                found.add(target)
        return found


def _dependencies(trees: dict[str, ex.Node], key: str) -> set[str]:
    seen: set[str] = set()
    stack = [key]
    while stack:
        current = stack.pop()
        for sym in ex.symbols(trees[current]) if current in trees else []:
            sym_key = ex.symbol_key(sym.name)
            if sym_key not in seen:
                seen.add(sym_key)
                stack.append(sym_key)
    return seen


def load_methodology(path: Path | str) -> Methodology:
    """Read, validate and compile one specification file; refuse it with line and reason."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        raw = safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataFileError(str(path), mark.line + 1 if mark else None, f"not YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise DataFileError(str(path), 1, "a methodology file must be a mapping")
    try:
        spec = MethodologySpec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        line = nearest_line(line_map(text), tuple(first["loc"]))
        raise DataFileError(str(path), line, f"{where}: {first['msg']}") from None
    try:
        trees, order = check_methodology(spec)
    except SpecProblem as problem:
        raise DataFileError(str(path), nearest_line(line_map(text), problem.loc), problem.reason) from None
    digest = hashlib.sha256(calculation_text(text).encode("utf-8")).hexdigest()
    return Methodology(
        spec=spec,
        trees=trees,
        order=order,
        path=str(path),
        sha256=digest,
        parameters={p.key: p for p in spec.parameters},
    )


#: a line of the Japanese reading aid: ``<field>_ja: "…"`` or ``ja_source: "…"``, one line each
_JAPANESE_LINE = re.compile(r"^\s*(?:- )?(?:\w+_ja|ja_source): .*(?:\n|$)", re.MULTILINE)


def calculation_text(text: str) -> str:
    r"""The file without its Japanese lines: what the digest covers, so that a translation, which
    changes no result, leaves the digest that monitoring reports recorded unchanged.

    >>> calculation_text('id: X\ntext: Solar\ntext_ja: "太陽光"\nunit: MWh\n')
    'id: X\ntext: Solar\nunit: MWh\n'
    """
    return _JAPANESE_LINE.sub("", text)


def version_key(version: str) -> tuple[int, ...]:
    """Sort key for versions such as '2.0' or 'ver03.0'."""
    return tuple(int(n) for n in re.findall(r"\d+", version)) or (0,)
