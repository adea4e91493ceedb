"""The notifications and "my tasks" pages over real HTTP, for people who have some."""

from __future__ import annotations

import uuid

import httpx

from c3p.accounts.rules.policy import Actor
from c3p.settings import Settings
from c3p.workflow.service import calls, jcm
from tests.conftest import LiveServer
from tests.integration.accounts.test_accounts_http import sign_in
from tests.integration.web import test_workflow_forms
from tests.integration.web.test_workflow_forms import Visitor
from tests.support.workflow import PDF, create_person, new_call

server = test_workflow_forms.server  # the same live server fixture, one per module


def test_the_notifications_page_lists_a_persons_notifications(server: LiveServer) -> None:
    visitor = Visitor(server, "proposer")
    database = server.database  # type: ignore[attr-defined]
    with database.unit_of_work() as session:
        slug = calls.open_call(session, Actor.operator(), new_call(2060 + uuid.uuid4().int % 15)).slug
    page = visitor.page("/notifications")
    assert page.status_code == 200, page.text[:3000]
    assert f"公募{slug}を開始しました" in page.text, page.text[page.text.find("<main") :][:2000]


def test_my_tasks_shows_the_tpe_its_validation(server: LiveServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Defect of issue 14: "my tasks" was empty for the TPE when the next pipeline step was theirs."""
    database = server.database  # type: ignore[attr-defined]
    slug = f"th-{uuid.uuid4().hex[:6]}"
    tpe = create_person(database, "tpe", organization=f"tpe-{slug}")
    settings = Settings(data_dir=tmp_path)
    with database.unit_of_work() as session:
        new = jcm.NewJcmProject(slug=slug, title_en="Chillers", country_iso3="THA", tpe_slug=tpe.organization)
        jcm.create_jcm_project(session, Actor.operator(), new)
    for document, state in [
        ("", "feasibility_study"),
        ("model_project_application", "model_project_application"),
        ("grant_decision", "adopted"),
        ("commissioning_report", "installed"),
        ("pdd", "pdd"),
    ]:
        with database.unit_of_work() as session:
            if document:
                jcm.add_document(session, Actor.operator(), settings, slug, document, f"{document}.pdf", PDF)
            jcm.move(session, Actor.operator(), slug, state)
    client = httpx.Client(base_url=server.url, timeout=30, headers={"accept": "text/html"})
    assert sign_in(client, tpe.email).status_code == 303
    page = client.get("/account/tasks?lang=en")
    assert page.status_code == 200
    assert "JCM project Chillers: next step Validation" in page.text
    assert f'href="/jcm-projects/{slug}"' in page.text


def test_a_person_chooses_the_daily_digest_on_the_page(server: LiveServer) -> None:
    visitor = Visitor(server, "proposer")
    assert visitor.post("/notifications", "/notifications/mail", {"delivery": "daily"}).status_code == 303
    assert 'value="daily" checked' in visitor.page("/notifications").text
    refused = visitor.post("/notifications", "/notifications/mail", {"delivery": "weekly"})
    assert refused.status_code == 422 and "Choose how notifications come by e-mail." in refused.text
    assert 'value="daily" checked' in visitor.page("/notifications").text  # the refusal changed nothing
    assert visitor.post("/notifications", "/notifications/mail", {"delivery": "each"}, csrf=False).status_code == 403
