"""The workflow services on a real migrated database, both backends: a whole cycle and every refusal.

Each refusal is checked to leave the stored state as it was (the unit of work rolls back) and
drafts keep what was typed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from c3p.accounts.rules.policy import Actor
from c3p.db import tables as t
from c3p.db.database import Database
from c3p.db.history import entries_for
from c3p.errors import Conflict, Forbidden, InvalidInput
from c3p.program.seed_loader import init_database
from c3p.program.snapshot import build_snapshot, current_revision
from c3p.settings import Settings
from c3p.workflow.service import calls, jcm, review
from tests.support.workflow import PDF, acting, complete_draft, create_person, new_call

OPERATOR = Actor.operator("test")


@pytest.fixture(scope="module")
def database(backend: str, new_database_url) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    database = Database(new_database_url(backend))
    init_database(database)
    yield database
    database.dispose()


@pytest.fixture
def settings(tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(data_dir=tmp_path, attachment_max_bytes=1000)


def _open(database: Database, settings: Settings, year: int, **extra: object) -> str:
    with database.unit_of_work() as session:
        return calls.open_call(session, OPERATOR, new_call(year, **extra), settings).slug


def _draft(database: Database, settings: Settings, proposer: Actor, call: str, attach: bool = True) -> int:
    with database.unit_of_work() as session:
        application = calls.create_application(session, proposer, call, complete_draft())
        if attach:
            calls.add_attachment(session, proposer, settings, application.id, "application_form", "form.pdf", PDF)
        return application.id


def test_a_whole_cycle_from_call_to_published_project(database: Database, settings: Settings) -> None:
    secretariat = create_person(database, "secretariat").actor(database)
    slug = _open(database, settings, 2031)
    proposer_person = create_person(database, "proposer", kind="research_institute")
    proposer = proposer_person.actor(database)
    reviewers = [create_person(database, "reviewer", slug).actor(database) for _ in range(2)]
    application_id = _draft(database, settings, proposer, slug)
    with acting(database, proposer) as session:
        submitted = calls.submit(session, proposer, application_id, settings)
        assert submitted.state == "submitted" and submitted.eligible is True
    with database.unit_of_work() as session:
        calls.move_call(session, secretariat, slug, "reviewing")
    points = {"decarbonization_effect": 4, "jcm_feasibility": 5, "city_collaboration": 3}
    with database.unit_of_work() as session:
        review.score(session, reviewers[0], application_id, {**points, "policy_support": 2, "plan_and_budget": 3})
        review.score(session, reviewers[1], application_id, {**points, "policy_support": 5, "plan_and_budget": 5})
    with database.reading() as session:
        own = review.review_view(session, reviewers[0], slug)
        assert [s.reviewer for s in own.scores] == [reviewers[0].label]  # others' scores hidden while reviewing
        assert own.ranking == []
    with database.unit_of_work() as session:
        calls.move_call(session, secretariat, slug, "reviewed")
    with database.reading() as session:
        after = review.review_view(session, reviewers[0], slug)
        assert len(after.scores) == 2
        assert after.ranking[0].application_id == application_id
        assert after.ranking[0].average_total == "40.50"  # weights 3,3,2,1,1: (38 + 43) / 2
    with acting(database, secretariat) as session:
        projects = review.adopt(session, secretariat, slug, [application_id], settings)
        project_slug = projects[0].slug
        revision = current_revision(session)
    with database.reading() as session:
        assert project_slug not in build_snapshot(session, revision).projects  # adopted, not yet public
    with database.unit_of_work() as session:
        review.publish(session, secretariat, slug, settings)
    with database.reading() as session:
        snapshot = build_snapshot(session, current_revision(session))
        view = snapshot.projects[project_slug]
        assert view.fiscal_year == 2031 and view.plan_years == 2
        assert [p.slug for p in view.partner_places] == ["bangkok"]
        assert [o.slug for o in view.proposers] == [proposer_person.organization]
        history = entries_for(session, "applications", str(application_id))
        assert {e.actor for e in history} >= {proposer.label, secretariat.label}
        notes = session.scalars(select(t.Notification).where(t.Notification.user_id == proposer.user_id)).all()
        assert {n.kind for n in notes} >= {"application.submitted", "application.adopted", "call.published"}
    assert list((settings.resolved_outbox_dir).glob("*.eml"))


def _proposer(database: Database) -> Actor:
    return create_person(database, "proposer").actor(database)


def _state(database: Database, application_id: int) -> tuple[str, str, list[int]]:
    with database.reading() as session:
        row = session.get(t.Application, application_id)
        assert row is not None
        return row.state, row.title_en, list(row.budget_jpy_by_year)


def test_late_submission_is_refused_and_the_draft_is_kept(database: Database, settings: Settings) -> None:
    slug = _open(database, settings, 2032)
    proposer = _proposer(database)
    application_id = _draft(database, settings, proposer, slug)
    before = _state(database, application_id)
    late = dt.datetime.now(dt.UTC) + dt.timedelta(days=60)
    with pytest.raises(Conflict, match="late submissions are not accepted"), database.unit_of_work() as session:
        calls.submit(session, proposer, application_id, now=late)
    assert _state(database, application_id) == before == ("draft", "Decarbonization support for Bangkok", before[2])


def test_missing_parts_are_named_and_the_draft_is_kept(database: Database, settings: Settings) -> None:
    slug = _open(database, settings, 2033)
    proposer = _proposer(database)
    with database.unit_of_work() as session:
        application_id = calls.create_application(
            session, proposer, slug, calls.ApplicationDraft(title_en="Half written", plan_years=2)
        ).id
    with pytest.raises(InvalidInput) as refused, database.unit_of_work() as session:
        calls.submit(session, proposer, application_id)
    assert "a summary" in refused.value.detail and "Application form" in refused.value.detail
    assert _state(database, application_id) == ("draft", "Half written", [])


@pytest.mark.parametrize(
    ("filename", "content", "status"),
    [("big.pdf", PDF + b"x" * 2000, 413), ("tool.exe", b"MZ", 422), ("fake.pdf", b"MZ not a pdf", 422)],
)
def test_bad_uploads_are_refused_and_store_nothing(
    database: Database, settings: Settings, filename, content, status
) -> None:  # type: ignore[no-untyped-def]
    slug = f"{2034}-{status % 9 + 1}"
    with contextlib.suppress(Conflict):
        _open(database, settings, 2034, round=status % 9 + 1)
    proposer = _proposer(database)
    application_id = _draft(database, settings, proposer, slug, attach=False)
    with pytest.raises(InvalidInput) as refused, database.unit_of_work() as session:
        calls.add_attachment(session, proposer, settings, application_id, "application_form", filename, content)
    assert refused.value.status == status
    with database.reading() as session:
        assert session.scalars(select(t.Attachment).where(t.Attachment.owner_id == application_id)).all() == []


def test_a_conflicted_reviewer_cannot_score(database: Database, settings: Settings) -> None:
    slug = _open(database, settings, 2035)
    proposer = _proposer(database)
    application_id = _draft(database, settings, proposer, slug)
    with database.unit_of_work() as session:
        calls.submit(session, proposer, application_id)
        calls.move_call(session, OPERATOR, slug, "reviewing")
    reviewer = create_person(database, "reviewer", slug).actor(database)
    with database.unit_of_work() as session:
        review.declare_conflict(session, reviewer, application_id, "I advised the proposer last year.")
    full = {c: 3 for c in ("decarbonization_effect", "jcm_feasibility", "city_collaboration", "policy_support")}
    with pytest.raises(Conflict, match="conflict of interest"), database.unit_of_work() as session:
        review.score(session, reviewer, application_id, {**full, "plan_and_budget": 3})
    with database.reading() as session:
        assert session.scalars(select(t.ReviewScore).where(t.ReviewScore.application_id == application_id)).all() == []
    other_call_reviewer = create_person(database, "reviewer", "2099-9").actor(database)
    with pytest.raises(Forbidden), database.unit_of_work() as session:
        review.score(session, other_call_reviewer, application_id, {**full, "plan_and_budget": 3})


def test_another_organization_cannot_touch_a_draft(database: Database, settings: Settings) -> None:
    slug = _open(database, settings, 2036)
    owner, stranger = _proposer(database), _proposer(database)
    application_id = _draft(database, settings, owner, slug)
    with pytest.raises(Forbidden), database.unit_of_work() as session:
        calls.update_application(session, stranger, application_id, calls.ApplicationDraft(title_en="Mine now"))
    assert _state(database, application_id)[1] == "Decarbonization support for Bangkok"


def test_the_jcm_pipeline_refuses_illegal_steps_and_counts_the_kpi(database: Database, settings: Settings) -> None:
    with database.unit_of_work() as session:
        row = jcm.create_jcm_project(
            session,
            OPERATOR,
            jcm.NewJcmProject(
                slug="th-chiller-1",
                title_en="Chillers in Bangkok",
                country_iso3="THA",
                projects=list(session.scalars(select(t.Project.slug).order_by(t.Project.id).limit(1))),
            ),
        )
    with pytest.raises(Conflict, match="cannot move from idea to issuance"), database.unit_of_work() as session:
        jcm.move(session, OPERATOR, "th-chiller-1", "issuance")
    with database.unit_of_work() as session:
        jcm.move(session, OPERATOR, "th-chiller-1", "feasibility_study")
    with pytest.raises(Conflict, match="needs these documents"), database.unit_of_work() as session:
        jcm.move(session, OPERATOR, "th-chiller-1", "model_project_application")
    tpe = create_person(database, "tpe", "some-tpe").actor(database)
    with pytest.raises(Forbidden), database.unit_of_work() as session:
        jcm.move(session, tpe, "th-chiller-1", "withdrawn")
    for kind, state in (
        ("model_project_application", "model_project_application"),
        ("grant_decision", "adopted"),
    ):
        with database.unit_of_work() as session:
            jcm.add_document(session, OPERATOR, settings, "th-chiller-1", kind, f"{kind}.pdf", PDF)
            jcm.move(session, OPERATOR, "th-chiller-1", state, dt.date(2026, 5, 1))
    with database.reading() as session:
        view = jcm.jcm_view(session, jcm.jcm_by_slug(session, "th-chiller-1"))
        assert view.state == "adopted" and [x.to_state for x in view.transitions][-1] == "adopted"
        assert jcm.kpi(session).jcm_projects_realized >= 1
        assert entries_for(session, "jcm_projects", str(row.id))


def test_outcomes_need_a_project_and_fit_their_kind(database: Database) -> None:
    with pytest.raises(InvalidInput, match="at least one program project"), database.unit_of_work() as session:
        jcm.record_outcome(session, OPERATOR, jcm.NewOutcome(kind="declaration", title_en="Net zero by 2050"))
    with database.unit_of_work() as session:
        project_slug = session.scalars(select(t.Project.slug).order_by(t.Project.id)).first()
        jcm.record_outcome(
            session,
            OPERATOR,
            jcm.NewOutcome(kind="financing_jica", title_en="JICA loan", amount_jpy=1_000_000, projects=[project_slug]),
        )
    with database.reading() as session:
        assert [o.kind for o in jcm.outcome_views(session, project_slug)][:1] == ["financing_jica"]
