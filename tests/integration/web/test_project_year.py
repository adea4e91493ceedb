"""The year after adoption over real HTTP: activities the program has, edited and reported by the consortium.

Defects of issue 14 (each test fails on the base commit): site visits, online meetings and
reports were not activity kinds; an activity could not be edited, marked done or carry a
report; partner-city officials and the local government could record nothing; there were no
expenses against the grant, no completion report and no continuation of a multi-year plan
into its next year.
"""

from __future__ import annotations

import re

import httpx

from c3p.accounts.rules.policy import Actor
from c3p.db import tables as t
from c3p.workflow.service import calls, review
from tests.conftest import LiveServer
from tests.integration.web import test_workflow_forms
from tests.integration.web.test_application_documents import consortium_people, drafted, submitted, visitor
from tests.support.workflow import PDF, Person, acting, create_person

server = test_workflow_forms.server  # the same live server fixture, one per module


def adopted(server: LiveServer) -> tuple[str, dict[str, Person]]:
    """An adopted (unpublished) project of Yokohama, Bangkok and a lead company; its slug and people."""
    people = consortium_people(server)
    call, application_id = submitted(server, people["lead"])
    operator = Actor.operator()
    with acting(server.database, operator) as session:  # type: ignore[attr-defined]
        calls.move_call(session, operator, call, "reviewing")
        calls.move_call(session, operator, call, "reviewed")
        return review.adopt(session, operator, call, [application_id])[0].slug, people


def test_the_partner_city_records_a_site_visit_then_marks_it_done_with_its_report(server: LiveServer) -> None:
    project, people = adopted(server)
    page = f"/projects/{project}/tracking"
    city = visitor(server, people["bangkok"])
    added = city.post(page, f"/projects/{project}/activities", {"kind": "site_visit", "title": "Visit to the plant"})
    assert added.status_code == 303, added.text[:500]
    with server.database.reading() as session:  # type: ignore[attr-defined]
        row = session.query(t.Activity).filter_by(title="Visit to the plant").one()
        activity_id, recorded_by = row.id, row.organization_slug
    assert recorded_by == "bangkok"
    done = {"kind": "site_visit", "title": "Visit to the plant", "state": "done", "note": "Boilers measured: 3 units."}
    edited = city.post(page, f"/projects/{project}/activities/{activity_id}", done)
    assert edited.status_code == 303, edited.text[:500]
    shown = visitor(server, people["yokohama"]).page(page).text
    assert "Site visit" in shown and "Boilers measured: 3 units." in shown and "Done" in shown
    wrong = city.post(page, f"/projects/{project}/activities/{activity_id}", {**done, "state": "finished", "note": "x"})
    assert wrong.status_code == 422
    assert f'id="activity-{activity_id}-state"' in wrong.text and "state: one of" in wrong.text
    outsider = visitor(server, create_person(server.database, "partner_city_official", kind="partner_place"))  # type: ignore[attr-defined]
    assert outsider.post(page, f"/projects/{project}/activities/{activity_id}", done).status_code == 403
    with server.database.reading() as session:  # type: ignore[attr-defined]
        row = session.get(t.Activity, activity_id)
        assert row is not None and (row.state, row.note) == ("done", "Boilers measured: 3 units.")


def test_expenses_against_the_year_s_budget_and_a_bad_amount_changes_nothing(server: LiveServer) -> None:
    project, people = adopted(server)
    page = f"/projects/{project}/tracking"
    lead = visitor(server, people["lead"])
    spent = {
        "spent_on": "2026-06-10",
        "category": "travel",
        "description": "Flights to Bangkok",
        "amount_jpy": "1,200,000",
    }
    assert lead.post(page, f"/projects/{project}/expenses", spent).status_code == 303
    shown = lead.page(page).text
    assert 'id="expenses-total">1,200,000' in shown
    assert 'id="expenses-budget">20,000,000' in shown  # year 1 of the application's budget
    assert 'id="expenses-remaining">18,800,000' in shown
    for amount in ("-5", "0", "NaN", "1e9"):
        refused = lead.post(page, f"/projects/{project}/expenses", {**spent, "amount_jpy": amount})
        assert refused.status_code == 422, amount
    with server.database.reading() as session:  # type: ignore[attr-defined]
        project_id = session.query(t.Project).filter_by(slug=project).one().id
        assert session.query(t.Expense).filter_by(project_id=project_id).count() == 1


def test_the_local_government_attaches_the_completion_report_the_consortium_downloads_it(server: LiveServer) -> None:
    project, people = adopted(server)
    page = f"/projects/{project}/tracking"
    city_hall = visitor(server, people["yokohama"])
    token = test_workflow_forms.CSRF.search(city_hall.page(page).text)
    assert token
    uploaded = city_hall.client.post(
        f"/projects/{project}/documents",
        data={"kind": "completion_report", "csrf_token": token.group(1)},
        files={"file": ("完了報告書.pdf", PDF, "application/pdf")},
    )
    assert uploaded.status_code == 303, uploaded.text[:500]
    shown = visitor(server, people["lead"]).page(page).text
    assert "Completion report" in shown
    link = shown.split(f"/projects/{project}/documents/", 1)[1].split('"', 1)[0]
    assert visitor(server, people["lead"]).client.get(f"/projects/{project}/documents/{link}").content == PDF
    assert httpx.get(f"{server.url}/projects/{project}/documents/{link}").status_code == 401  # not published


def test_the_next_year_of_a_plan_is_a_new_adoption_that_links_to_the_first(server: LiveServer) -> None:
    first, people = adopted(server)  # year 1 of a 2-year plan
    lead = visitor(server, people["lead"])
    call, application_id = drafted(server, people["lead"])
    path = f"/applications/{application_id}"
    assert f'<option value="{first}"' in lead.page(path).text  # offered as the plan to continue
    stranger_project, _others = adopted(server)
    refused = lead.post(path, path, {"continues_project": stranger_project})
    assert refused.status_code == 422 and "can be continued" in refused.text
    chosen = lead.post(path, path, {"continues_project": first})
    assert chosen.status_code == 303, chosen.text[:500]
    operator = Actor.operator()
    actor = people["lead"].actor(server.database)  # type: ignore[attr-defined]
    with acting(server.database, actor) as session:  # type: ignore[attr-defined]
        calls.submit(session, actor, application_id)
    with acting(server.database, operator) as session:  # type: ignore[attr-defined]
        calls.move_call(session, operator, call, "reviewing")
        calls.move_call(session, operator, call, "reviewed")
        second = review.adopt(session, operator, call, [application_id])[0]
        assert (second.plan_year, second.plan_years) == (2, 2)
        second_slug = second.slug
    page = lead.page(f"/projects/{second_slug}/tracking").text
    previous = re.search(r'href="/projects/([^"/]+)/tracking" id="plan-previous">([^<]+)<', page)
    assert previous and previous.group(1) == first
    assert previous.group(2) != first, "the previous year is named by its title and year, not its slug"
    following = lead.page(f"/projects/{first}/tracking").text.split('id="plan-next"', 1)[1][:600]
    assert f'href="/projects/{second_slug}/tracking">' in following and f">{second_slug}<" not in following
    _call, last_year = drafted(server, people["lead"])
    final = lead.post(f"/applications/{last_year}", f"/applications/{last_year}", {"continues_project": second_slug})
    assert final.status_code == 422 and "last year of its plan" in final.text
