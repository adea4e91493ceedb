"""Review and adoption: conflicts of interest, scores, the ranking, adoption and publication.

Which scores a person sees is decided here, in the query, not in a template: reviewers see
their own scores until the call's review closes, then everyone's; the secretariat sees all.
Adoption turns applications into the fiscal year's registry projects (a partnership is
created when the consortium's pair is new); they stay off the public pages until published.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, Target, require
from c3p.db import tables as t
from c3p.errors import Conflict, InvalidInput
from c3p.messages import N_, Message, listing
from c3p.program.seed_loader import bump_revision
from c3p.settings import Settings
from c3p.workflow.rules import review as rules
from c3p.workflow.rules.calls import JST, state_name
from c3p.workflow.schemas import ConflictView, RankedView, ReviewView, ScoreView
from c3p.workflow.service import consortium, notify
from c3p.workflow.service.calls import (
    _consortium,
    _proposer,
    application_by_id,
    call_by_slug,
    call_rubric,
    titles_of,
    utcnow,
)

REVIEWABLE = ("submitted", "adopted", "not_adopted")
#: no grant is larger (a guard against mistyped figures; the stored column holds 64-bit integers)
MAX_GRANT_JPY = 10**13


def _reviewer_target(session: Session, application: t.Application) -> tuple[t.Call, Target]:
    call = session.get(t.Call, application.call_id)
    assert call is not None
    return call, Target.of(call=call.slug)


def declare_conflict(session: Session, actor: Actor, application_id: int, reason: str) -> t.ConflictOfInterest:
    application = application_by_id(session, application_id)
    _call, target = _reviewer_target(session, application)
    require(actor, "program.application.conflict", target)
    if actor.user_id is None:
        raise InvalidInput(N_("Only a signed-in reviewer can declare a conflict of interest."))
    if not reason.strip():
        raise InvalidInput(N_("Say what the conflict of interest is."), field="reason")
    existing = session.scalars(
        select(t.ConflictOfInterest).where(
            t.ConflictOfInterest.application_id == application.id, t.ConflictOfInterest.reviewer_id == actor.user_id
        )
    ).one_or_none()
    if existing:
        raise Conflict(N_("You have already declared a conflict of interest on this application."))
    if _score_of(session, application.id, actor.user_id):
        raise Conflict(N_("You have scored this application already; ask the secretariat to remove the score first."))
    row = t.ConflictOfInterest(application_id=application.id, reviewer_id=actor.user_id, reason=reason.strip())
    session.add(row)
    session.flush()
    return row


def _score_of(session: Session, application_id: int, reviewer_id: int) -> t.ReviewScore | None:
    return session.scalars(
        select(t.ReviewScore).where(
            t.ReviewScore.application_id == application_id, t.ReviewScore.reviewer_id == reviewer_id
        )
    ).one_or_none()


def score(
    session: Session, actor: Actor, application_id: int, points: dict[str, int], comment: str = ""
) -> t.ReviewScore:
    """Record (or replace) the actor's score of one application, while the call is reviewing."""
    application = application_by_id(session, application_id)
    call, target = _reviewer_target(session, application)
    require(actor, "program.application.review", target)
    if actor.user_id is None:
        raise InvalidInput(N_("Only a signed-in reviewer can score."))
    if application.state not in REVIEWABLE:
        refusal = N_("Only submitted applications are scored; this one is %(state)s.")
        raise Conflict(Message(refusal, {"state": application.state}))
    conflicted = session.scalars(
        select(t.ConflictOfInterest.reviewer_id).where(t.ConflictOfInterest.application_id == application.id)
    )
    try:
        rules.ensure_may_score(actor.user_id, conflicted, call.state)
    except rules.ReviewRefused as error:
        reason = "conflict-of-interest" if "conflict" in str(error) else "phase"
        raise Conflict(error.message, reason=reason) from None
    try:
        total = call_rubric(call).total(points)
    except rules.ReviewRefused as error:
        raise InvalidInput(error.message, field="points") from None
    row = _score_of(session, application.id, actor.user_id)
    if row is None:
        row = t.ReviewScore(application_id=application.id, reviewer_id=actor.user_id, points={}, total=0)
        session.add(row)
    row.points, row.total, row.comment, row.scored_at = dict(points), total, comment.strip(), utcnow()
    session.flush()
    return row


def _sees_all(actor: Actor) -> bool:
    return actor.system or actor.holds("secretariat") or actor.holds("administrator")


def review_view(session: Session, actor: Actor, call_slug: str) -> ReviewView:
    """The review of a call as ``actor`` may see it (the visibility rule is applied to the query)."""
    call = call_by_slug(session, call_slug)
    require(actor, "program.review.read", Target.of(call=call.slug))
    sees_all = _sees_all(actor)
    scores_query = (
        select(t.ReviewScore, t.User.email)
        .join(t.Application, t.Application.id == t.ReviewScore.application_id)
        .join(t.User, t.User.id == t.ReviewScore.reviewer_id)
        .where(t.Application.call_id == call.id)
        .order_by(t.ReviewScore.application_id, t.ReviewScore.id)
    )
    if not sees_all and call.state not in ("reviewed", "decided"):
        scores_query = scores_query.where(t.ReviewScore.reviewer_id == (actor.user_id or -1))
    rows = session.execute(scores_query).all()
    scores = [
        ScoreView(
            application_id=s.application_id,
            reviewer=email,
            points=s.points,
            total=s.total,
            comment=s.comment,
            scored_at=s.scored_at,
        )
        for s, email in rows
        if rules.scores_visible(actor.user_id, s.reviewer_id, call_state=call.state, sees_all=sees_all)
    ]
    conflicts_query = (
        select(t.ConflictOfInterest, t.User.email)
        .join(t.Application, t.Application.id == t.ConflictOfInterest.application_id)
        .join(t.User, t.User.id == t.ConflictOfInterest.reviewer_id)
        .where(t.Application.call_id == call.id)
    )
    if not sees_all:
        conflicts_query = conflicts_query.where(t.ConflictOfInterest.reviewer_id == (actor.user_id or -1))
    conflicts = [
        ConflictView(application_id=c.application_id, reviewer=email, reason=c.reason, declared_at=c.declared_at)
        for c, email in session.execute(conflicts_query).all()
    ]
    show_ranking = sees_all or call.state in ("reviewed", "decided")
    return ReviewView(
        call=call.slug,
        state=call.state,
        max_total=call_rubric(call).max_total,
        scores=scores,
        conflicts=conflicts,
        ranking=ranking(session, call) if show_ranking else [],
    )


def ranking(session: Session, call: t.Call) -> list[RankedView]:
    applications = list(
        session.scalars(
            select(t.Application).where(t.Application.call_id == call.id, t.Application.state.in_(REVIEWABLE))
        )
    )
    totals: dict[int, list[int]] = {a.id: [] for a in applications}
    for application_id, total in session.execute(
        select(t.ReviewScore.application_id, t.ReviewScore.total).where(t.ReviewScore.application_id.in_(list(totals)))
    ):
        totals[application_id].append(total)
    by_id = {a.id: a for a in applications}
    ranked = rules.rank(totals)
    proposers = {a.id: _proposer(session, a) for a in applications}
    return [
        RankedView(
            rank=r.rank,
            application_id=r.application_id,
            title=by_id[r.application_id].title_ja or by_id[r.application_id].title_en,
            proposer=proposers[r.application_id].slug,
            proposer_name_ja=proposers[r.application_id].name_ja,
            proposer_name_en=proposers[r.application_id].name_en,
            average_total=r.average_display,
            scores=r.scores,
            eligible=by_id[r.application_id].eligible,
            state=by_id[r.application_id].state,
        )
        for r in ranked
    ]


def _adoption_refusal(application: t.Application | None, call: t.Call, grant_jpy: int | None) -> Message | None:
    """Why an application cannot be adopted (own call, submitted, eligible, a grant within its budget)."""
    if application is None:
        return Message(N_("There is no such application."))
    about = {"id": application.id, "state": state_name(application.state)}
    if application.call_id != call.id:
        return Message(N_("Application %(id)s belongs to another call."), about)
    if application.state != "submitted":
        return Message(N_("Application %(id)s is %(state)s; only submitted ones are adopted."), about)
    if not application.eligible:
        return Message(N_("Application %(id)s is not eligible and cannot be adopted."), about)
    if grant_jpy is not None:
        asked = min(application.budget_jpy_by_year[0] if application.budget_jpy_by_year else 0, MAX_GRANT_JPY)
        if not 0 < grant_jpy <= asked:
            refusal = N_(
                "Application %(id)s: the grant must be more than 0 and at most the first year's budget, %(asked)s JPY."
            )
            return Message(refusal, {**about, "asked": f"{asked:,}"})
    return None


def adopt(
    session: Session,
    actor: Actor,
    call_slug: str,
    application_ids: list[int],
    settings: Settings | None = None,
    grants_jpy: dict[int, int] | None = None,
    decided_on: dt.date | None = None,
) -> list[t.Project]:
    """Adopt ``application_ids`` (in this order) as the call's fiscal-year projects; decide the call.

    All or nothing: when any application cannot be adopted, none is, and the refusal lists
    each one with its reason. ``grants_jpy`` records the grant decision (交付決定) of each,
    on ``decided_on`` (default: today in Japan).
    """
    call = call_by_slug(session, call_slug)
    require(actor, "program.application.adopt", Target.of(call=call.slug))
    if call.state != "reviewed":
        refusal = N_("Adoption follows the closed review; call %(call)s is %(state)s.")
        raise Conflict(Message(refusal, {"call": call.slug, "state": state_name(call.state)}))
    if not application_ids or len(set(application_ids)) != len(application_ids):
        raise InvalidInput(N_("Name each application to adopt once."))
    grants = grants_jpy or {}
    if set(grants) - set(application_ids):
        raise InvalidInput(N_("Grants are given to the applications adopted only."), field="grants_jpy")
    chosen = [session.get(t.Application, i) for i in application_ids]
    refusals = {
        i: why
        for i, application in zip(application_ids, chosen, strict=True)
        if (why := _adoption_refusal(application, call, grants.get(i)))
    }
    if refusals:
        summary = Message(
            N_("Nothing was adopted; %(count)s of the chosen applications cannot be: %(reasons)s"),
            {"count": len(refusals), "reasons": listing(list(refusals.values()))},
        )
        raise Conflict(summary, errors={str(i): str(r) for i, r in refusals.items()})
    decided = decided_on or dt.datetime.now(JST).date()
    for application in chosen:
        assert application is not None
        application.grant_amount_jpy = grants.get(application.id)
        application.grant_decided_on = decided
    number = int(
        session.scalar(select(func.max(t.Project.number)).where(t.Project.fiscal_year == call.fiscal_year)) or 0
    )
    projects = []
    for application in chosen:
        assert application is not None
        number += 1
        projects.append(_create_project(session, call, application, number))
    for application in session.scalars(
        select(t.Application).where(t.Application.call_id == call.id, t.Application.state == "submitted")
    ):
        application.state = "not_adopted"
    call.state = "decided"
    session.flush()
    bump_revision(session)
    for application in session.scalars(select(t.Application).where(t.Application.call_id == call.id)):
        if application.state in ("adopted", "not_adopted"):
            notify.notify(
                session,
                settings,
                consortium.people_of(session, application),
                f"application.{application.state}",
                Message(
                    N_("Call %(call)s: application %(id)s adopted")
                    if application.state == "adopted"
                    else N_("Call %(call)s: application %(id)s not adopted"),
                    {"call": call.slug, "id": application.id},
                ),
                Message(
                    N_("%(title)s: adopted.") if application.state == "adopted" else N_("%(title)s: not adopted."),
                    titles_of(application),
                ),
                f"/applications/{application.id}",
            )
    return projects


def _create_project(session: Session, call: t.Call, application: t.Application, number: int) -> t.Project:
    governments, places = _consortium(session, application)
    partnership = _partnership_for(session, call, application, governments, [p for p, _c in places])
    proposer = _registry_organization(session, _proposer(session, application))
    previous = session.get(t.Project, application.continues_project_id) if application.continues_project_id else None
    project = t.Project(
        slug=f"fy{call.fiscal_year}-{number:02d}-a{application.id}",
        fiscal_year=call.fiscal_year,
        number=number,
        partnership_id=partnership.id,
        title_ja=application.title_ja or application.title_en,
        title_en=application.title_en or application.title_ja,
        summary_ja=application.summary_ja or application.summary_en,
        summary_en=application.summary_en or application.summary_ja,
        plan_year=(previous.plan_year or 1) + 1 if previous else 1,
        plan_years=previous.plan_years if previous else application.plan_years,
        source=f"c3p workflow: call {call.slug}, application {application.id}",
    )
    session.add(project)
    session.flush()
    session.add(t.ProjectOrganization(project_id=project.id, organization_id=proposer.id, role="proposer", position=1))
    session.add(t.ProjectTracking(project_id=project.id, application_id=application.id, proposer_slug=proposer.slug))
    _tag_fields(session, project, application)
    application.state = "adopted"
    application.project_id = project.id
    partnership.last_fiscal_year = max(partnership.last_fiscal_year or call.fiscal_year, call.fiscal_year)
    session.flush()
    return project


def _tag_fields(session: Session, project: t.Project, application: t.Application) -> None:
    """The project's sectors are the application's target fields (their slugs are registry terms)."""
    terms = {
        term.slug: term
        for term in session.scalars(select(t.VocabularyTerm).where(t.VocabularyTerm.slug.in_(application.fields)))
    }
    evidence = "採択された応募書類で選ばれた対象分野"
    for position, slug in enumerate((s for s in dict.fromkeys(application.fields) if s in terms), 1):
        session.add(
            t.ProjectTag(project_id=project.id, term_id=terms[slug].id, position=position, evidence_ja=evidence)
        )


def _partnership_for(
    session: Session,
    call: t.Call,
    application: t.Application,
    governments: list[t.JapaneseGovernment],
    places: list[t.PartnerPlace],
) -> t.Partnership:
    wanted = ({g.id for g in governments}, {p.id for p in places})
    members_g: dict[int, set[int]] = defaultdict(set)
    members_p: dict[int, set[int]] = defaultdict(set)
    for pid, gid in session.execute(
        select(t.PartnershipJapaneseGovernment.partnership_id, t.PartnershipJapaneseGovernment.japanese_government_id)
    ):
        members_g[pid].add(gid)
    for pid, place_id in session.execute(
        select(t.PartnershipPartnerPlace.partnership_id, t.PartnershipPartnerPlace.partner_place_id)
    ):
        members_p[pid].add(place_id)
    for pid in members_g:
        if (members_g[pid], members_p.get(pid, set())) == wanted:
            return session.get(t.Partnership, pid)  # type: ignore[return-value]
    slug = "-".join([*(g.slug for g in governments), *(p.slug for p in places)])[:60] + f"-a{application.id}"
    partnership = t.Partnership(
        slug=slug,
        country_iso3=places[0].country_iso3,
        partner_entry_ja="・".join(p.name_ja for p in places),
        japan_entry_ja="・".join(g.name_ja for g in governments),
        first_fiscal_year=call.fiscal_year,
        last_fiscal_year=call.fiscal_year,
        in_fy2025=call.fiscal_year == 2025,
        source=f"c3p workflow: call {call.slug}, application {application.id}",
    )
    session.add(partnership)
    session.flush()
    for position, government in enumerate(governments, 1):
        session.add(
            t.PartnershipJapaneseGovernment(
                partnership_id=partnership.id,
                japanese_government_id=government.id,
                position=position,
                source=partnership.source,
            )
        )
    for position, place in enumerate(places, 1):
        session.add(
            t.PartnershipPartnerPlace(
                partnership_id=partnership.id, partner_place_id=place.id, position=position, source=partnership.source
            )
        )
    session.flush()
    return partnership


ORGANIZATION_KIND_TO_REGISTRY = {"company": "company", "research_institute": "research-institute"}


def _registry_organization(session: Session, member: t.MemberOrganization) -> t.Organization:
    """The registry organization of a proposer (same slug), created from its account when new."""
    found = session.scalars(select(t.Organization).where(t.Organization.slug == member.slug)).one_or_none()
    if found:
        return found
    organization = t.Organization(
        slug=member.slug,
        name_ja=member.name_ja or member.name_en,
        name_en=member.name_en,
        kind=ORGANIZATION_KIND_TO_REGISTRY.get(member.kind, "company"),
        country_iso3=member.country_iso3,
        website=member.website,
        source=f"c3p accounts: member organization {member.slug}",
    )
    session.add(organization)
    session.flush()
    return organization


def publish(session: Session, actor: Actor, call_slug: str, settings: Settings | None = None) -> list[t.Project]:
    """Make the call's adopted projects public (registry pages and API)."""
    call = call_by_slug(session, call_slug)
    require(actor, "program.project.publish", Target.of(call=call.slug))
    if call.state != "decided":
        refusal = N_("Only a decided call's projects are published; call %(call)s is %(state)s.")
        raise Conflict(Message(refusal, {"call": call.slug, "state": call.state}))
    now = utcnow()
    rows = list(
        session.execute(
            select(t.ProjectTracking, t.Project)
            .join(t.Project, t.Project.id == t.ProjectTracking.project_id)
            .join(t.Application, t.Application.id == t.ProjectTracking.application_id)
            .where(t.Application.call_id == call.id)
        ).all()
    )
    for tracking, _project in rows:
        if tracking.published_at is None:
            tracking.published_at = now
    call.published_at = call.published_at or now
    session.flush()
    bump_revision(session)
    notify.notify(
        session,
        settings,
        notify.users_with_role(session, "proposer"),
        "call.published",
        Message(N_("Call %(call)s: adopted projects published"), {"call": call.slug}),
        Message(
            N_("%(count)s adopted projects of %(title)s are now on the public pages."),
            {"count": len(rows), "title": call.title_en, "title_ja": call.title_ja},
        ),
        f"/projects?fiscal_year={call.fiscal_year}",
    )
    return [project for _tracking, project in rows]
