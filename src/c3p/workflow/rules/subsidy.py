"""The JCM Model Project subsidy calculator: ``calculate(params, rules) -> SubsidyResult``.

Rules are per fiscal year and live in ``workflow/data/subsidy_rules.yaml`` with their
sources (reference/jcm-facts.md §3). What is confirmed: the subsidy is at most 1/2 of the
initial investment, at least 1/2 of the credits go to Japan, implementation takes up to 3
years and monitoring lasts the legal durable years. What is not: the rate tiers by number of
similar-technology cases (FY2018: 30–50 %) and the cost-effectiveness threshold in JPY per
tCO2. Unknown figures are ``None``: the calculator then applies only the confirmed cap and
says so in ``notes`` (English message ids the pages translate); give the figures in the rules
file or as overrides to apply them. Each rule says its source as a citation a reader can check.

Money is integer JPY; rates are exact decimals; credits are whole tCO2 (Japan's share is
rounded up, since it is a minimum).
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from importlib.resources import files
from typing import Any

import yaml
from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from c3p.messages import N_
from c3p.program.rules import sources
from c3p.schema import Schema


class _Frozen(Schema):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RateTier(_Frozen):
    """The rate for projects whose technology has ``min_cases``…``max_cases`` similar adopted cases."""

    min_cases: int = Field(ge=0)
    max_cases: int | None = Field(None, ge=0, description="None: no upper bound")
    rate_pct: Decimal = Field(gt=0, le=100)


class SubsidyRules(_Frozen):
    fiscal_year: int | None = Field(None, description="None: the default for years without rules of their own")
    max_share_of_investment: str = Field("1/2", description="ceiling as a fraction of the initial investment")
    max_share_source: str = ""
    max_share_verification: str = ""
    rate_range_pct: tuple[Decimal, Decimal] | None = None
    rate_tiers: tuple[RateTier, ...] | None = None
    rate_tiers_note: str = ""
    rate_tiers_note_ja: str = ""
    rate_tiers_verification: str = ""
    cost_effectiveness_max_jpy_per_tco2: int | None = Field(None, ge=1)
    cost_effectiveness_note: str = ""
    cost_effectiveness_note_ja: str = ""
    cost_effectiveness_verification: str = ""
    min_credit_share_to_japan: str = "1/2"
    credit_share_source: str = ""
    credit_share_verification: str = ""
    implementation_years_max: int = 3
    implementation_source: str = ""
    subsidy_per_project_jpy_range: tuple[int, int] | None = None
    subsidy_per_project_source: str = ""
    source: str = ""

    @field_validator("*", mode="after")
    @classmethod
    def _readable(cls, value: object, info: ValidationInfo) -> object:
        """Sources and notes say the reference files they cite in words (they are shown to anyone)."""
        named = (info.field_name or "").endswith(("source", "note"))
        return sources.readable(value) if named and isinstance(value, str) else value

    @field_validator("max_share_of_investment", "min_credit_share_to_japan")
    @classmethod
    def _fraction(cls, value: str) -> str:
        share = Fraction(value)
        if not 0 < share <= 1:
            raise ValueError("a share is a fraction in (0, 1], e.g. 1/2")
        return value

    @property
    def max_share(self) -> Fraction:
        return Fraction(self.max_share_of_investment)

    @property
    def min_credit_share(self) -> Fraction:
        return Fraction(self.min_credit_share_to_japan)


class SubsidyParams(_Frozen):
    fiscal_year: int = Field(ge=2013, le=2100, description="fiscal year of the Model Project call")
    initial_investment_jpy: int = Field(gt=0, description="eligible initial investment (equipment, construction)")
    expected_reductions_tco2_per_year: int = Field(ge=0, description="ex-ante emission reductions per year")
    legal_durable_years: int = Field(ge=1, le=60, description="法定耐用年数 of the main equipment")
    similar_technology_cases: int | None = Field(None, ge=0, description="adopted cases using similar technology")
    requested_subsidy_jpy: int | None = Field(None, gt=0, description="what the applicant asks for")
    credit_share_to_japan_pct: Decimal | None = Field(None, ge=0, le=100, description="share of credits to Japan")


class SubsidyResult(_Frozen):
    fiscal_year: int
    rules_fiscal_year: int | None
    rate_pct: Decimal = Field(description="the rate applied to the initial investment")
    rate_basis: str
    max_subsidy_jpy: int
    subsidy_jpy: int
    lifetime_reductions_tco2: int
    cost_effectiveness_jpy_per_tco2: int | None = Field(description="subsidy per tCO2 over the legal durable years")
    cost_effectiveness_max_jpy_per_tco2: int | None
    cost_effectiveness_ok: bool | None = Field(description="None when the threshold is unknown")
    min_credits_to_japan_per_year: int
    credit_share_ok: bool | None = Field(description="None when no share was given")
    monitoring_years: int
    notes: tuple[str, ...]
    sources: tuple[str, ...]


def _rate(params: SubsidyParams, rules: SubsidyRules, notes: list[str]) -> tuple[Decimal, str]:
    cap = Decimal(rules.max_share.numerator * 100) / Decimal(rules.max_share.denominator)
    if rules.rate_tiers is None:
        notes.append(N_("Rate tiers unknown for this year: the confirmed cap applies."))
        return cap, "cap"
    if params.similar_technology_cases is None:
        notes.append(
            N_("Give the number of similar-technology cases to apply the rate tiers; the cap applies meanwhile.")
        )
        return cap, "cap"
    for tier in rules.rate_tiers:
        upper = tier.max_cases if tier.max_cases is not None else math.inf
        if tier.min_cases <= params.similar_technology_cases <= upper:
            return min(
                tier.rate_pct, cap
            ), f"tier {tier.min_cases}–{tier.max_cases if tier.max_cases is not None else ''}"
    notes.append(N_("No rate tier covers this number of similar cases; the cap applies."))
    return cap, "cap"


def calculate(params: SubsidyParams, rules: SubsidyRules) -> SubsidyResult:
    """The Model Project subsidy for ``params`` under ``rules``.

    >>> rules = SubsidyRules(max_share_of_investment="1/2", min_credit_share_to_japan="1/2")
    >>> params = SubsidyParams(fiscal_year=2025, initial_investment_jpy=1_000_000_000,
    ...                        expected_reductions_tco2_per_year=2_001, legal_durable_years=17)
    >>> result = calculate(params, rules)
    >>> result.max_subsidy_jpy, result.lifetime_reductions_tco2, result.cost_effectiveness_jpy_per_tco2
    (500000000, 34017, 14699)
    >>> result.min_credits_to_japan_per_year, result.cost_effectiveness_ok
    (1001, None)
    """
    notes: list[str] = []
    rate_pct, basis = _rate(params, rules, notes)
    max_subsidy = int(Fraction(params.initial_investment_jpy) * Fraction(rate_pct) / 100)
    subsidy = max_subsidy
    if params.requested_subsidy_jpy is not None:
        subsidy = min(params.requested_subsidy_jpy, max_subsidy)
        if params.requested_subsidy_jpy > max_subsidy:
            notes.append(N_("The request exceeds the maximum; the subsidy is limited to the maximum."))
    lifetime = params.expected_reductions_tco2_per_year * params.legal_durable_years
    cost_effectiveness = math.ceil(Fraction(subsidy, lifetime)) if lifetime else None
    threshold = rules.cost_effectiveness_max_jpy_per_tco2
    if threshold is None:
        notes.append(N_("Cost-effectiveness threshold unknown: not checked."))
        ok = None
    else:
        ok = cost_effectiveness is not None and cost_effectiveness <= threshold
    if cost_effectiveness is None:
        notes.append(N_("No expected reductions: cost-effectiveness cannot be computed."))
    share_ok = None
    if params.credit_share_to_japan_pct is not None:
        share_ok = Fraction(params.credit_share_to_japan_pct) / 100 >= rules.min_credit_share
        if not share_ok:
            notes.append(N_("Japan must receive at least the share of the credits the rules set."))
    sources = tuple(
        s for s in (rules.max_share_source, rules.credit_share_source, rules.implementation_source, rules.source) if s
    )
    return SubsidyResult(
        fiscal_year=params.fiscal_year,
        rules_fiscal_year=rules.fiscal_year,
        rate_pct=rate_pct,
        rate_basis=basis,
        max_subsidy_jpy=max_subsidy,
        subsidy_jpy=subsidy,
        lifetime_reductions_tco2=lifetime,
        cost_effectiveness_jpy_per_tco2=cost_effectiveness,
        cost_effectiveness_max_jpy_per_tco2=threshold,
        cost_effectiveness_ok=ok,
        min_credits_to_japan_per_year=math.ceil(params.expected_reductions_tco2_per_year * rules.min_credit_share),
        credit_share_ok=share_ok,
        monitoring_years=params.legal_durable_years,
        notes=tuple(notes),
        sources=sources,
    )


@lru_cache
def all_rules() -> tuple[SubsidyRules, ...]:
    text = files("c3p.workflow").joinpath("data/subsidy_rules.yaml").read_text(encoding="utf-8")
    return tuple(SubsidyRules.model_validate(item) for item in yaml.safe_load(text))


def rules_for(fiscal_year: int, overrides: dict[str, Any] | None = None) -> SubsidyRules:
    """The rules of ``fiscal_year`` (else the default record), with configured overrides applied."""
    rules = all_rules()
    chosen = next((r for r in rules if r.fiscal_year == fiscal_year), None)
    chosen = chosen or next(r for r in rules if r.fiscal_year is None)
    if overrides:
        chosen = SubsidyRules.model_validate({**chosen.model_dump(), **overrides})
    return chosen
