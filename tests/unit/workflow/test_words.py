"""States, kinds and places said in words in both languages, never as stored slugs (issue 14).

Fails on the base commit: "状態: 採択件数", "company" and "can-tho" appeared in Japanese text.
"""

from __future__ import annotations

import datetime as dt

from c3p.catalogs import translate, translations
from c3p.workflow.rules import calls as rules

NOW = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
CALL = rules.CallRules(fiscal_year=2026, opens_at=NOW, closes_at=NOW + dt.timedelta(days=30))
CAN_THO = rules.PlaceFacts(
    "can-tho",
    "VNM",
    True,
    True,
    {
        "place": "Can Tho",
        "place_ja": "カントー市",
        "place_en": "Can Tho",
        "country": "Viet Nam",
        "country_ja": "ベトナム",
    },
)


def test_an_adopted_application_reads_adopted_not_a_count() -> None:
    assert translations("ja").gettext("Adopted") == "採択"
    assert translate(rules.state_name("adopted"), "ja") == "採択"


def test_eligibility_names_the_proposer_kind_and_the_place_in_japanese() -> None:
    facts = rules.ApplicationFacts(proposer_kind="company", partner_places=(CAN_THO,))
    said = [translate(rules.Message(f.text, f.params), "ja") for f in rules.check_eligibility(facts, CALL).findings]
    text = " ".join(said)
    assert "民間企業" in text and "カントー市" in text and "ベトナム" in text
    assert "company" not in text and "can-tho" not in text and "VNM" not in text


def test_refused_transitions_name_states_in_words() -> None:
    try:
        rules.check_transition("application", rules.APPLICATION_TRANSITIONS, "adopted", "withdrawn")
    except rules.IllegalTransition as refusal:
        japanese = translate(refusal.message, "ja")
    assert "採択" in japanese and "取り下げ" in japanese and "adopted" not in japanese


def test_deadlines_are_said_in_japan_time() -> None:
    late = rules.submission_refusal(NOW + dt.timedelta(days=31), "open", CALL)
    assert late is not None and "2026-05-01 09:00" in translate(late, "ja") and "日本時間" in translate(late, "ja")
