"""What the API, pages and CLI show of the workflow: typed views, one data shape per record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ConfigDict, Field

from c3p.accounts.rules.visitors import anonymized
from c3p.schema import Schema


class _View(Schema):
    model_config = ConfigDict(from_attributes=True)


class FindingView(_View):
    code: str
    passed: bool
    reason: str = Field(description="in English")
    priority: bool = False
    text: str = Field("", description="the reason's message id, translated in the catalogs")
    params: dict[str, Any] = Field(default_factory=dict, description="the message's parameters")


class CallView(_View):
    slug: str = Field(description="fiscal year and round, e.g. 2025-1")
    fiscal_year: int
    round: int
    title_ja: str
    title_en: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    state: str = Field(description="open, reviewing, reviewed or decided")
    target_countries: list[str] = Field(description="ISO3 codes; empty: every developing country")
    target_fields: list[str]
    max_budget_jpy_per_year: int | None
    max_plan_years: int
    required_attachments: list[str]
    rubric: dict[str, Any]
    published_at: dt.datetime | None
    applications_submitted: int = 0
    # --- call set-up in the portal (issue 14, point 1) ---
    priority_countries: list[str] = Field(
        default_factory=list, description="ISO3 of JCM candidate countries prioritised besides the JCM partners"
    )


class AttachmentView(_View):
    id: int
    kind: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: dt.datetime


class RefView(_View):
    slug: str
    name_ja: str
    name_en: str

    @classmethod
    def of_project(cls, project: Any) -> RefView:
        """A project as people name it: its title and fiscal year (the slug stays for links)."""
        return cls(
            slug=project.slug,
            name_ja=f"{project.title_ja or project.slug}（{project.fiscal_year}年度）",
            name_en=f"{project.title_en or project.slug} (FY{project.fiscal_year})",
        )


class CommentView(_View):
    id: int
    author_label: str
    organization_slug: str
    body: str
    created_at: dt.datetime


class ApplicationView(_View):
    id: int
    call: str
    state: str
    proposer: RefView
    title_ja: str
    title_en: str
    summary_ja: str
    summary_en: str
    plan: str
    fields: list[str]
    plan_years: int
    budget_jpy_by_year: list[int]
    japanese_governments: list[RefView]
    partner_places: list[RefView]
    methodology_id: str | None
    expected_reductions_tco2_per_year: int | None
    eligible: bool | None = Field(description="None until the check has run")
    partner_companies: list[RefView] = Field(default_factory=list, description="partner companies named on it")
    co_applicants: list[RefView] = Field(
        default_factory=list, description="member organizations whose people read and comment on it besides the lead"
    )
    estimate_params: dict[str, Any] | None = Field(None, description="the MRV engine's inputs of the ex-ante estimate")
    comments: list[CommentView] = Field(default_factory=list)
    continues_project: str | None = Field(None, description="slug of the project of a multi-year plan it continues")
    eligibility: list[FindingView]
    missing_parts: list[str] = Field(default_factory=list, description="what submission still needs")
    attachments: list[AttachmentView]
    submitted_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    project: str | None = Field(None, description="slug of the adopted project")
    adopted: RefView | None = Field(None, description="the adopted project, named")
    continues: RefView | None = Field(None, description="the project of a multi-year plan it continues, named")
    updated_at: dt.datetime
    # --- the secretariat's selection tools (issue 14, point 3) ---
    eligibility_override: bool | None = Field(None, description="the secretariat's ruling; None: the check decides")
    eligibility_override_reason: str = ""
    correction_message: str = Field("", description="what to correct, when returned for correction")
    correction_due_at: dt.datetime | None = Field(None, description="the deadline to submit it again")
    grant_amount_jpy: int | None = Field(None, description="the grant decided at adoption (交付決定)")
    grant_decided_on: dt.date | None = None


class ScoreView(_View):
    application_id: int
    reviewer: str
    points: dict[str, int]
    total: int
    comment: str
    scored_at: dt.datetime


class ConflictView(_View):
    application_id: int
    reviewer: str
    reason: str
    declared_at: dt.datetime


class RankedView(_View):
    rank: int
    application_id: int
    title: str
    proposer: str
    proposer_name_ja: str = Field("", description="the proposer's name, as pages say it")
    proposer_name_en: str = ""
    average_total: str = Field(description="exact average as a decimal string, 2 places")
    scores: int
    eligible: bool | None
    state: str


class ReviewView(_View):
    call: str
    state: str
    max_total: int
    scores: list[ScoreView] = Field(description="only the scores the viewer may see")
    conflicts: list[ConflictView]
    ranking: list[RankedView] = Field(description="empty until the review closes (for reviewers)")


class ActivityView(_View):
    id: int
    kind: str
    title: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    state: str
    note: str
    organization_slug: str = ""
    updated_at: dt.datetime | None = None


class ExpenseView(_View):
    id: int
    spent_on: dt.date
    category: str
    description: str
    amount_jpy: int
    organization_slug: str


class MilestoneView(_View):
    id: int
    kind: str
    title: str
    due_on: dt.date | None
    done_on: dt.date | None


class TrackingView(_View):
    project: str
    fiscal_year: int
    number: int
    title_ja: str
    title_en: str
    state: str
    published: bool
    plan_position: str = Field(description='"year 2 of 3", or empty')
    application_id: int | None
    activities: list[ActivityView]
    milestones: list[MilestoneView]
    expenses: list[ExpenseView] = Field(default_factory=list)
    expenses_total_jpy: int = 0
    grant_jpy: int | None = Field(None, description="the grant decided at adoption (交付決定), if recorded")
    continues: RefView | None = Field(None, description="the project of the plan's previous year")
    continued_by: list[RefView] = Field(default_factory=list, description="the projects of the plan's next year")
    budget_jpy: int | None = Field(None, description="what the application planned for this plan year")
    documents: list[AttachmentView] = Field(
        default_factory=list, description="the year's files: activity reports, minutes, the completion report"
    )


class OutcomeView(_View):
    id: int
    kind: str
    title_ja: str
    title_en: str
    partner_place: str | None
    occurred_on: dt.date | None
    amount_jpy: int | None
    financier: str
    jcm_project: str | None
    url: str
    source: str
    projects: list[str]


class KpiView(_View):
    jcm_projects_realized: int = Field(description="distinct JCM projects adopted or further, linked to projects")
    jcm_projects_in_pipeline: int
    outcomes_by_kind: dict[str, int]
    definition: str


class TransitionView(_View):
    from_state: str
    to_state: str
    occurred_on: dt.date
    actor: str
    note: str
    recorded_at: dt.datetime


class JcmProjectView(_View):
    slug: str
    title_ja: str
    title_en: str
    country_iso3: str
    state: str
    next_states: list[str]
    proposer_slug: str
    tpe_slug: str
    methodology_id: str | None
    initial_investment_jpy: int | None
    expected_reductions_tco2_per_year: int | None
    legal_durable_years: int | None
    serial_code: str | None = Field(None, description="assigned at registration; the credits' serials carry it")
    verifier_slug: str | None = Field(None, description="the TPE assigned to verify its monitoring reports")
    subsidy_calculation: dict[str, Any] | None = Field(
        None, description="the Model Project subsidy calculation saved with it: its params and result"
    )
    subsidy_calculated_at: dt.datetime | None = None
    projects: list[str]
    transitions: list[TransitionView]
    documents: list[AttachmentView] = Field(description="for visitors who are not signed in: no file names or digests")

    def for_visitor(self) -> JcmProjectView:
        """A visitor who is not signed in sees the steps and documents, not who took them nor which files hold them."""
        transitions = [x.model_copy(update={"actor": anonymized(x.actor)}) for x in self.transitions]
        documents = [d.model_copy(update={"filename": "", "sha256": ""}) for d in self.documents]
        return self.model_copy(update={"transitions": transitions, "documents": documents})


class NotificationView(_View):
    id: int
    kind: str
    subject: str
    body: str
    link: str
    created_at: dt.datetime
    read_at: dt.datetime | None


# ---------- a call's terms, said for people (issue 14, point 1) ----------


class NamedView(_View):
    slug: str
    name_ja: str
    name_en: str


class CountryTermView(_View):
    iso3: str
    name_ja: str
    name_en: str
    jcm_partner: bool = Field(description="a JCM partner country: prioritised")
    candidate: bool = Field(description="a JCM candidate country the call prioritises")


class CallTermsView(_View):
    """What a call accepts, by name: the public call page says it in plain words."""

    countries: list[CountryTermView] = Field(description="the target countries; empty: every developing country")
    priority: list[CountryTermView] = Field(description="prioritised: JCM partners among the targets, and candidates")
    fields: list[NamedView] = Field(description="the target fields; empty: every field")
    attachments: list[NamedView] = Field(description="the documents an application must carry")
    documents: list[AttachmentView] = Field(description="the call's own documents to download")
