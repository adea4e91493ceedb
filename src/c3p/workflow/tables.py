"""Tables of the program workflow: calls, applications, reviews, tracking, outcomes, JCM pipeline.

Adoption writes registry projects (``projects``); everything about how they got there and what
came of them lives here. Money is integer JPY (BigInteger), reductions whole tCO2. Every row
is recorded by the change history (``c3p.db.history``), except in-app notifications.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from c3p.db.base import NOT_IN_HISTORY, Base, utcnow


class Call(Base):
    """A call for proposals (公募) of one fiscal year and round; ``slug`` is "2025-1"."""

    __tablename__ = "calls"
    __table_args__ = (UniqueConstraint("fiscal_year", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(20), unique=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(Integer)
    title_ja: Mapped[str] = mapped_column(Text, default="")
    title_en: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(20), default="open")
    target_countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    target_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_budget_jpy_per_year: Mapped[int | None] = mapped_column(BigInteger)
    max_plan_years: Mapped[int] = mapped_column(Integer, default=3)
    required_attachments: Mapped[list[str]] = mapped_column(JSON, default=list)
    rubric: Mapped[dict[str, Any]] = mapped_column(JSON)
    deadline_reminder_sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # --- call set-up in the portal (issue 14, point 1) ---
    #: JCM candidate countries the call prioritises besides the JCM partners (ISO3)
    priority_countries: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")


class Application(Base):
    """An application (応募) by a consortium: proposer + Japanese government(s) + partner place(s)."""

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    proposer_id: Mapped[int] = mapped_column(ForeignKey("member_organizations.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(20), default="draft")
    title_ja: Mapped[str] = mapped_column(Text, default="")
    title_en: Mapped[str] = mapped_column(Text, default="")
    summary_ja: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    plan: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    plan_years: Mapped[int] = mapped_column(Integer, default=1)
    budget_jpy_by_year: Mapped[list[int]] = mapped_column(JSON, default=list)
    methodology_id: Mapped[str | None] = mapped_column(String(40))
    estimate_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    expected_reductions_tco2_per_year: Mapped[int | None] = mapped_column(BigInteger)
    eligibility: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    eligible: Mapped[bool | None] = mapped_column()
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # --- the secretariat's selection tools (issue 14, point 3) ---
    #: the secretariat's ruling on eligibility, which prevails over the check, and why
    eligibility_override: Mapped[bool | None] = mapped_column()
    eligibility_override_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: returned for correction (差戻し): what to correct, and until when it may be submitted again
    correction_message: Mapped[str] = mapped_column(Text, default="", server_default="")
    correction_due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: the adoption decision (交付決定): the grant amount and the day it was decided
    grant_amount_jpy: Mapped[int | None] = mapped_column(BigInteger)
    grant_decided_on: Mapped[dt.date | None] = mapped_column(Date)
    # --- the year after adoption (issue 14, point 5) ---
    #: the project of a multi-year plan this application continues into its next year
    continues_project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))


class ApplicationJapaneseGovernment(Base):
    __tablename__ = "application_japanese_governments"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    japanese_government_id: Mapped[int] = mapped_column(ForeignKey("japanese_governments.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class ApplicationPartnerPlace(Base):
    __tablename__ = "application_partner_places"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    partner_place_id: Mapped[int] = mapped_column(ForeignKey("partner_places.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class Attachment(Base):
    """A stored file (``data_dir/attachments/<sha256>``) attached to an application or JCM project."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# ---- applications as documents: partner companies named on them, and their comments ----


class ApplicationPartnerCompany(Base):
    """A partner company (a member organization) named on an application as a co-applicant."""

    __tablename__ = "application_partner_companies"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("member_organizations.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class ApplicationComment(Base):
    """A comment by one of the people who may read an application (consortium or secretariat)."""

    __tablename__ = "application_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_label: Mapped[str] = mapped_column(String(254))
    organization_slug: Mapped[str] = mapped_column(String(80), default="")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ConflictOfInterest(Base):
    __tablename__ = "conflicts_of_interest"
    __table_args__ = (UniqueConstraint("application_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReviewScore(Base):
    __tablename__ = "review_scores"
    __table_args__ = (UniqueConstraint("application_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    points: Mapped[dict[str, int]] = mapped_column(JSON)
    total: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    scored_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProjectTracking(Base):
    """The workflow side of a registry project: its status and whether it is public yet.

    Seed projects have no row and are public; adopted projects stay private until published.
    """

    __tablename__ = "project_tracking"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    proposer_slug: Mapped[str] = mapped_column(String(80), default="")
    state: Mapped[str] = mapped_column(String(20), default="planned")
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Activity(Base):
    __tablename__ = "project_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20), default="planned")
    note: Mapped[str] = mapped_column(Text, default="")
    # ---- the year after adoption (applications): who recorded it, when it last changed ----
    #: the organization of the person who recorded it (a partner city, a local government, the lead)
    organization_slug: Mapped[str] = mapped_column(String(80), default="", server_default="")
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Expense(Base):
    """Money spent against a project's grant in its fiscal year, in whole JPY, with what it was for."""

    __tablename__ = "project_expenses"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    spent_on: Mapped[dt.date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    amount_jpy: Mapped[int] = mapped_column(BigInteger)
    organization_slug: Mapped[str] = mapped_column(String(80), default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Milestone(Base):
    """A milestone or deliverable of a project (``kind``), due on a day and done on another."""

    __tablename__ = "project_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="milestone")
    title: Mapped[str] = mapped_column(Text)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    done_on: Mapped[dt.date | None] = mapped_column(Date)


class JcmProject(Base):
    """A JCM project in the pipeline, linked to the program projects that led to it."""

    __tablename__ = "jcm_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title_ja: Mapped[str] = mapped_column(Text, default="")
    title_en: Mapped[str] = mapped_column(Text, default="")
    country_iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"))
    state: Mapped[str] = mapped_column(String(30), default="idea")
    proposer_slug: Mapped[str] = mapped_column(String(80), default="")
    tpe_slug: Mapped[str] = mapped_column(String(80), default="")
    methodology_id: Mapped[str | None] = mapped_column(String(40))
    initial_investment_jpy: Mapped[int | None] = mapped_column(BigInteger)
    expected_reductions_tco2_per_year: Mapped[int | None] = mapped_column(BigInteger)
    legal_durable_years: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: the short code its credits' serials carry, assigned when the Joint Committee registers it
    serial_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    #: the TPE that verifies its monitoring reports, assigned by the Joint Committee or secretariat
    verifier_slug: Mapped[str | None] = mapped_column(String(80))
    verifier_assigned_by: Mapped[str | None] = mapped_column(String(254))
    verifier_assigned_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # ---- no retyping (applications): the subsidy calculation saved with the JCM project ----
    #: the calculator's inputs and result as last saved (JSON of ``SubsidyResult``), None if never saved
    subsidy_calculation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    subsidy_calculated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class JcmProjectLink(Base):
    __tablename__ = "jcm_project_links"

    jcm_project_id: Mapped[int] = mapped_column(ForeignKey("jcm_projects.id"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)


class JcmTransition(Base):
    __tablename__ = "jcm_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    jcm_project_id: Mapped[int] = mapped_column(ForeignKey("jcm_projects.id"), index=True)
    from_state: Mapped[str] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(254))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Outcome(Base):
    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    title_ja: Mapped[str] = mapped_column(Text, default="")
    title_en: Mapped[str] = mapped_column(Text, default="")
    partner_place_id: Mapped[int | None] = mapped_column(ForeignKey("partner_places.id"))
    occurred_on: Mapped[dt.date | None] = mapped_column(Date)
    amount_jpy: Mapped[int | None] = mapped_column(BigInteger)
    financier: Mapped[str] = mapped_column(Text, default="")
    jcm_project_id: Mapped[int | None] = mapped_column(ForeignKey("jcm_projects.id"))
    url: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutcomeProject(Base):
    __tablename__ = "outcome_projects"

    outcome_id: Mapped[int] = mapped_column(ForeignKey("outcomes.id"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)


class Notification(Base):
    """An in-app notification; the same text goes out by e-mail (SMTP or the outbox folder)."""

    __tablename__ = "notifications"
    __table_args__ = ({"info": NOT_IN_HISTORY},)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: when it went out by e-mail; empty while it waits for its reader's daily digest
    mailed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class NotificationPreference(Base):
    """How a person wants notifications by e-mail: each at once (no row) or one daily digest."""

    __tablename__ = "notification_preferences"
    __table_args__ = ({"info": NOT_IN_HISTORY},)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    daily_digest: Mapped[bool] = mapped_column(default=False)
