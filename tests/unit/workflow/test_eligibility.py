"""Eligibility (支援対象) and completeness: each rule gives its reason, passed or not."""

from __future__ import annotations

import datetime as dt
import doctest

import pytest

from c3p.workflow.rules import calls, outcomes, pipeline, review, subsidy
from c3p.workflow.rules.calls import ApplicationFacts, CallRules, PlaceFacts, check_eligibility, missing_parts

NOW = dt.datetime(2026, 4, 10, tzinfo=dt.UTC)
RULES = CallRules(
    fiscal_year=2026,
    opens_at=dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
    closes_at=dt.datetime(2026, 4, 25, 23, 59, tzinfo=dt.UTC),
    max_budget_jpy_per_year=30_000_000,
    required_attachments=("application_form",),
)
BANGKOK = PlaceFacts("bangkok", "THA", is_developing=True, is_jcm_partner=True)
KUALA_LUMPUR = PlaceFacts("kuala-lumpur", "MYS", is_developing=True, is_jcm_partner=False)
SEOUL = PlaceFacts("seoul", "KOR", is_developing=False, is_jcm_partner=False)


def facts(**changes: object) -> ApplicationFacts:
    values: dict[str, object] = {
        "proposer_kind": "company",
        "title": "t",
        "summary": "s",
        "plan": "p",
        "japanese_governments": ("yokohama",),
        "partner_places": (BANGKOK,),
        "fields": ("energy-efficiency",),
        "budget_jpy_by_year": (20_000_000,),
        "plan_years": 1,
        "attachment_kinds": ("application_form",),
    }
    values.update(changes)
    return ApplicationFacts(**values)  # type: ignore[arg-type]


def failed_codes(result: calls.Eligibility) -> list[str]:
    return [f.code for f in result.failures]


def test_a_complete_consortium_in_a_jcm_partner_country_is_eligible_and_prioritised() -> None:
    result = check_eligibility(facts(), RULES)
    assert result.eligible and result.prioritised
    assert any("JCM partner country (priority)" in f.reason for f in result.findings)


def test_a_developing_country_outside_the_jcm_is_eligible_without_priority() -> None:
    result = check_eligibility(facts(partner_places=(KUALA_LUMPUR,)), RULES)
    assert result.eligible and not result.prioritised


@pytest.mark.parametrize(
    ("changes", "code", "reason"),
    [
        ({"partner_places": (SEOUL,)}, "country:seoul", "not a developing country"),
        ({"proposer_kind": "japanese_government"}, "proposer", "cannot propose"),
        ({"japanese_governments": ()}, "japanese_government", "at least one Japanese local government"),
        ({"partner_places": ()}, "partner_place", "at least one partner place"),
        ({"fields": ("nuclear",)}, "field:nuclear", "not a target field"),
        ({"fields": ("policy-support",)}, "field:technology", "technology field"),
        ({"budget_jpy_by_year": (40_000_000,)}, "budget", "Over the limit of 30,000,000 JPY"),
        ({"plan_years": 4, "budget_jpy_by_year": (1, 1, 1, 1)}, "plan_years", "exceeds the call's 3"),
    ],
)
def test_each_rule_refuses_with_its_reason(changes: dict[str, object], code: str, reason: str) -> None:
    result = check_eligibility(facts(**changes), RULES)
    assert not result.eligible
    assert code in failed_codes(result)
    assert any(reason in f.reason for f in result.failures)


def test_a_call_limited_to_some_countries_refuses_the_others() -> None:
    rules = CallRules(**{**RULES.__dict__, "target_countries": ("VNM",)})
    assert "country:bangkok" in failed_codes(check_eligibility(facts(), rules))


def test_missing_parts_are_named() -> None:
    incomplete = facts(title="", plan="", budget_jpy_by_year=(1,), plan_years=2, attachment_kinds=())
    missing = [str(part) for part in missing_parts(incomplete, RULES)]
    assert missing == [
        "a title",
        "an implementation plan",
        "a budget for every plan year (2 years)",
        "an attachment: Application form",
    ]
    assert missing_parts(facts(), RULES) == []


def test_submission_window() -> None:
    assert calls.submission_refusal(NOW, "open", RULES) is None
    late = calls.submission_refusal(dt.datetime(2026, 4, 26, tzinfo=dt.UTC), "open", RULES)
    assert late and "late submissions are not accepted" in str(late)
    assert calls.submission_refusal(NOW, "reviewing", RULES)
    early = calls.submission_refusal(dt.datetime(2026, 3, 1, tzinfo=dt.UTC), "open", RULES)
    assert early and "opens on" in str(early)


def test_application_state_machine() -> None:
    calls.check_transition("application", calls.APPLICATION_TRANSITIONS, "draft", "submitted")
    calls.check_transition("application", calls.APPLICATION_TRANSITIONS, "submitted", "withdrawn")
    for current, wanted in (("withdrawn", "submitted"), ("adopted", "withdrawn"), ("draft", "adopted")):
        with pytest.raises(calls.IllegalTransition):
            calls.check_transition("application", calls.APPLICATION_TRANSITIONS, current, wanted)


def test_target_fields_come_from_the_brochure_with_sources() -> None:
    fields = calls.target_fields()
    assert {"energy-efficiency", "renewable-energy", "hydrogen", "policy-support"} <= set(fields)
    assert all("brochure" in f.source for f in fields.values())


@pytest.mark.parametrize("module", [calls, review, pipeline, subsidy, outcomes])
def test_doctests(module: object) -> None:
    assert doctest.testmod(module).failed == 0  # type: ignore[arg-type]
