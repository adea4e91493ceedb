"""In a real browser: the secretariat records an exit outcome and the program's KPI moves.

A JCM Model Project already adopted but not yet linked to any program project does not
count; once an outcome links it to the project that led to it, "JCM projects realized
through the program" goes up by one on the outcomes page and on the JCM pipeline page.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from c3p.accounts.rules.policy import Actor
from c3p.db import tables as t
from c3p.workflow.service import jcm
from tests.e2e.test_program_cycle_browser import live_server_database, sign_in
from tests.support.workflow import create_person

pytestmark = pytest.mark.browser
PROJECT = "fy2025-02-yokohama-bangkok"


def adopted_jcm_project(database) -> str:  # type: ignore[no-untyped-def]
    slug = f"tha-browser-{uuid.uuid4().hex[:6]}"
    with database.unit_of_work() as session:
        jcm.create_jcm_project(
            session, Actor.operator(), jcm.NewJcmProject(slug=slug, country_iso3="THA", title_en="Chiller upgrade")
        )
        # its documents and steps are not this story's subject: it stands adopted, unlinked
        session.scalars(select(t.JcmProject).where(t.JcmProject.slug == slug)).one().state = "adopted"
    return slug


def realized(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.locator("#kpi-jcm-realized .kpi-value").inner_text())


def test_recording_an_outcome_moves_the_kpi(live_server, browser) -> None:  # type: ignore[no-untyped-def]
    database = live_server_database(live_server)
    slug = adopted_jcm_project(database)
    secretariat = create_person(database, "secretariat")

    context, page = sign_in(browser, live_server, secretariat.email)
    page.goto(live_server.url + "/jcm-projects?lang=en")
    before = realized(page)
    page.goto(live_server.url + f"/projects/{PROJECT}/tracking?lang=en")
    page.click("#record-outcome-link")
    page.wait_for_selector("#outcome-form")
    assert page.input_value("#outcome-projects") == PROJECT
    page.select_option("#outcome-kind", "jcm_model_project_adoption")
    page.fill("#outcome-title_en", "Model Project adopted: chiller upgrade")
    page.fill("#outcome-amount_jpy", "5,000")  # only financing carries an amount: refused, typed values kept
    page.select_option("#outcome-jcm_project", slug)
    page.click("#outcome-submit")
    page.wait_for_selector("#outcome-problem")
    assert page.input_value("#outcome-title_en") == "Model Project adopted: chiller upgrade"
    assert realized(page) == before
    page.fill("#outcome-amount_jpy", "")
    page.click("#outcome-submit")
    page.wait_for_selector("#recorded")
    assert realized(page) == before + 1
    assert "Model Project adopted: chiller upgrade" in page.locator("#outcomes").inner_text()
    page.goto(live_server.url + "/jcm-projects?lang=en")
    assert realized(page) == before + 1
    page.goto(live_server.url + f"/projects/{PROJECT}?lang=en")
    assert slug in page.locator("#program-links").inner_text()
    context.close()
