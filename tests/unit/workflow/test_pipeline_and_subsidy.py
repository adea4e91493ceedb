"""The JCM state machine, the subsidy calculator (hand-computed figures) and the outcome KPI."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from c3p.accounts.rules.actions import ACTIONS
from c3p.workflow.rules import pipeline
from c3p.workflow.rules.outcomes import JcmLink, OutcomeRefused, check_outcome, jcm_projects_realized
from c3p.workflow.rules.subsidy import RateTier, SubsidyParams, SubsidyRules, calculate, rules_for


def test_the_main_line_is_walkable_with_its_documents() -> None:
    documents = {kind for kinds in pipeline.REQUIRED_DOCUMENTS.values() for kind in kinds}
    state = "idea"
    for following in pipeline.MAIN_LINE[1:]:
        state = pipeline.check_step(state, following, documents).to_state
    assert state == "issuance"
    assert pipeline.check_step("issuance", "monitoring", documents)  # the next monitoring period


@pytest.mark.parametrize(
    ("current", "wanted", "message"),
    [
        ("idea", "registration", "cannot move from idea to registration"),
        ("registration", "withdrawn", "cannot move"),
        ("withdrawn", "idea", "withdrawn is final"),
        ("pdd", "validation", "needs these documents first: pdd"),
        ("idea", "launched", "Unknown state"),
    ],
)
def test_illegal_steps_are_refused(current: str, wanted: str, message: str) -> None:
    with pytest.raises(pipeline.IllegalStep, match=message):
        pipeline.check_step(current, wanted)


def test_every_step_has_an_action_naming_who_may_take_it() -> None:
    targets = {s for nexts in pipeline.TRANSITIONS.values() for s in nexts}
    for state in targets:
        assert pipeline.mover_action(state) in ACTIONS
    assert ACTIONS["jcm.move.validation"].roles == ("tpe",)
    assert ACTIONS["jcm.move.registration"].roles == ("joint_committee_member",)
    assert set(ACTIONS["jcm.move"].roles) == {r for s in targets for r in ACTIONS[pipeline.mover_action(s)].roles}


@settings(deadline=None)
@given(st.lists(st.sampled_from(pipeline.STATES), max_size=30))
def test_random_walks_only_take_allowed_steps(wanted: list[str]) -> None:
    documents = frozenset(k for kinds in pipeline.REQUIRED_DOCUMENTS.values() for k in kinds)
    state = "idea"
    for target in wanted:
        try:
            state = pipeline.check_step(state, target, documents).to_state
        except pipeline.IllegalStep:
            assert target not in pipeline.next_states(state)
    assert state in pipeline.STATES


PARAMS = SubsidyParams(
    fiscal_year=2025,
    initial_investment_jpy=300_000_000,
    expected_reductions_tco2_per_year=1_500,
    legal_durable_years=15,
)


def test_subsidy_without_known_tiers_applies_the_confirmed_half() -> None:
    result = calculate(PARAMS, rules_for(2025))
    # 300,000,000 × 1/2 = 150,000,000; 1,500 t × 15 y = 22,500 t; 150,000,000 / 22,500 = 6,666.67 → 6,667
    assert (result.max_subsidy_jpy, result.lifetime_reductions_tco2) == (150_000_000, 22_500)
    assert result.cost_effectiveness_jpy_per_tco2 == 6_667
    assert result.cost_effectiveness_ok is None and result.rate_basis == "cap"
    assert result.min_credits_to_japan_per_year == 750
    assert any("threshold unknown" in note for note in result.notes)
    assert result.sources and all("https://" in source for source in result.sources)  # citations a reader can check


def test_configured_tiers_and_threshold_are_applied() -> None:
    rules = rules_for(
        2025,
        {
            "rate_tiers": [
                {"min_cases": 0, "max_cases": 0, "rate_pct": "50"},
                {"min_cases": 1, "max_cases": 3, "rate_pct": "40"},
                {"min_cases": 4, "max_cases": None, "rate_pct": "30"},
            ],
            "cost_effectiveness_max_jpy_per_tco2": 5_000,
        },
    )
    params = PARAMS.model_copy(update={"similar_technology_cases": 2, "requested_subsidy_jpy": 200_000_000})
    result = calculate(params, rules)
    # 40 % of 300,000,000 = 120,000,000 (the request of 200,000,000 is capped); 120,000,000 / 22,500 = 5,333.3 → 5,334
    assert (result.rate_pct, result.subsidy_jpy) == (Decimal("40"), 120_000_000)
    assert result.cost_effectiveness_jpy_per_tco2 == 5_334 and result.cost_effectiveness_ok is False


def test_credit_share_below_half_is_flagged() -> None:
    low = calculate(PARAMS.model_copy(update={"credit_share_to_japan_pct": Decimal("40")}), rules_for(2025))
    assert low.credit_share_ok is False
    assert calculate(
        PARAMS.model_copy(update={"credit_share_to_japan_pct": Decimal("50")}), rules_for(2025)
    ).credit_share_ok


def test_fy2018_rules_record_the_confirmed_range_and_unknown_tiers() -> None:
    rules = rules_for(2018)
    assert rules.rate_range_pct == (Decimal(30), Decimal(50)) and rules.rate_tiers is None
    assert rules.cost_effectiveness_max_jpy_per_tco2 is None
    assert rules_for(2024).fiscal_year is None  # the default record


def test_params_are_frozen_and_strict() -> None:
    with pytest.raises(ValidationError):
        SubsidyParams(
            fiscal_year=2025, initial_investment_jpy=0, expected_reductions_tco2_per_year=1, legal_durable_years=1
        )
    with pytest.raises(ValidationError):
        SubsidyParams(**PARAMS.model_dump(), colour="red")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        SubsidyRules(max_share_of_investment="3/2")
    with pytest.raises(ValidationError):
        RateTier(min_cases=0, rate_pct=Decimal("0"))


@given(st.integers(1, 10**12), st.integers(0, 10**7), st.integers(1, 60), st.integers(1, 10**12) | st.none())
def test_the_subsidy_never_exceeds_half_or_the_request(investment: int, reductions: int, years: int, asked) -> None:  # type: ignore[no-untyped-def]
    params = SubsidyParams(
        fiscal_year=2025,
        initial_investment_jpy=investment,
        expected_reductions_tco2_per_year=reductions,
        legal_durable_years=years,
        requested_subsidy_jpy=asked,
    )
    result = calculate(params, rules_for(2025))
    assert 2 * result.subsidy_jpy <= investment
    assert asked is None or result.subsidy_jpy <= asked
    assert 2 * result.min_credits_to_japan_per_year >= reductions


def test_outcomes_and_the_kpi() -> None:
    with pytest.raises(OutcomeRefused, match="at least one program project"):
        check_outcome("policy", 0, None, None)
    with pytest.raises(OutcomeRefused, match="Only financing"):
        check_outcome("policy", 1, 10, None)
    with pytest.raises(OutcomeRefused, match="Unknown outcome kind"):
        check_outcome("rumour", 1, None, None)
    links = [JcmLink("a", "registration", 1), JcmLink("b", "withdrawn", 1), JcmLink("c", "adopted", 0)]
    assert jcm_projects_realized(links) == 1
