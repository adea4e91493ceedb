"""The portal's tracking, outcome, JCM pipeline and subsidy forms over real HTTP with sessions.

Each form works for a role that may use it, is refused with the 403 page for one that may
not, comes back with what was typed and the problem next to the field when the input is
bad, and is refused without its CSRF token.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest

from c3p.db.database import Database
from c3p.program.seed_loader import init_database
from c3p.settings import Settings
from tests.conftest import LiveServer
from tests.integration.accounts.test_accounts_http import sign_in
from tests.support.workflow import create_person

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HTML = {"accept": "text/html"}
PROJECT = "fy2025-01-sapporo-ulaanbaatar"
OTHER_PROJECT = "fy2025-02-yokohama-bangkok"


@pytest.fixture(scope="module")
def server(new_database_url, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    from c3p.web.app import create_app

    database = Database(new_database_url("sqlite"))
    init_database(database)
    settings = Settings(data_dir=tmp_path_factory.mktemp("forms"), database_url=database.url, cookie_secure=False)
    live = LiveServer(create_app(settings, database), settings.data_dir).start()
    live.database = database  # type: ignore[attr-defined]
    yield live
    live.stop()
    database.dispose()


class Visitor:
    """A signed-in browser: reads a page, then posts one of its forms with the page's CSRF token."""

    def __init__(self, server: LiveServer, role: str | None, scope: str | None = None) -> None:
        self.client = httpx.Client(base_url=server.url, timeout=30, follow_redirects=False, headers=HTML)
        if role is not None:
            person = create_person(server.database, role, scope)  # type: ignore[attr-defined]
            assert sign_in(self.client, person.email).status_code == 303

    def page(self, path: str) -> httpx.Response:
        sep = "&" if "?" in path else "?"
        return self.client.get(f"{path}{sep}lang=en")

    def post(self, page: str, action: str, data: dict[str, str], csrf: bool = True) -> httpx.Response:
        token = CSRF.search(self.page(page).text)
        body = {**data, "csrf_token": token.group(1)} if csrf and token else dict(data)
        return self.client.post(action, data=body)


@pytest.fixture(scope="module")
def secretariat(server: LiveServer) -> Visitor:
    return Visitor(server, "secretariat")


@pytest.fixture(scope="module")
def reviewer(server: LiveServer) -> Visitor:
    return Visitor(server, "reviewer", "2025-1")


def field_value(html: str, form: str, name: str) -> str:
    found = re.search(rf'<input id="{form}-{name}" name="{name}" type="\w+" value="([^"]*)"', html)
    assert found, name
    return found.group(1)


def field_error(html: str, form: str, name: str) -> str:
    found = re.search(rf'id="{form}-{name}-error">(.*?)</span><br>', html, re.S)
    assert found, f"no error next to {name}"
    return re.sub(r"<[^>]+>", "", found.group(1))


# ---------- tracking ----------


def test_tracking_forms_work_for_the_secretariat(secretariat: Visitor) -> None:
    tracking = f"/projects/{PROJECT}/tracking"
    page = secretariat.page(tracking).text
    assert 'id="activity-form"' in page and 'id="milestone-form"' in page and 'id="status-form"' in page

    added = secretariat.post(tracking, f"/projects/{PROJECT}/milestones", {"kind": "deliverable", "title": "Report"})
    assert added.status_code == 303, added.text
    assert "Deliverable: Report" in secretariat.page(tracking).text

    added = secretariat.post(tracking, f"/projects/{PROJECT}/activities", {"kind": "workshop", "title": "Kick-off"})
    assert added.status_code == 303
    moved = secretariat.post(tracking, f"/projects/{PROJECT}/tracking/state", {"state": "in_progress"})
    assert moved.status_code == 303
    page = secretariat.page(tracking).text
    assert "Workshop: Kick-off" in page
    assert re.search(r'id="project-state">\s*In progress', page)


def test_tracking_bad_input_keeps_what_was_typed(secretariat: Visitor) -> None:
    tracking = f"/projects/{PROJECT}/tracking"
    refused = secretariat.post(
        tracking, f"/projects/{PROJECT}/milestones", {"kind": "milestone", "title": "Kept title", "due_on": "next May"}
    )
    assert refused.status_code == 422
    assert field_value(refused.text, "milestones", "title") == "Kept title"
    assert field_value(refused.text, "milestones", "due_on") == "next May"
    assert "Enter a date as YYYY-MM-DD." in field_error(refused.text, "milestones", "due_on")
    empty = secretariat.post(tracking, f"/projects/{PROJECT}/activities", {"kind": "seminar", "title": ""})
    assert empty.status_code == 422 and "Fill in this field." in field_error(empty.text, "activities", "title")
    illegal = secretariat.post(tracking, f"/projects/{PROJECT}/tracking/state", {"state": "planned"})
    assert illegal.status_code == 409 and 'id="status-problem"' in illegal.text


def test_tracking_forms_are_refused_to_a_reviewer_and_hidden(reviewer: Visitor) -> None:
    tracking = f"/projects/{PROJECT}/tracking"
    assert 'id="milestone-form"' not in reviewer.page(tracking).text
    refused = reviewer.post(tracking, f"/projects/{PROJECT}/milestones", {"title": "No"})
    assert refused.status_code == 403 and 'data-status="403"' in refused.text


def test_tracking_forms_need_the_csrf_token(secretariat: Visitor) -> None:
    tracking = f"/projects/{PROJECT}/tracking"
    refused = secretariat.post(tracking, f"/projects/{PROJECT}/milestones", {"title": "No token"}, csrf=False)
    assert refused.status_code == 403
    assert "No token" not in secretariat.page(tracking).text


# ---------- outcomes ----------


def kpi(visitor: Visitor) -> int:
    found = re.search(r'id="kpi-jcm-realized">.*?class="kpi-value">(\d+)<', visitor.page("/outcomes").text, re.S)
    assert found
    return int(found.group(1))


def test_recording_an_outcome_linked_to_a_jcm_project_moves_the_kpi(secretariat: Visitor, server: LiveServer) -> None:
    slug = f"tha-{uuid.uuid4().hex[:6]}"
    created = secretariat.post(
        "/jcm-projects", "/jcm-projects", {"slug": slug, "country_iso3": "tha", "title_en": "Solar roofs"}
    )
    assert created.status_code == 303 and created.headers["location"] == f"/jcm-projects/{slug}"
    _adopt_without_links(server, slug)
    tracking = f"/projects/{PROJECT}/tracking"  # the project page links its tracking once something is tracked
    assert secretariat.post(tracking, f"/projects/{PROJECT}/milestones", {"title": "Adoption"}).status_code == 303
    before = kpi(secretariat)
    recorded = secretariat.post(
        "/outcomes",
        "/outcomes",
        {"kind": "jcm_model_project_adoption", "projects": PROJECT, "jcm_project": slug, "title_en": "Adopted"},
    )
    assert recorded.status_code == 303, recorded.text
    assert kpi(secretariat) == before + 1
    detail = secretariat.page(f"/projects/{PROJECT}").text
    assert f'href="/projects/{PROJECT}/tracking"' in detail and f'href="/jcm-projects/{slug}"' in detail


def _adopt_without_links(server: LiveServer, slug: str) -> None:
    """Move the new JCM project to Model Project adoption directly (documents are not this test's subject)."""
    from sqlalchemy import select

    from c3p.db import tables as t

    with server.database.unit_of_work() as session:  # type: ignore[attr-defined]
        session.scalars(select(t.JcmProject).where(t.JcmProject.slug == slug)).one().state = "adopted"


def test_outcome_bad_input_keeps_what_was_typed(secretariat: Visitor) -> None:
    refused = secretariat.post(
        "/outcomes",
        "/outcomes",
        {"kind": "financing_jica", "projects": "no-such-project", "title_en": "Loan", "amount_jpy": "12,000,000"},
    )
    assert refused.status_code == 422
    assert field_value(refused.text, "outcome", "title_en") == "Loan"
    assert field_value(refused.text, "outcome", "amount_jpy") == "12,000,000"
    assert "unknown projects: no-such-project" in field_error(refused.text, "outcome", "projects")
    assert '<option value="financing_jica" selected>' in refused.text
    amount = secretariat.post(
        "/outcomes", "/outcomes", {"kind": "financing_jica", "projects": PROJECT, "amount_jpy": "many"}
    )
    assert amount.status_code == 422 and "whole number" in field_error(amount.text, "outcome", "amount_jpy")


def test_outcome_form_is_refused_to_a_reviewer_and_without_csrf(reviewer: Visitor, secretariat: Visitor) -> None:
    assert 'id="outcome-form"' not in reviewer.page("/outcomes").text
    data = {"kind": "policy", "projects": PROJECT, "title_en": "Refused policy"}
    assert reviewer.post("/outcomes", "/outcomes", data).status_code == 403
    assert secretariat.post("/outcomes", "/outcomes", data, csrf=False).status_code == 403
    assert "Refused policy" not in secretariat.page("/outcomes").text


# ---------- JCM pipeline ----------


def test_jcm_create_and_move_offers_only_the_actors_moves(secretariat: Visitor, server: LiveServer) -> None:
    slug = f"vnm-{uuid.uuid4().hex[:6]}"
    created = secretariat.post(
        "/jcm-projects",
        "/jcm-projects",
        {"slug": slug, "country_iso3": "VNM", "projects": f"{PROJECT}, {OTHER_PROJECT}"},
    )
    assert created.status_code == 303, created.text
    page = secretariat.page(f"/jcm-projects/{slug}").text
    options = re.findall(r'<option value="(\w+)"', page.split('id="move-form"')[1].split("</form>")[0])
    assert options == ["feasibility_study", "withdrawn"]  # both the secretariat's steps from an idea
    moved = secretariat.post(f"/jcm-projects/{slug}", f"/jcm-projects/{slug}/move", {"to_state": "feasibility_study"})
    assert moved.status_code == 303
    page = secretariat.page(f"/jcm-projects/{slug}").text
    assert re.search(r'id="jcm-state">\s*Feasibility study', page)
    options = re.findall(r'<option value="(\w+)"', page.split('id="move-form"')[1].split("</form>")[0])
    assert options == ["withdrawn"]  # the Model Project application is the proposer's step

    tpe = Visitor(server, "tpe")
    assert 'id="move-form"' not in tpe.page(f"/jcm-projects/{slug}").text
    assert tpe.post(f"/jcm-projects/{slug}", f"/jcm-projects/{slug}/move", {"to_state": "withdrawn"}).status_code == 403


def test_jcm_bad_input_keeps_what_was_typed(secretariat: Visitor) -> None:
    refused = secretariat.post(
        "/jcm-projects",
        "/jcm-projects",
        {"slug": "Bad Slug", "country_iso3": "THA", "title_en": "Kept", "initial_investment_jpy": "-5"},
    )
    assert refused.status_code == 422
    assert (
        field_value(refused.text, "jcm", "slug") == "Bad Slug"
        and field_value(refused.text, "jcm", "title_en") == "Kept"
    )
    assert field_error(refused.text, "jcm", "slug")
    assert "out of range" in field_error(refused.text, "jcm", "initial_investment_jpy")
    unknown = secretariat.post("/jcm-projects", "/jcm-projects", {"slug": "x-unknown", "country_iso3": "ZZZ"})
    assert unknown.status_code == 422 and "unknown country ZZZ" in field_error(unknown.text, "jcm", "country_iso3")


def test_jcm_forms_are_refused_to_a_reviewer_and_without_csrf(reviewer: Visitor, secretariat: Visitor) -> None:
    assert 'id="jcm-form"' not in reviewer.page("/jcm-projects").text
    data = {"slug": "refused-one", "country_iso3": "THA"}
    assert reviewer.post("/jcm-projects", "/jcm-projects", data).status_code == 403
    assert secretariat.post("/jcm-projects", "/jcm-projects", data, csrf=False).status_code == 403
    assert "refused-one" not in secretariat.page("/jcm-projects").text


# ---------- subsidy calculator ----------


def test_subsidy_calculator_shows_the_figures_and_what_is_unconfirmed(server: LiveServer) -> None:
    public = Visitor(server, None)
    query = "fiscal_year=2025&initial_investment_jpy=1,000,000,000&expected_reductions_tco2_per_year=2001"
    page = public.page(f"/subsidy?{query}&legal_durable_years=17").text
    assert re.search(r'id="subsidy-jpy">500,000,000 JPY', page)
    assert re.search(r'id="cost-effectiveness">14,699 JPY/tCO2', page)
    assert re.search(r'id="credits-to-japan">1,001 tCO2', page)
    assert "unconfirmed" in page and "https://gec.jp/jp/?p=375" in page  # the published page the cap rests on
    assert "jcm-facts" not in page  # not the compiler's working file
    tiers = public.page(
        f"/subsidy?{query}&legal_durable_years=17&similar_technology_cases=4&rate_tiers=0-2:50;3-:40"
        "&cost_effectiveness_max_jpy_per_tco2=10000"
    ).text
    assert re.search(r'id="subsidy-jpy">400,000,000 JPY', tiers) and "above" in tiers and "your figure" in tiers


def test_subsidy_bad_input_keeps_what_was_typed(server: LiveServer) -> None:
    public = Visitor(server, None)
    refused = public.page(
        "/subsidy?fiscal_year=2025&initial_investment_jpy=lots&expected_reductions_tco2_per_year=10"
        "&legal_durable_years=&rate_tiers=half"
    )
    assert refused.status_code == 422
    assert field_value(refused.text, "subsidy", "initial_investment_jpy") == "lots"
    assert "whole number" in field_error(refused.text, "subsidy", "initial_investment_jpy")
    assert "Fill in this field." in field_error(refused.text, "subsidy", "legal_durable_years")
    assert "half" in field_error(refused.text, "subsidy", "rate_tiers")
    assert 'id="subsidy-jpy"' not in refused.text


def test_pages_read_in_japanese(secretariat: Visitor) -> None:
    page = secretariat.client.get(f"/projects/{PROJECT}/tracking?lang=ja").text
    assert "マイルストーン" in page


def test_notifications_are_written_in_each_persons_language(server: LiveServer) -> None:
    from sqlalchemy import select

    from c3p.accounts.rules.policy import Actor
    from c3p.accounts.tables import User
    from c3p.workflow.service import calls
    from c3p.workflow.tables import Notification
    from tests.support.workflow import new_call

    database = server.database  # type: ignore[attr-defined]
    japanese, english = create_person(database, "proposer"), create_person(database, "proposer")
    with database.unit_of_work() as session:
        session.get(User, english.user_id).language = "en"  # type: ignore[union-attr]
    with database.unit_of_work() as session:
        slug = calls.open_call(session, Actor.operator(), new_call(2077 + uuid.uuid4().int % 20)).slug
    with database.reading() as session:
        subjects = {
            n.user_id: n.subject
            for n in session.scalars(
                select(Notification).where(Notification.user_id.in_([japanese.user_id, english.user_id]))
            )
        }
    assert subjects == {japanese.user_id: f"公募{slug}を開始しました", english.user_id: f"Call {slug} is open"}


def test_a_japanese_secretariat_reads_refusals_in_japanese_and_the_api_keeps_english(server: LiveServer) -> None:
    """Signed in with a Japanese account: form problems are Japanese; the API's problem detail stays English."""
    visitor = Visitor(server, "secretariat")  # signing in sets the account's language, ja
    tracking = f"/projects/{OTHER_PROJECT}/tracking"
    token = CSRF.search(visitor.client.get(tracking).text).group(1)  # type: ignore[union-attr]
    refused = visitor.client.post(
        f"/projects/{OTHER_PROJECT}/tracking/state", data={"state": "planned", "csrf_token": token}
    )
    assert refused.status_code == 409 and '<html lang="ja">' in refused.text
    problem = re.search(r'id="status-problem".*?</div>', refused.text, re.S)
    assert problem and 'lang="en"' not in problem.group(0)
    assert "案件の状態は「予定」から「予定」に変更できません（次に可能な状態：実施中、中断）。" in problem.group(0)
    empty = visitor.client.post(f"/projects/{OTHER_PROJECT}/tracking/state", data={"state": "", "csrf_token": token})
    assert field_error(empty.text, "status", "state").endswith("新しい状況を選んでください。")

    api = visitor.client.post(
        f"/api/v1/projects/{OTHER_PROJECT}/tracking/state",
        json={"state": "planned"},
        headers={"x-csrf-token": token, "accept-language": "ja", "accept": "application/json"},
    )
    assert api.status_code == 409 and api.headers["content-type"] == "application/problem+json"
    assert api.json()["detail"] == "A project cannot go from Planned to Planned (allowed next: In progress; Suspended)."
    visitor.client.close()
