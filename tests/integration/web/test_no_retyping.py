"""Nothing typed twice, over real HTTP: application → project → JCM project → saved subsidy.

Defects of issue 14 (each test fails on the base commit): the target fields chosen in the
application were not carried to the project's sectors; creating the JCM project asked again
for title, country, proposer, methodology and expected reductions (the form came empty); the
subsidy calculator asked again for what the JCM project holds and its result was not saved.
"""

from __future__ import annotations

import html
import re

import httpx
import pytest

from c3p.accounts.rules.policy import Actor
from c3p.workflow.service import calls, review
from tests.conftest import LiveServer
from tests.integration.web import test_workflow_forms
from tests.integration.web.test_application_documents import YEARS, visitor
from tests.integration.web.test_workflow_forms import HTML, Visitor
from tests.support.workflow import acting, complete_draft, create_person, new_call

server = test_workflow_forms.server  # the same live server fixture, one per module
ESTIMATE = {"EG_i,p": {"value": 1000, "unit": "MWh"}, "EF_RE,i": {"factor": "MNG-grid"}}


def adopted_project(server: LiveServer, *, publish: bool) -> tuple[str, str]:
    """A submitted application with an ex-ante estimate, adopted (and published); its project and lead."""
    database = server.database  # type: ignore[attr-defined]
    lead = create_person(database, "proposer", kind="company")
    operator = Actor.operator()
    with acting(database, operator) as session:
        call = calls.open_call(session, operator, new_call(next(YEARS))).slug
    actor = lead.actor(database)
    settings = server.server.config.app.state.settings  # type: ignore[attr-defined]
    draft = complete_draft(methodology_id="MN_AM003", estimate_params=ESTIMATE)
    with acting(database, actor) as session:
        application = calls.create_application(session, actor, call, draft)
        calls.add_attachment(session, actor, settings, application.id, "application_form", "form.pdf", b"%PDF-1.4\n")
        calls.submit(session, actor, application.id)
        application_id = application.id
    with acting(database, operator) as session:
        calls.move_call(session, operator, call, "reviewing")
        calls.move_call(session, operator, call, "reviewed")
        project = review.adopt(session, operator, call, [application_id])[0].slug
        if publish:
            review.publish(session, operator, call)
    server.server.config.app.state.revision_watch.expire()  # type: ignore[attr-defined]  # as the portal's publish does
    return project, lead.organization


def field_value(page: str, form: str, name: str) -> str:
    found = re.search(rf'id="{form}-{name}" name="{name}"[^>]*value="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else ""


def test_the_project_s_sectors_are_the_application_s_target_fields(server: LiveServer) -> None:
    project, _lead = adopted_project(server, publish=True)
    shown = httpx.get(f"{server.url}/api/v1/projects/{project}").json()
    assert [term["slug"] for term in shown["sectors"]] == ["energy-efficiency"]
    assert [term["slug"] for term in shown["activities"]] == ["policy-support"]


def test_the_jcm_project_form_starts_from_what_the_project_and_its_application_say(server: LiveServer) -> None:
    project, lead = adopted_project(server, publish=False)
    secretariat = Visitor(server, "secretariat")
    page = secretariat.page(f"/jcm-projects?project={project}").text
    assert field_value(page, "jcm", "title_en") == "Decarbonization support for Bangkok"
    assert field_value(page, "jcm", "title_ja") == "バンコク脱炭素化支援事業"
    assert field_value(page, "jcm", "country_iso3") == "THA"
    assert field_value(page, "jcm", "proposer_slug") != ""
    assert field_value(page, "jcm", "methodology_id") == "MN_AM003"
    assert field_value(page, "jcm", "expected_reductions_tco2_per_year") == "797"  # the MRV engine's estimate
    assert field_value(page, "jcm", "projects") == project
    tracking = secretariat.page(f"/projects/{project}/tracking").text
    assert f"/jcm-projects?project={project}" in tracking
    # an unpublished project's figures are nobody else's business
    assert httpx.get(f"{server.url}/jcm-projects?project={project}&lang=en", headers=HTML).status_code == 200
    anonymous = httpx.get(f"{server.url}/jcm-projects?project={project}&lang=en", headers=HTML).text
    assert "Decarbonization support for Bangkok" not in anonymous
    outsider = visitor(server, create_person(server.database, "proposer"))  # type: ignore[attr-defined]
    assert outsider.page(f"/jcm-projects?project={project}").status_code == 403
    assert lead  # the lead's organization is the JCM project's proposer


@pytest.mark.parametrize("saved_by", ["secretariat"])
def test_the_subsidy_starts_from_the_jcm_project_and_is_saved_with_it(server: LiveServer, saved_by: str) -> None:
    project, _lead = adopted_project(server, publish=True)
    secretariat = Visitor(server, saved_by)
    slug = f"jcm-{project}"[:80]
    values = {
        "slug": slug,
        "title_ja": "バンコク",
        "title_en": "Bangkok",
        "country_iso3": "THA",
        "projects": project,
        "initial_investment_jpy": "300,000,000",
        "expected_reductions_tco2_per_year": "797",
        "legal_durable_years": "15",
    }
    created = secretariat.post("/jcm-projects", "/jcm-projects", values)
    assert created.status_code == 303, created.text[:800]
    calculator = secretariat.page(f"/subsidy?jcm={slug}")
    assert calculator.status_code == 200
    assert field_value(calculator.text, "subsidy", "initial_investment_jpy") == "300000000"
    assert field_value(calculator.text, "subsidy", "legal_durable_years") == "15"
    assert 'id="subsidy-jpy">150,000,000 JPY' in calculator.text  # half the investment: the confirmed cap
    before = secretariat.page(f"/jcm-projects/{slug}").text
    assert 'id="no-saved-subsidy"' in before
    saved = secretariat.post(f"/subsidy?jcm={slug}", f"/jcm-projects/{slug}/subsidy", _hidden(calculator.text))
    assert saved.status_code == 303, saved.text[:800]
    after = secretariat.page(f"/jcm-projects/{slug}").text
    assert 'id="saved-subsidy-jpy">150,000,000 JPY' in after
    stored = httpx.get(f"{server.url}/api/v1/jcm-projects/{slug}").json()
    assert stored["subsidy_calculation"]["result"]["subsidy_jpy"] == 150_000_000
    assert stored["projects"] == [project]  # the JCM project links back to the project
    anonymous = httpx.post(f"{server.url}/jcm-projects/{slug}/subsidy", data=_hidden(calculator.text))
    assert anonymous.status_code in (401, 403)
    bad = secretariat.post(
        f"/subsidy?jcm={slug}",
        f"/jcm-projects/{slug}/subsidy",
        {**_hidden(calculator.text), "initial_investment_jpy": "-5"},
    )
    assert bad.status_code == 422
    assert (
        httpx.get(f"{server.url}/api/v1/jcm-projects/{slug}").json()["subsidy_calculation"]
        == stored["subsidy_calculation"]
    )


def _hidden(page: str) -> dict[str, str]:
    form = page.split('id="subsidy-save-form"', 1)[1].split("</form>", 1)[0]
    return {name: html.unescape(value) for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', form)}
