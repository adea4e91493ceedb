"""Applications as documents over real HTTP: read after submission, files, co-applicants, comments, print.

Defects of issue 14 (each test fails on the base commit): after submission the summary, plan
and budget disappeared from the page; no attached file could be downloaded by anyone; the
Japanese local government and the partner city named on an application got 403 on it, on its
project's tracking and received none of its notifications.
"""

from __future__ import annotations

import itertools
import uuid

import httpx

from c3p.accounts.rules.policy import Actor
from c3p.db import tables as t
from c3p.settings import Settings
from c3p.workflow.service import calls, review
from tests.conftest import LiveServer
from tests.integration.accounts.test_accounts_http import sign_in
from tests.integration.web import test_workflow_forms
from tests.integration.web.test_workflow_forms import HTML, Visitor
from tests.support.workflow import PDF, Person, acting, complete_draft, create_person, new_call

server = test_workflow_forms.server  # the same live server fixture, one per module
YEARS = itertools.count(2061)


def visitor(server: LiveServer, person: Person) -> Visitor:
    """A browser signed in as ``person``."""
    browser = Visitor(server, None)
    assert sign_in(browser.client, person.email).status_code == 303
    return browser


def consortium_people(server: LiveServer) -> dict[str, Person]:
    """The lead company, Yokohama's staff and Bangkok's official (member organizations named as in the registry)."""
    database = server.database  # type: ignore[attr-defined]
    return {
        "lead": create_person(database, "proposer", kind="company"),
        "yokohama": create_person(
            database, "japanese_government_staff", organization="yokohama", kind="japanese_government"
        ),
        "bangkok": create_person(database, "partner_city_official", organization="bangkok", kind="partner_place"),
    }


def drafted(server: LiveServer, lead: Person, **changes: object) -> tuple[str, int]:
    """A new call and a complete draft of ``lead`` naming Yokohama and Bangkok, with the form attached."""
    database = server.database  # type: ignore[attr-defined]
    actor = lead.actor(database)
    settings: Settings = server.server.config.app.state.settings  # type: ignore[attr-defined]
    with acting(database, Actor.operator()) as session:
        call = calls.open_call(session, Actor.operator(), new_call(next(YEARS))).slug
    with acting(database, actor) as session:
        application = calls.create_application(session, actor, call, complete_draft(**changes))
        calls.add_attachment(session, actor, settings, application.id, "application_form", "様式1 提案書.pdf", PDF)
        return call, application.id


def submitted(server: LiveServer, lead: Person, **changes: object) -> tuple[str, int]:
    call, application_id = drafted(server, lead, **changes)
    actor = lead.actor(server.database)  # type: ignore[attr-defined]
    with acting(server.database, actor) as session:  # type: ignore[attr-defined]
        calls.submit(session, actor, application_id)
    return call, application_id


def test_the_submitted_proposal_stays_readable_to_the_secretariat_and_the_call_s_reviewers(server: LiveServer) -> None:
    people = consortium_people(server)
    call, application_id = submitted(server, people["lead"])
    reviewer = create_person(server.database, "reviewer", call)  # type: ignore[attr-defined]
    for reader in (Visitor(server, "secretariat"), visitor(server, reviewer), visitor(server, people["lead"])):
        page = reader.page(f"/applications/{application_id}")
        assert page.status_code == 200
        text = page.text
        assert "省エネ設備の導入調査と制度構築支援。" in text  # the Japanese summary
        assert "Studies of efficient equipment and policy support." in text
        assert "Year 1: feasibility study; year 2: pilot and JCM application." in text  # the plan
        assert "20,000,000" in text and "18,000,000" in text and "38,000,000" in text  # budget and its total
        assert 'id="draft-form"' not in text  # nobody edits a submitted application


def test_the_public_and_other_organizations_never_read_a_proposal_before_adoption(server: LiveServer) -> None:
    people = consortium_people(server)
    _call, application_id = submitted(server, people["lead"])
    anonymous = httpx.Client(base_url=server.url, headers=HTML)
    assert anonymous.get(f"/applications/{application_id}").status_code == 401
    assert anonymous.get(f"/applications/{application_id}/print").status_code == 401
    other_city = create_person(server.database, "partner_city_official", kind="partner_place")  # type: ignore[attr-defined]
    other_company = create_person(server.database, "proposer")  # type: ignore[attr-defined]
    for outsider in (other_city, other_company):
        answer = visitor(server, outsider).page(f"/applications/{application_id}")
        assert answer.status_code == 403
        assert "省エネ設備の導入調査" not in answer.text


def test_attached_files_download_for_those_who_may_read_the_application_only(server: LiveServer) -> None:
    people = consortium_people(server)
    call, application_id = submitted(server, people["lead"])
    reviewer = visitor(server, create_person(server.database, "reviewer", call))  # type: ignore[attr-defined]
    page = reviewer.page(f"/applications/{application_id}").text
    link = f"/applications/{application_id}/attachments/"
    assert link in page
    attachment_id = int(page.split(link, 1)[1].split('"', 1)[0])
    download = reviewer.client.get(f"{link}{attachment_id}")
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E6%A7%98%E5%BC%8F1" in download.headers["content-disposition"]
    city = visitor(server, people["bangkok"])
    assert city.client.get(f"{link}{attachment_id}").content == PDF
    outsider = visitor(server, create_person(server.database, "proposer"))  # type: ignore[attr-defined]
    assert outsider.client.get(f"{link}{attachment_id}").status_code == 403
    assert httpx.get(f"{server.url}{link}{attachment_id}").status_code == 401
    _other_call, other_id = submitted(server, people["lead"])
    assert reviewer.client.get(f"/applications/{other_id}/attachments/{attachment_id}").status_code in (403, 404)
    assert (
        visitor(server, people["lead"]).client.get(f"/applications/{other_id}/attachments/{attachment_id}").status_code
        == 404
    )


def test_the_local_government_and_the_partner_city_read_comment_and_are_told_but_do_not_edit(
    server: LiveServer,
) -> None:
    people = consortium_people(server)
    _call, application_id = drafted(server, people["lead"])
    path = f"/applications/{application_id}"
    for name in ("yokohama", "bangkok"):
        member = visitor(server, people[name])
        page = member.page(path)
        assert page.status_code == 200, page.text[:300]
        assert "省エネ設備の導入調査と制度構築支援。" in page.text
        assert 'id="draft-form"' not in page.text and 'id="submit-application"' not in page.text
        said = member.post(path, f"{path}/comments", {"body": f"Comment from {name}: check the budget."})
        assert said.status_code == 303, said.text[:500]
        refused = member.post(path, path, {"title_en": "Changed by a co-applicant"})
        assert refused.status_code == 403
    lead = visitor(server, people["lead"])
    page = lead.page(path).text
    assert "Comment from yokohama: check the budget." in page and "Comment from bangkok: check the budget." in page
    actor = people["lead"].actor(server.database)  # type: ignore[attr-defined]
    with acting(server.database, actor) as session:  # type: ignore[attr-defined]
        calls.submit(session, actor, application_id)
        assert calls.application_by_id(session, application_id).title_en == "Decarbonization support for Bangkok"
    for name in ("yokohama", "bangkok"):
        notifications = visitor(server, people[name]).page("/notifications")
        assert notifications.status_code == 200
        assert f'href="/applications/{application_id}"' in notifications.text  # 提出の通知 (in Japanese)


def test_an_empty_comment_is_refused_on_the_form_and_nothing_is_stored(server: LiveServer) -> None:
    people = consortium_people(server)
    _call, application_id = drafted(server, people["lead"])
    path = f"/applications/{application_id}"
    answer = visitor(server, people["yokohama"]).post(path, f"{path}/comments", {"body": "   "})
    assert answer.status_code == 422
    assert "Write the comment first." in answer.text
    with server.database.reading() as session:  # type: ignore[attr-defined]
        assert session.query(t.ApplicationComment).filter_by(application_id=application_id).count() == 0


def test_a_named_partner_company_reads_and_comments_while_only_the_lead_edits(server: LiveServer) -> None:
    people = consortium_people(server)
    partner = create_person(server.database, "proposer", kind="company")  # type: ignore[attr-defined]
    _call, application_id = drafted(server, people["lead"])
    path = f"/applications/{application_id}"
    lead = visitor(server, people["lead"])
    saved = lead.post(path, path, {"partner_companies_present": "1", "partner_companies": partner.organization})
    assert saved.status_code == 303, saved.text[:500]
    member = visitor(server, partner)
    page = member.page(path)
    assert page.status_code == 200
    assert partner.organization.upper() in page.text  # named on the application
    assert 'id="draft-form"' not in page.text
    assert member.post(path, f"{path}/comments", {"body": "Our equipment list follows."}).status_code == 303
    assert member.post(path, f"{path}/submit", {}).status_code == 403
    unknown = lead.post(path, path, {"partner_companies_present": "1", "partner_companies": "no-such-company"})
    assert unknown.status_code == 422 and "no-such-company" in unknown.text


def test_the_printable_view_is_the_whole_proposal_without_forms(server: LiveServer) -> None:
    people = consortium_people(server)
    _call, application_id = submitted(server, people["lead"])
    page = visitor(server, people["yokohama"]).page(f"/applications/{application_id}/print")
    assert page.status_code == 200
    assert "Decarbonization support for Bangkok" in page.text
    assert "Year 1: feasibility study" in page.text and "38,000,000" in page.text
    assert "<form" not in page.text and "<nav" not in page.text


def test_co_applicants_track_their_adopted_project_and_are_told_of_the_adoption(server: LiveServer) -> None:
    people = consortium_people(server)
    call, application_id = submitted(server, people["lead"])
    operator = Actor.operator()
    with acting(server.database, operator) as session:  # type: ignore[attr-defined]
        calls.move_call(session, operator, call, "reviewing")
        calls.move_call(session, operator, call, "reviewed")
        project = review.adopt(session, operator, call, [application_id])[0].slug
    for name in ("yokohama", "bangkok"):
        member = visitor(server, people[name])
        tracking = member.page(f"/projects/{project}/tracking")
        assert tracking.status_code == 200, tracking.text[:300]
        added = member.post(
            f"/projects/{project}/tracking",
            f"/projects/{project}/activities",
            {"kind": "workshop", "title": f"Workshop by {name} {uuid.uuid4().hex[:6]}", "state": "planned"},
        )
        assert added.status_code == 303, added.text[:500]
        told = member.page("/notifications").text
        assert told.count(f'href="/applications/{application_id}"') == 2  # submitted, then adopted
    outsider = visitor(server, create_person(server.database, "partner_city_official", kind="partner_place"))  # type: ignore[attr-defined]
    assert outsider.page(f"/projects/{project}/tracking").status_code == 403
