"""A program year with data on every kind of page, built through the real services.

The crawls of ``tests/integration/web`` read a few pages of each route; a page whose records
are empty hides the words its records would show. This year gives each page its records: last
year's call adopted and published, its project tracked (a site visit done with its report, a
milestone, an expense) and carried into a JCM project with a subsidy calculation, a JCM outcome;
this year's call in review with a reviewer's score and comment; next year's call open with a
draft. Names are as the registry writes them (Yokohama with Bangkok).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from c3p.accounts.rules.policy import Actor
from c3p.db.database import Database
from c3p.settings import Settings
from c3p.workflow import queries
from c3p.workflow.rules import subsidy
from c3p.workflow.service import calls, jcm, review, tracking
from tests.support.workflow import PDF, Person, acting, complete_draft, create_person, new_call

#: what the JCM project's subsidy is calculated from, also a calculator query with notes to read
SUBSIDY_QUERY = {
    "fiscal_year": "2025",
    "initial_investment_jpy": "300000000",
    "expected_reductions_tco2_per_year": "1200",
    "legal_durable_years": "15",
    "similar_technology_cases": "9",
}


@dataclass(frozen=True)
class ProgramYear:
    project: str  # last year's adopted project, tracked
    jcm_project: str  # the JCM project it led to
    reviewing: str  # this year's call, in review
    open_call: str  # next year's call, open


#: the calculator's cases, one per note it can give: unknown tiers and threshold; FY2018 with no
#: reductions and no case count; tiers given but no count; a count no tier covers
CALCULATIONS = (
    SUBSIDY_QUERY,
    {**SUBSIDY_QUERY, "fiscal_year": "2018", "expected_reductions_tco2_per_year": "0", "similar_technology_cases": ""},
    {**SUBSIDY_QUERY, "rate_tiers": "0-2:50; 3-5:40", "similar_technology_cases": ""},
    {**SUBSIDY_QUERY, "rate_tiers": "0-2:50; 3-5:40", "cost_effectiveness_max_jpy_per_tco2": "5000"},
)


def pages_with_records(year: ProgramYear) -> list[str]:
    """The pages whose records a sample of the crawl may miss, each with its records."""
    return [
        f"/calls/{year.reviewing}/review",
        f"/calls/{year.reviewing}",
        f"/calls/{year.open_call}",
        f"/projects/{year.project}",
        f"/projects/{year.project}/tracking",
        "/jcm-projects",
        f"/jcm-projects/{year.jcm_project}",
        f"/subsidy?jcm={year.jcm_project}",
        "/outcomes",
        *(f"/subsidy?{urlencode(query)}" for query in CALCULATIONS),
    ]


def build(
    database: Database, settings: Settings, proposer: Person, reviewer: Person, secretariat: Person
) -> ProgramYear:
    """The year above; ``reviewer`` reviews this year's call (2025-1, whose application exists)."""
    project = _adopted_project(database, settings, proposer, secretariat)
    _tracked(database, project, secretariat)
    jcm_project = _jcm_project(database, settings, project, proposer)
    _reviewed(database, "2025-1", reviewer)
    with acting(database, Actor.operator("test")) as session:
        open_call = calls.open_call(session, Actor.operator("test"), new_call(2026, 1), settings).slug
    actor = proposer.actor(database)
    with acting(database, actor) as session:
        calls.create_application(session, actor, open_call, complete_draft(title_en="Next year's plan"))
    return ProgramYear(project, jcm_project, "2025-1", open_call)


def _submitted(database: Database, settings: Settings, call: str, proposer: Person) -> int:
    actor = proposer.actor(database)
    with acting(database, actor) as session:
        application = calls.create_application(session, actor, call, complete_draft())
        calls.add_attachment(session, actor, settings, application.id, "application_form", "form.pdf", PDF)
    with acting(database, actor) as session:
        calls.submit(session, actor, application.id, settings)
    return application.id


def _reviewed(database: Database, call: str, reviewer: Person) -> None:
    """``call`` in review, each of its submitted applications scored by ``reviewer`` with a comment."""
    operator = Actor.operator("test")
    with acting(database, operator) as session:
        calls.move_call(session, operator, call, "reviewing")
    actor = reviewer.actor(database)
    with acting(database, actor) as session:
        sheet = calls.call_rubric(calls.call_by_slug(session, call))
        points = {criterion.key: criterion.max_points - 1 for criterion in sheet.criteria}
        for application in queries.visible_applications(session, actor, call):
            review.score(session, actor, application.id, points, "明確な出口戦略がある。")


def _adopted_project(database: Database, settings: Settings, proposer: Person, secretariat: Person) -> str:
    """Last year's call reviewed, its application adopted with a grant and published: the project's slug."""
    operator = Actor.operator("test")
    with acting(database, operator) as session:
        call = calls.open_call(session, operator, new_call(2024, 1), settings).slug
    application = _submitted(database, settings, call, proposer)
    _reviewed(database, call, create_person(database, "reviewer", call))
    actor = secretariat.actor(database)
    with acting(database, actor) as session:
        calls.move_call(session, actor, call, "reviewed")
        slug = review.adopt(session, actor, call, [application], settings, {application: 20_000_000})[0].slug
        review.publish(session, actor, call, settings)
        return slug


def _tracked(database: Database, project: str, secretariat: Person) -> None:
    actor = secretariat.actor(database)
    with acting(database, actor) as session:
        tracking.set_state(session, actor, project, "in_progress")
        visit = tracking.NewActivity(
            kind="site_visit", title="バンコク現地調査", starts_on=dt.date(2024, 8, 5), state="done", note="3台を計測。"
        )
        tracking.add_activity(session, actor, project, visit)
        tracking.add_activity(session, actor, project, tracking.NewActivity(kind="workshop", title="キックオフ会議"))
        milestone = tracking.NewMilestone(kind="deliverable", title="実現可能性調査報告書", due_on=dt.date(2025, 2, 28))
        tracking.add_milestone(session, actor, project, milestone)
        expense = tracking.NewExpense(
            spent_on=dt.date(2024, 8, 5), category="travel", description="バンコク出張", amount_jpy=1_200_000
        )
        tracking.add_expense(session, actor, project, expense)


def _jcm_project(database: Database, settings: Settings, project: str, proposer: Person) -> str:
    """The JCM project the adopted project led to, applied as a Model Project, its subsidy kept; an outcome."""
    slug = "th-bangkok-chillers"
    operator = Actor.operator("test")
    with acting(database, operator) as session:
        new = jcm.NewJcmProject(
            slug=slug,
            title_ja="バンコク高効率冷凍機導入",
            title_en="High-efficiency chillers in Bangkok",
            country_iso3="THA",
            proposer_slug=proposer.organization,
            initial_investment_jpy=300_000_000,
            expected_reductions_tco2_per_year=1200,
            legal_durable_years=15,
            projects=[project],
        )
        jcm.create_jcm_project(session, operator, new)
        jcm.move(session, operator, slug, "feasibility_study")
        jcm.add_document(session, operator, settings, slug, "model_project_application", "application.pdf", PDF)
        jcm.move(session, operator, slug, "model_project_application")
        params = subsidy.SubsidyParams.model_validate(SUBSIDY_QUERY)
        result = subsidy.calculate(params, subsidy.rules_for(params.fiscal_year))
        jcm.save_subsidy(session, operator, slug, SUBSIDY_QUERY, result)
        outcome = jcm.NewOutcome(
            kind="jcm_model_project_application",
            title_ja="JCM設備補助事業に応募",
            title_en="Applied as a JCM Model Project",
            occurred_on=dt.date(2025, 5, 1),
            jcm_project=slug,
            projects=[project],
        )
        jcm.record_outcome(session, operator, outcome)
    return slug
