"""The JCM pages say countries and documents in words, in the reader's language (issue 14, point 7).

They showed the ISO code ("THA") and the document kinds' slugs ("grant_decision") in Japanese text.
"""

from __future__ import annotations

import uuid

from c3p.accounts.rules.policy import Actor
from c3p.settings import Settings
from c3p.workflow.service import jcm
from tests.conftest import LiveServer
from tests.integration.web import test_workflow_forms
from tests.integration.web.test_workflow_forms import Visitor
from tests.support.workflow import PDF

server = test_workflow_forms.server  # the same live server fixture, one per module


def test_the_jcm_pages_name_the_country_and_the_documents_a_step_needs(server: LiveServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    slug = f"th-words-{uuid.uuid4().hex[:6]}"
    operator = Actor.operator()
    with server.database.unit_of_work() as session:  # type: ignore[attr-defined]
        jcm.create_jcm_project(session, operator, jcm.NewJcmProject(slug=slug, title_en="Chillers", country_iso3="THA"))
        jcm.move(session, operator, slug, "feasibility_study")
        settings = Settings(data_dir=tmp_path)
        jcm.add_document(session, operator, settings, slug, "model_project_application", "application.pdf", PDF)
        jcm.move(session, operator, slug, "model_project_application")
    secretariat = Visitor(server, "secretariat")  # its next step: the adoption, which needs the grant decision
    for language, country, document in (("ja", "タイ", "交付決定通知"), ("en", "Thailand", "Grant decision")):
        page = secretariat.client.get(f"/jcm-projects/{slug}?lang={language}").text
        assert f'id="jcm-country">{country}<' in page
        start = page.index('id="move-to_state"')
        options = page[start : page.index("</select>", start)]
        assert document in options
        assert "grant_decision" not in options
        listing = secretariat.client.get(f"/jcm-projects?lang={language}").text
        assert f">{country}</td>" in listing
        assert ">THA</td>" not in listing
