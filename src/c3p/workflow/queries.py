"""Reads of the workflow shared by API, pages and CLI: applications, notifications, reminders.

Each question has one function here, built on the policy (:mod:`c3p.workflow.rules.access`),
and the API, the pages and the CLI all call it and filter nothing themselves, so they answer
the same for every role.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, Target, decide
from c3p.accounts.rules.tasks import Task
from c3p.db import tables as t
from c3p.errors import NotFound
from c3p.messages import N_, Message
from c3p.settings import Settings
from c3p.workflow.rules import pipeline
from c3p.workflow.rules import tasks as rules
from c3p.workflow.rules.access import allowed_on_any, may_read_application
from c3p.workflow.service import attachments, consortium
from c3p.workflow.service.calls import NO_APPLICATION, application_by_id, application_target, aware, titles_of
from c3p.workflow.service.jcm import list_jcm_projects, moves_for

#: the newest notifications a reader is shown
NOTIFICATIONS_SHOWN = 200


def visible_applications(session: Session, actor: Actor, call_slug: str | None = None) -> list[t.Application]:
    """The applications ``actor`` may see (of the call ``call_slug``), newest first."""
    query = (
        select(t.Application, t.Call.slug, t.MemberOrganization.slug)
        .join(t.Call, t.Call.id == t.Application.call_id)
        .join(t.MemberOrganization, t.MemberOrganization.id == t.Application.proposer_id)
        .order_by(t.Application.id.desc())
    )
    if call_slug:
        query = query.where(t.Call.slug == call_slug)
    return [
        application
        for application, call, organization in session.execute(query)
        if may_read_application(
            actor,
            application.state,
            Target.of(organization=organization, call=call),
            _co_applicants(session, application),
        )
    ]


def _co_applicants(session: Session, application: t.Application) -> list[str]:
    return [organization.slug for organization in consortium.co_applicants(session, application)]


def readable_application(session: Session, actor: Actor, application_id: int) -> t.Application:
    """The application, if ``actor`` may see it: refused (401/403) by the policy, or unknown (404) if a draft.

    Its co-applicants' people read it as its lead's do (:mod:`c3p.workflow.rules.access`).
    """
    application = application_by_id(session, application_id)
    consortium.require_consortium(session, actor, "program.application.read", application)
    target = application_target(session, application)
    if not may_read_application(actor, application.state, target, _co_applicants(session, application)):
        raise NotFound(Message(NO_APPLICATION, {"id": application.id}))
    return application


def application_file(
    session: Session, actor: Actor, settings: Settings, application_id: int, attachment_id: int
) -> tuple[t.Attachment, bytes]:
    """A file attached to an application, for whoever may read the application (else refused or 404)."""
    application = readable_application(session, actor, application_id)
    row = session.get(t.Attachment, attachment_id)
    if row is None or row.owner_kind != "application" or row.owner_id != application.id:
        refusal = N_("application %(id)s has no attachment %(attachment)s")
        raise NotFound(Message(refusal, {"id": application.id, "attachment": attachment_id}))
    return row, attachments.content_of(settings, row)


def may_act_on(session: Session, actor: Actor, application: t.Application) -> dict[str, bool]:
    """What ``actor`` may do on the application's page: edit and submit it (its lead) or comment (its consortium)."""
    lead = application_target(session, application)
    return {
        "edit": application.state == "draft" and bool(decide(actor, "program.application.draft", lead)),
        "submit": application.state == "draft" and bool(decide(actor, "program.application.submit", lead)),
        "withdraw": application.state in ("draft", "submitted")
        and bool(decide(actor, "program.application.withdraw", lead)),
        "comment": allowed_on_any(actor, "program.application.comment", consortium.targets_of(session, application)),
    }


def notifications_of(session: Session, actor: Actor) -> list[t.Notification]:
    """The newest notifications addressed to ``actor`` (none for the public or the operator)."""
    if actor.user_id is None:
        return []
    query = (
        select(t.Notification)
        .where(t.Notification.user_id == actor.user_id)
        .order_by(t.Notification.id.desc())
        .limit(NOTIFICATIONS_SHOWN)
    )
    return list(session.scalars(query))


def takes_daily_digest(session: Session, actor: Actor) -> bool:
    """Whether ``actor`` asked for one e-mail a day rather than one per notification."""
    row = session.get(t.NotificationPreference, actor.user_id) if actor.user_id is not None else None
    return bool(row and row.daily_digest)


def open_calls(session: Session) -> list[t.Call]:
    """Calls accepting applications now (the reminder job walks them)."""
    return list(session.scalars(select(t.Call).where(t.Call.state == "open")))


def draft_applications(session: Session, call_id: int) -> list[t.Application]:
    """Applications of a call that their authors have not submitted yet."""
    query = select(t.Application).where(t.Application.call_id == call_id, t.Application.state == "draft")
    return list(session.scalars(query))


def tasks_of(session: Session, actor: Actor, now: dt.datetime | None = None) -> list[Task]:
    """What the workflow asks of ``actor`` now: calls to move, drafts to submit, scores, JCM steps."""
    now = now or dt.datetime.now(dt.UTC)
    calls = _call_facts(session)
    return [
        *rules.call_tasks(actor, list(calls.values()), now),
        *rules.application_tasks(actor, _application_facts(session, actor, calls), now),
        *rules.pipeline_tasks(_jcm_facts(session, actor)),
    ]


def _call_facts(session: Session) -> dict[int, rules.CallFacts]:
    counts = select(t.Application.call_id, func.count()).where(t.Application.state == "adopted")
    adopted = {call_id: count for call_id, count in session.execute(counts.group_by(t.Application.call_id))}
    return {
        call.id: rules.CallFacts(
            call.slug, call.state, aware(call.closes_at), 0 if call.published_at else adopted.get(call.id, 0)
        )
        for call in session.scalars(select(t.Call))
    }


def _application_facts(
    session: Session, actor: Actor, calls: dict[int, rules.CallFacts]
) -> list[rules.ApplicationFacts]:
    pending = [a for a in visible_applications(session, actor) if a.state in ("draft", "submitted")]
    ids = [a.id for a in pending]
    scored, conflicted = defaultdict(set), defaultdict(set)
    for application_id, reviewer_id in session.execute(
        select(t.ReviewScore.application_id, t.ReviewScore.reviewer_id).where(t.ReviewScore.application_id.in_(ids))
    ):
        scored[application_id].add(reviewer_id)
    for application_id, reviewer_id in session.execute(
        select(t.ConflictOfInterest.application_id, t.ConflictOfInterest.reviewer_id).where(
            t.ConflictOfInterest.application_id.in_(ids)
        )
    ):
        conflicted[application_id].add(reviewer_id)
    return [
        rules.ApplicationFacts(
            a.id,
            titles_of(a),
            a.state,
            calls[a.call_id],
            application_target(session, a).scope.get("organization", ""),
            frozenset(scored[a.id]),
            frozenset(conflicted[a.id]),
            aware(a.correction_due_at) if a.correction_due_at else None,
        )
        for a in pending
    ]


def _jcm_facts(session: Session, actor: Actor) -> list[rules.JcmFacts]:
    facts = []
    for jcm in list_jcm_projects(session):
        moves = tuple(moves_for(actor, jcm))
        if not moves:
            continue
        facts.append(
            rules.JcmFacts(
                jcm.slug,
                {"title": jcm.title_en or jcm.title_ja or jcm.slug, "title_ja": jcm.title_ja, "title_en": jcm.title_en},
                jcm.state,
                moves,
                _missing_documents(session, jcm),
            )
        )
    return facts


def _missing_documents(session: Session, jcm: t.JcmProject) -> dict[str, str] | None:
    """The documents the forward step of ``jcm`` still needs, named per language; None if none."""
    forward = pipeline.next_states(jcm.state)[:1]
    present = {a.kind for a in attachments.attachments_of(session, "jcm_project", jcm.id)}
    kinds = attachments.attachment_kinds()["jcm_project"]
    missing = [kinds[k] for k in pipeline.REQUIRED_DOCUMENTS.get(forward[0], ()) if k not in present] if forward else []
    if not missing:
        return None
    names = {language: ", ".join(kind[f"name_{language}"] for kind in missing) for language in ("ja", "en")}
    return {"documents": names["en"], "documents_ja": names["ja"], "documents_en": names["en"]}
