"""The secretariat's selection tools: rule on eligibility, return for correction, export the scores.

Each ruling carries its reason in the application's row, so the change history keeps who
ruled what and why. A returned application (差戻し) is a draft again with a message and its
own deadline; the proposer corrects and submits it again, even after the call's deadline.
Adoption itself (several at once, with the grant decision) is in :mod:`review`.
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, Target, require
from c3p.db import tables as t
from c3p.errors import Conflict, InvalidInput
from c3p.messages import N_, Message
from c3p.settings import Settings
from c3p.workflow.rules import calls as rules
from c3p.workflow.service import consortium, notify
from c3p.workflow.service.calls import (
    _proposer,
    _store_check,
    application_by_id,
    call_by_slug,
    call_rubric,
    in_utc,
    titles_of,
    utcnow,
)
from c3p.workflow.service.review import ranking

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet


def _call_of(session: Session, application: t.Application) -> t.Call:
    call = session.get(t.Call, application.call_id)
    assert call is not None
    return call


def override_eligibility(
    session: Session, actor: Actor, application_id: int, eligible: bool | None, reason: str
) -> t.Application:
    """Rule an application (not) eligible whatever the check says, or (``None``) go back to the check."""
    application = application_by_id(session, application_id)
    call = _call_of(session, application)
    require(actor, "program.application.adopt", Target.of(call=call.slug))
    if application.state not in ("draft", "submitted"):
        refusal = N_("Application %(id)s is %(state)s; eligibility is ruled on before the decision only.")
        raise Conflict(Message(refusal, {"id": application.id, "state": rules.state_name(application.state)}))
    if not reason.strip():
        raise InvalidInput(N_("Give the reason for the ruling; it is kept in the history."), field="reason")
    application.eligibility_override = eligible
    application.eligibility_override_reason = reason.strip()
    _store_check(session, application)
    return application


def return_for_correction(
    session: Session,
    actor: Actor,
    application_id: int,
    message: str,
    due_at: dt.datetime,
    settings: Settings | None = None,
) -> t.Application:
    """Send a submitted application back to its proposer as a draft, to correct by ``due_at``."""
    application = application_by_id(session, application_id)
    call = _call_of(session, application)
    require(actor, "program.call.manage", Target.of(call=call.slug))
    if not message.strip():
        raise InvalidInput(N_("Say what the proposer must correct."), field="message")
    due = in_utc(due_at)
    if due <= utcnow():
        raise InvalidInput(N_("The new deadline must be in the future."), field="due_at")
    if call.state not in ("open", "reviewing"):
        refusal = N_("The review of call %(call)s is closed; applications can no longer be returned.")
        raise Conflict(Message(refusal, {"call": call.slug}))
    try:
        rules.check_transition("application", rules.APPLICATION_TRANSITIONS, application.state, "draft")
    except rules.IllegalTransition as error:
        raise Conflict(error.message) from None
    application.state = "draft"
    application.correction_message = message.strip()
    application.correction_due_at = due
    application.updated_at = utcnow()
    session.flush()
    notify.notify(
        session,
        settings,
        consortium.people_of(session, application),
        "application.returned",
        Message(N_("Application %(id)s returned for correction"), {"id": application.id}),
        Message(
            N_("%(title)s was returned for correction: %(message)s Submit it again by %(due)s Japan time."),
            {**titles_of(application), "message": application.correction_message, "due": rules.japan_time(due)},
        ),
        f"/applications/{application.id}",
    )
    return application


# ---------- the committee's workbook ----------


def scores_workbook(session: Session, actor: Actor, slug: str) -> bytes:
    """The call's ranking and every reviewer's points and comment, as an .xlsx for the committee."""
    call = call_by_slug(session, slug)
    require(actor, "program.call.manage", Target.of(call=call.slug))
    criteria = call_rubric(call).criteria
    from openpyxl import Workbook  # here: the web app starts without it

    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Ranking"
    _row(summary, ["Rank", "Application", "Title", "Proposer", "Eligible", "State", "Average total", "Scores"])
    for ranked in ranking(session, call):
        eligible = "" if ranked.eligible is None else ("yes" if ranked.eligible else "no")
        _row(
            summary,
            [
                ranked.rank,
                ranked.application_id,
                ranked.title,
                ranked.proposer,
                eligible,
                ranked.state,
                ranked.average_total,
                ranked.scores,
            ],
        )
    sheet = book.create_sheet("Scores")
    _row(
        sheet,
        [
            "Application",
            "Title",
            "Proposer",
            "Reviewer",
            *(f"{c.name_en} (×{c.weight})" for c in criteria),
            "Total",
            "Comment",
        ],
    )
    rows = session.execute(
        select(t.ReviewScore, t.User.email, t.Application)
        .join(t.User, t.User.id == t.ReviewScore.reviewer_id)
        .join(t.Application, t.Application.id == t.ReviewScore.application_id)
        .where(t.Application.call_id == call.id)
        .order_by(t.Application.id, t.User.email)
    ).all()
    for score, reviewer, application in rows:
        points = [score.points.get(c.key) for c in criteria]
        proposer = _proposer(session, application).slug
        title = application.title_ja or application.title_en
        _row(sheet, [application.id, title, proposer, reviewer, *points, score.total, score.comment])
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _row(sheet: Worksheet, values: list[object]) -> None:
    """Append a row whose text stays text: a comment starting with '=' never becomes a formula."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"
