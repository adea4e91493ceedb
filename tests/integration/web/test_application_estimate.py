"""The ex-ante estimate on the application form, over real HTTP with a session.

Defect of issue 14 (fails on the base commit): the portal's application form had no
methodology picker, so "expected reductions from the MRV ex-ante estimate of a chosen
methodology" could only be given through the API. Now the lead picks an approved methodology,
saves, enters its inputs; the engine's estimate is saved and shown on the readable proposal.
Bad numbers (decimal comma, NaN, negative, absurdly large) are refused on the form with
everything typed kept and nothing saved.
"""

from __future__ import annotations

import html
import re

import pytest

from c3p.accounts.rules.policy import Actor
from c3p.mrv import catalog, engine
from c3p.mrv.params import CalculationParams
from c3p.workflow.service import calls
from tests.conftest import LiveServer
from tests.integration.web import test_workflow_forms
from tests.integration.web.test_application_documents import consortium_people, drafted, visitor
from tests.integration.web.test_workflow_forms import Visitor
from tests.support.workflow import acting

server = test_workflow_forms.server  # the same live server fixture, one per module
METHODOLOGY = "MN_AM003"  # solar PV in Mongolia: generation EG_i,p and the grid factor EF_RE,i


def stored(server: LiveServer, application_id: int) -> tuple[str | None, int | None, dict | None]:
    with acting(server.database, operator()) as session:  # type: ignore[attr-defined]
        application = calls.application_by_id(session, application_id)
        return application.methodology_id, application.expected_reductions_tco2_per_year, application.estimate_params


def operator() -> Actor:
    return Actor.operator()


def lead_with_draft(server: LiveServer) -> tuple[Visitor, str]:
    people = consortium_people(server)
    _call, application_id = drafted(server, people["lead"])
    return visitor(server, people["lead"]), f"/applications/{application_id}"


def choose(browser: Visitor, page: str, methodology: str) -> str:
    response = browser.post(page, page, {"methodology_id": methodology})
    assert response.status_code == 303, response.text
    return browser.page(page).text


def input_value(text: str, key: str) -> str:
    found = re.search(rf'id="draft-estimate-{re.escape(key)}" name="estimate__{re.escape(key)}" value="([^"]*)"', text)
    assert found, key
    return html.unescape(found.group(1))


def test_the_picker_lists_approved_methodologies_only(server: LiveServer) -> None:
    lead, page = lead_with_draft(server)
    text = lead.page(page).text
    picker = text[
        text.index('id="draft-methodology_id"') : text.index("</select>", text.index('id="draft-methodology_id"'))
    ]
    approved = [m.id for m in catalog.all_methodologies() if m.spec.status == "approved"]
    proposed = [m.id for m in catalog.all_methodologies() if m.spec.status == "proposed"]
    assert approved and proposed
    assert all(f'value="{m}"' in picker for m in approved)
    assert not any(f'value="{m}"' in picker for m in proposed)


def test_a_chosen_methodology_asks_for_its_inputs_and_the_engine_s_estimate_is_saved_and_shown(
    server: LiveServer,
) -> None:
    lead, page = lead_with_draft(server)
    application_id = int(page.rsplit("/", 1)[1])
    text = choose(lead, page, METHODOLOGY)
    assert 'name="estimate__EG_i_p"' in text  # its inputs, asked for once it is chosen
    assert stored(server, application_id)[:2] == (METHODOLOGY, None)  # chosen, not estimated yet

    typed = {
        "methodology_id": METHODOLOGY,
        "estimate_for": METHODOLOGY,
        "estimate__EG_i_p": "1,200",
        "estimate__EG_i_p__unit": "MWh",
        "estimate__EF_RE_i__factor": "MNG-grid@1",
    }
    assert lead.post(page, page, typed).status_code == 303
    expected = engine.estimate(
        catalog.get_methodology(METHODOLOGY),
        CalculationParams.from_mapping({"EG_i,p": {"value": 1200, "unit": "MWh"}, "EF_RE,i": {"factor": "MNG-grid"}}),
    ).emission_reductions_tco2
    assert expected > 0
    methodology, reductions, params = stored(server, application_id)
    assert (methodology, reductions) == (METHODOLOGY, expected)
    assert params == {"EG_i,p": {"value": 1200.0, "unit": "MWh"}, "EF_RE,i": {"factor": "MNG-grid@1"}}

    shown = lead.page(page).text
    assert re.search(rf'id="proposal-reductions">{expected:,}<', shown)
    assert "Installation of Solar PV System" in shown[shown.index('id="proposal-methodology"') :]
    assert input_value(shown, "EG_i_p") == "1200"  # the form shows what is saved
    printed = lead.page(f"{page}/print").text
    assert f"{expected:,}" in printed and "MNG-grid" in printed


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("0,533", "Use a point for decimals"),  # a decimal comma: never read as 533
        ("nan", "Enter a number"),
        ("-1200", "at least 0"),
        ("abc", "Enter a number"),
    ],
)
def test_a_bad_input_is_refused_next_to_its_field_with_everything_typed_kept(
    server: LiveServer, value: str, error: str
) -> None:
    lead, page = lead_with_draft(server)
    application_id = int(page.rsplit("/", 1)[1])
    choose(lead, page, METHODOLOGY)
    before = stored(server, application_id)
    typed = {
        "methodology_id": METHODOLOGY,
        "estimate_for": METHODOLOGY,
        "title_en": "A retitled draft",
        "estimate__EG_i_p": value,
        "estimate__EG_i_p__unit": "MWh",
        "estimate__EF_RE_i__factor": "MNG-grid@1",
    }
    response = lead.post(page, page, typed)
    assert response.status_code == 422
    text = response.text
    assert "Check the inputs of the ex-ante estimate" in text
    field_error = text[text.index('id="estimate-error-EG_i_p"') :]
    assert error in field_error[: field_error.index("</p>")]
    assert input_value(text, "EG_i_p") == value
    assert 'value="A retitled draft"' in text
    assert stored(server, application_id) == before  # nothing saved, the title neither
    with acting(server.database, operator()) as session:  # type: ignore[attr-defined]
        assert calls.application_by_id(session, application_id).title_en != "A retitled draft"


def test_the_refusal_is_said_in_japanese_to_a_japanese_reader(server: LiveServer) -> None:
    lead, page = lead_with_draft(server)
    choose(lead, page, METHODOLOGY)
    token = re.search(r'name="csrf_token" value="([^"]+)"', lead.page(page).text)
    assert token
    response = lead.client.post(
        page + "?lang=ja",
        data={
            "csrf_token": token.group(1),
            "methodology_id": METHODOLOGY,
            "estimate_for": METHODOLOGY,
            "estimate__EG_i_p": "1,5",
            "estimate__EG_i_p__unit": "MWh",
            "estimate__EF_RE_i__factor": "MNG-grid@1",
        },
        headers={"accept-language": "ja"},
    )
    assert response.status_code == 422
    assert "小数点" in response.text
    assert "Use a point for decimals" not in response.text


def test_an_estimate_no_project_can_reach_is_refused(server: LiveServer) -> None:
    lead, page = lead_with_draft(server)
    application_id = int(page.rsplit("/", 1)[1])
    choose(lead, page, METHODOLOGY)
    typed = {
        "methodology_id": METHODOLOGY,
        "estimate_for": METHODOLOGY,
        "estimate__EG_i_p": "1e300",
        "estimate__EG_i_p__unit": "MWh",
        "estimate__EF_RE_i__factor": "MNG-grid@1",
    }
    response = lead.post(page, page, typed)
    assert response.status_code == 422
    assert "no single project can reduce" in response.text
    assert stored(server, application_id)[1] is None


def test_a_proposed_methodology_is_refused_next_to_the_picker(server: LiveServer) -> None:
    lead, page = lead_with_draft(server)
    proposed = next(m.id for m in catalog.all_methodologies() if m.spec.status == "proposed")
    response = lead.post(page, page, {"methodology_id": proposed})
    assert response.status_code == 422
    assert "choose an approved one" in response.text
