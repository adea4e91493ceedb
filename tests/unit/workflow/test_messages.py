"""Texts made in Python (eligibility reasons, notifications) read in English and in Japanese."""

from __future__ import annotations

from c3p.catalogs import translate
from c3p.messages import Message
from c3p.workflow.rules.calls import ApplicationFacts, CallRules, PlaceFacts, check_eligibility


def test_a_reason_is_english_and_translates_with_its_parameters() -> None:
    facts = ApplicationFacts(
        proposer_kind="company",
        partner_places=(PlaceFacts("bangkok", "THA", is_developing=True, is_jcm_partner=True),),
        fields=("no-such-field",),
    )
    findings = {f.code: f for f in check_eligibility(facts, CallRules(**_rules())).findings}
    place = findings["country:bangkok"]
    assert place.reason == "bangkok is in THA, a JCM partner country (priority)."
    assert translate(Message(place.text, place.params), "ja") == "bangkokはTHA（JCMパートナー国、優先）にあります。"
    assert translate(Message(place.text, place.params), "en") == place.reason


def test_a_parameter_per_language_and_a_nested_message() -> None:
    moved = Message(
        "%(title)s moved to %(to)s on %(date)s.",
        {"title": "Solar", "title_ja": "太陽光", "to": Message("Installed"), "date": "2026-04-01"},
    )
    assert str(moved) == "Solar moved to Installed on 2026-04-01."
    assert translate(moved, "ja").startswith("太陽光は2026-04-01に「")


def _rules() -> dict[str, object]:
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    return {"fiscal_year": 2025, "opens_at": now, "closes_at": now}
