""" "My tasks" on a real database: each role sees the step waiting for it, and only steps it may take.

The tasks come from the rules that allow the steps, so each test takes the step the task
offers and checks that the task then goes away (a task nobody can clear would fail here).
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from c3p.accounts.rules.policy import Actor
from c3p.db.database import Database
from c3p.settings import Settings
from c3p.workflow import queries
from c3p.workflow.service import calls, jcm, review
from tests.support.workflow import PDF, complete_draft, create_person, new_call

OPERATOR = Actor.operator("test")


@pytest.fixture(scope="module")
def database(sqlite_database: Database) -> Database:
    return sqlite_database


@pytest.fixture
def settings(tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(data_dir=tmp_path)


def titles(database: Database, actor: Actor) -> list[str]:
    with database.reading() as session:
        return [str(task.title) for task in queries.tasks_of(session, actor)]


def test_the_tpe_and_the_joint_committee_see_their_pipeline_steps(database: Database, settings: Settings) -> None:
    slug = f"th-{uuid.uuid4().hex[:6]}"
    tpe = create_person(database, "tpe", organization=f"tpe-{slug}").actor(database)
    committee = create_person(database, "joint_committee_member", "THA").actor(database)
    other_committee = create_person(database, "joint_committee_member", "VNM").actor(database)
    other_tpe = create_person(database, "tpe").actor(database)
    with database.unit_of_work() as session:
        new = jcm.NewJcmProject(slug=slug, title_en="Chillers", country_iso3="THA", tpe_slug=f"tpe-{slug}")
        jcm.create_jcm_project(session, OPERATOR, new)
    waiting = "JCM project Chillers: next step Validation"
    for document, state in [
        ("", "feasibility_study"),
        ("model_project_application", "model_project_application"),
        ("grant_decision", "adopted"),
        ("commissioning_report", "installed"),
        ("", "pdd"),
    ]:
        assert waiting not in titles(database, tpe)
        with database.unit_of_work() as session:
            if document:
                jcm.add_document(session, OPERATOR, settings, slug, document, f"{document}.pdf", PDF)
            jcm.move(session, OPERATOR, slug, state)
    assert waiting in titles(database, tpe)
    assert waiting not in titles(database, other_tpe)  # another TPE is not assigned to it
    with database.reading() as session:
        task = next(t for t in queries.tasks_of(session, tpe) if str(t.title) == waiting)
        assert "Project design document (PDD)" in str(task.detail)  # the document still missing, by its name
    with database.unit_of_work() as session:
        jcm.add_document(session, tpe, settings, slug, "pdd", "pdd.pdf", PDF)
        jcm.move(session, tpe, slug, "validation")  # the task's step is allowed to the one it is shown to
    assert waiting not in titles(database, tpe)
    registration = "JCM project Chillers: next step Registration"
    assert registration in titles(database, committee)
    assert registration not in titles(database, other_committee)  # the committee of another country
    with database.unit_of_work() as session:
        jcm.add_document(session, tpe, settings, slug, "validation_report", "v.pdf", PDF)
        jcm.move(session, committee, slug, "registration")
    assert registration not in titles(database, committee)


def test_proposers_reviewers_and_the_secretariat_see_the_calls_steps(database: Database, settings: Settings) -> None:
    with database.unit_of_work() as session:
        call = calls.open_call(session, OPERATOR, new_call(2040), settings).slug
    proposer, rival = create_person(database, "proposer").actor(database), create_person(database, "proposer")
    reviewer = create_person(database, "reviewer", call).actor(database)
    conflicted = create_person(database, "reviewer", call).actor(database)
    secretariat = create_person(database, "secretariat").actor(database)
    with database.unit_of_work() as session:
        application = calls.create_application(session, proposer, call, complete_draft()).id
        calls.add_attachment(session, proposer, settings, application, "application_form", "form.pdf", PDF)
    submit = f"Submit application {application}: Decarbonization support for Bangkok"
    assert submit in titles(database, proposer)
    assert submit not in titles(database, rival.actor(database))
    assert not [t for t in titles(database, secretariat) if call in t]  # nothing to close before the deadline
    with database.unit_of_work() as session:
        calls.submit(session, proposer, application, settings)
    assert submit not in titles(database, proposer)
    with database.unit_of_work() as session:
        calls.move_call(session, OPERATOR, call, "reviewing")
        review.declare_conflict(session, conflicted, application, "My employer is the proposer.")
    score = f"Score application {application}: Decarbonization support for Bangkok"
    assert score in titles(database, reviewer)
    assert score not in titles(database, conflicted)
    assert f"Close the review of call {call}" in titles(database, secretariat)
    points = {
        "decarbonization_effect": 4,
        "jcm_feasibility": 5,
        "city_collaboration": 3,
        "policy_support": 2,
        "plan_and_budget": 3,
    }
    with database.unit_of_work() as session:
        review.score(session, reviewer, application, points)
    assert score not in titles(database, reviewer)
    with database.unit_of_work() as session:
        calls.move_call(session, secretariat, call, "reviewed")
    assert f"Adopt applications of call {call}" in titles(database, secretariat)
    assert f"Adopt applications of call {call}" not in titles(database, reviewer)
    with database.unit_of_work() as session:
        review.adopt(session, secretariat, call, [application], settings)
    assert f"Publish the adopted projects of call {call}" in titles(database, secretariat)
    with database.unit_of_work() as session:
        review.publish(session, secretariat, call, settings)
    assert not [t for t in titles(database, secretariat) if call in t]


def test_the_deadline_passing_asks_the_secretariat_to_close_submissions(database: Database) -> None:
    with database.unit_of_work() as session:
        call = calls.open_call(session, OPERATOR, new_call(2041, open_for=dt.timedelta(days=2))).slug
    secretariat = create_person(database, "secretariat").actor(database)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    with database.reading() as session:
        assert f"Close the submissions of call {call}" in [
            str(t.title) for t in queries.tasks_of(session, secretariat, later)
        ]
        assert f"Close the submissions of call {call}" not in [
            str(t.title) for t in queries.tasks_of(session, secretariat)
        ]
