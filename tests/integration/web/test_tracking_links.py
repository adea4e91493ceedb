"""A published project's tracking page links its application only for those who may read it (issue 15).

The page is public once the project is published, but the application stays its consortium's
and the secretariat's: a link the public follows would end on a sign-in refusal.
"""

from __future__ import annotations

from c3p.accounts.rules.policy import Actor
from c3p.workflow.service import calls, review
from tests.conftest import LiveServer
from tests.integration.web import test_workflow_forms
from tests.integration.web.test_application_documents import visitor
from tests.integration.web.test_project_year import adopted
from tests.integration.web.test_workflow_forms import Visitor
from tests.support.workflow import acting

server = test_workflow_forms.server  # the same live server fixture, one per module


def test_the_public_tracking_page_links_the_application_only_for_its_readers(server: LiveServer) -> None:
    project, people = adopted(server)
    with acting(server.database, Actor.operator()) as session:  # type: ignore[attr-defined]
        decided = max(calls.list_calls(session), key=lambda call: call.id)  # the call just decided
        review.publish(session, Actor.operator(), decided.slug)
    page = f"/projects/{project}/tracking"
    public = Visitor(server, None).page(page)
    assert public.status_code == 200 and 'href="/applications/' not in public.text
    lead = visitor(server, people["lead"]).page(page).text
    assert 'href="/applications/' in lead
