"""The workflow's part of "my tasks": each task is a step the policy and the state machines allow now.

A task is offered only where the very checks that guard the step pass: the policy's action on
the record's target, the call's phase, the review rules (conflicts of interest) and, for a JCM
project, the next state on its main line being among the moves the JCM page offers. A person
therefore never sees a task they would be refused, and every role with a step waiting (the
TPE, the Joint Committee, reviewers, the secretariat, proposers) sees it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from c3p.accounts.rules.policy import Actor, Target, decide
from c3p.accounts.rules.tasks import Task
from c3p.messages import N_, Message
from c3p.workflow.rules import pipeline
from c3p.workflow.rules.review import ReviewRefused, ensure_may_score

JST = ZoneInfo("Asia/Tokyo")

#: what each call phase asks of whoever manages the call, with the action that guards it
CALL_STEPS = {
    "open": ("program.call.manage", N_("Close the submissions of call %(call)s"), N_("The deadline has passed.")),
    "reviewing": ("program.call.manage", N_("Close the review of call %(call)s"), N_("Reviewers are scoring.")),
    "reviewed": ("program.application.adopt", N_("Adopt applications of call %(call)s"), N_("The ranking is final.")),
}


@dataclass(frozen=True)
class CallFacts:
    slug: str
    state: str
    closes_at: dt.datetime
    unpublished: int = 0


@dataclass(frozen=True)
class ApplicationFacts:
    id: int
    titles: dict[str, str]  # title, title_ja, title_en: said in the reader's language
    state: str
    call: CallFacts
    organization: str
    scored_by: frozenset[int] = frozenset()
    conflicted: frozenset[int] = frozenset()
    correction_due_at: dt.datetime | None = None  # returned for correction: its own deadline

    @property
    def target(self) -> Target:
        return Target.of(organization=self.organization, call=self.call.slug)


@dataclass(frozen=True)
class JcmFacts:
    slug: str
    titles: dict[str, str]
    state: str
    moves: tuple[str, ...]  # the next states this actor may move it into (as the JCM page offers)
    missing: dict[str, str] | None = None  # documents the forward step still needs, per language


def call_tasks(actor: Actor, calls: list[CallFacts], now: dt.datetime) -> list[Task]:
    """Closing submissions after the deadline, closing the review, adopting and publishing."""
    tasks = []
    for call in calls:
        about = {"call": call.slug}
        step = CALL_STEPS.get(call.state)
        due = step is not None and (call.state != "open" or call.closes_at <= now)
        if step and due and decide(actor, step[0], Target.of(call=call.slug)):
            tasks.append(Task(Message(step[1], about), Message(step[2]), f"/calls/{call.slug}"))
        publishing = call.state == "decided" and call.unpublished
        if publishing and decide(actor, "program.project.publish", Target.of(call=call.slug)):
            title = Message(N_("Publish the adopted projects of call %(call)s"), about)
            detail = Message(N_("%(count)s adopted projects are not public yet."), {"count": call.unpublished})
            tasks.append(Task(title, detail, f"/calls/{call.slug}"))
    return tasks


def application_tasks(actor: Actor, applications: list[ApplicationFacts], now: dt.datetime) -> list[Task]:
    """Submitting one's drafts before the deadline, and scoring what one may score."""
    tasks = []
    for application in applications:
        about = {**application.titles, "id": application.id}
        link = f"/applications/{application.id}"
        if _may_submit(actor, application, now):
            closes = f"{_deadline(application).astimezone(JST):%Y-%m-%d %H:%M}"
            detail = Message(N_("The call closes %(closes)s (Japan time)."), {"closes": closes})
            tasks.append(Task(Message(N_("Submit application %(id)s: %(title)s"), about), detail, link))
        elif _may_score(actor, application):
            detail = Message(N_("You have not scored it yet."))
            link = f"/calls/{application.call.slug}/review"
            tasks.append(Task(Message(N_("Score application %(id)s: %(title)s"), about), detail, link))
    return tasks


def _returned(application: ApplicationFacts) -> bool:
    """Returned for correction while the call is open or in review: it has its own deadline."""
    return application.correction_due_at is not None and application.call.state in ("open", "reviewing")


def _deadline(application: ApplicationFacts) -> dt.datetime:
    due = application.correction_due_at
    return due if due is not None and _returned(application) else application.call.closes_at


def _may_submit(actor: Actor, application: ApplicationFacts, now: dt.datetime) -> bool:
    open_now = (_returned(application) or application.call.state == "open") and now <= _deadline(application)
    allowed = decide(actor, "program.application.submit", application.target)
    return application.state == "draft" and open_now and bool(allowed)


def _may_score(actor: Actor, application: ApplicationFacts) -> bool:
    if actor.user_id is None or application.state != "submitted" or actor.user_id in application.scored_by:
        return False
    if not decide(actor, "program.application.review", Target.of(call=application.call.slug)):
        return False
    try:
        ensure_may_score(actor.user_id, application.conflicted, application.call.state)
    except ReviewRefused:
        return False
    return True


def pipeline_tasks(projects: list[JcmFacts]) -> list[Task]:
    """A JCM project whose next step on the main line is one the actor may take."""
    tasks = []
    for project in projects:
        forward = pipeline.next_states(project.state)[:1]
        if forward and forward[0] in project.moves:
            step = Message(pipeline.LABELS_EN[forward[0]])
            title = Message(N_("JCM project %(title)s: next step %(step)s"), {**project.titles, "step": step})
            detail = (
                Message(N_("Attach first: %(documents)s."), project.missing)
                if project.missing
                else Message(N_("Everything this step needs is attached."))
            )
            tasks.append(Task(title, detail, f"/jcm-projects/{project.slug}"))
    return tasks
