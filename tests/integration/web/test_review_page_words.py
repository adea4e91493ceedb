"""The review page and the ranking say who proposed in words (issue 14: they showed the organization's raw slug)."""

from __future__ import annotations

from c3p.accounts.rules.policy import Actor
from c3p.workflow.service import calls
from tests.conftest import LiveServer
from tests.integration.web import test_workflow_forms
from tests.integration.web.test_application_documents import consortium_people, submitted, visitor
from tests.support.workflow import acting, create_person

server = test_workflow_forms.server  # the same live server fixture, one per module


def test_the_review_page_names_the_proposer_not_its_slug(server: LiveServer) -> None:
    lead = consortium_people(server)["lead"]
    call, _application_id = submitted(server, lead)
    with acting(server.database, Actor.operator()) as session:  # type: ignore[attr-defined]
        calls.move_call(session, Actor.operator(), call, "reviewing")
    reviewer = create_person(server.database, "reviewer", call)  # type: ignore[attr-defined]
    text = visitor(server, reviewer).page(f"/calls/{call}/review").text
    assert f"({lead.organization.upper()})" in text  # the organization's name, as it was registered
    assert f"({lead.organization})" not in text


def test_the_secretariat_s_ranking_names_the_proposer_not_its_slug(server: LiveServer) -> None:
    lead = consortium_people(server)["lead"]
    call, _application_id = submitted(server, lead)
    with acting(server.database, Actor.operator()) as session:  # type: ignore[attr-defined]
        calls.move_call(session, Actor.operator(), call, "reviewing")
        calls.move_call(session, Actor.operator(), call, "reviewed")
    secretariat = create_person(server.database, "secretariat")  # type: ignore[attr-defined]
    text = visitor(server, secretariat).page(f"/calls/{call}").text
    ranking = text[text.index('id="adopt-form"') :]
    assert f"({lead.organization.upper()})" in ranking
    assert f"({lead.organization})" not in ranking
