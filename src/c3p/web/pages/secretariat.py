"""The secretariat's pages of a call: its terms and documents, eligibility rulings, returns, the workbook.

Each form posts to the same service as its API twin; a refused form comes back as the call's
page with the problem next to the field and everything typed kept. Call documents are public
downloads, like the call itself.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, File, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor
from c3p.errors import C3PError, InvalidInput
from c3p.messages import N_
from c3p.web.auth import database as db
from c3p.web.auth import permission, writing
from c3p.web.pages.forms import FormState, number_text, typed
from c3p.web.pages.render import redirect
from c3p.web.pages.workflow import FormText, Refusal, _status, as_list, call_page_for, japan_moment
from c3p.web.routes import Router
from c3p.workflow.service import attachments, call_setup, calls, selection

router = Router(include_in_schema=False)
#: the settings form's lists (each sent with a ``<name>_present`` marker, so none ticked means empty)
LIST_TERMS = ("target_countries", "priority_countries", "target_fields", "required_attachments")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _call_form(
    request: Request, actor: Actor, slug: str, form: FormState, save: Any, anchor: str = ""
) -> Response:
    """Run ``save(session)`` in one unit of work; on a refusal show the call again with the form as typed."""

    def run() -> str | ValidationError | C3PError:
        try:
            with writing(request, actor) as session:
                save(session)
            return f"/calls/{slug}?saved=1{anchor}"
        except Refusal as error:
            return error

    outcome = await run_in_threadpool(run)
    if isinstance(outcome, str):
        return redirect(outcome)
    return call_page_for(request, actor, slug, form.add(outcome), _status(outcome))


# ---------- terms and documents ----------


def changes_from(values: dict[str, Any]) -> call_setup.CallChanges:
    """The settings form as typed: times in Japan time, amounts as people type them, the rubric as lines."""
    data: dict[str, Any] = {name: values[name] for name in ("title_ja", "title_en") if name in values}
    for name in ("opens_at", "closes_at"):
        if str(values.get(name, "")).strip():
            data[name] = japan_moment(str(values[name]), name)
    for name in LIST_TERMS:
        if f"{name}_present" in values:
            data[name] = as_list(values.get(name))
    budget = number_text(str(values.get("max_budget_jpy_per_year", "")))
    if budget:
        data["max_budget_jpy_per_year"] = budget
    elif "max_budget_jpy_per_year" in values:
        data["clear_budget"] = True
    if str(values.get("max_plan_years", "")).strip():
        data["max_plan_years"] = number_text(str(values["max_plan_years"]))
    if str(values.get("rubric", "")).strip():
        data["rubric"] = rubric_from(str(values["rubric"]))
    return call_setup.CallChanges.model_validate(data)


def rubric_from(text: str) -> dict[str, Any]:
    """One criterion a line: ``key | 日本語名 | English name | maximum points | weight``."""
    criteria = []
    for number, line in enumerate(text.replace("｜", "|").splitlines(), 1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 5 or not all(parts):
            raise InvalidInput(RUBRIC_LINE, field="rubric", line=number)
        key, name_ja, name_en, most, weight = parts
        try:
            criteria.append(
                {
                    "key": key,
                    "name_ja": name_ja,
                    "name_en": name_en,
                    "max_points": int(number_text(most)),
                    "weight": int(number_text(weight)),
                }
            )
        except ValueError:
            raise InvalidInput(RUBRIC_LINE, field="rubric", line=number) from None
    return {"source": "set by the secretariat in the portal", "criteria": criteria}


RUBRIC_LINE = N_(
    "Write one criterion a line: key | Japanese name | English name | maximum points | weight "
    "(whole numbers, at least 1)."
)


@router.post("/calls/{slug}/settings")
async def save_settings(
    request: Request, slug: str, actor: Actor = Depends(permission("program.call.manage"))
) -> Response:
    values = await typed(request)
    return await _call_form(
        request,
        actor,
        slug,
        FormState("settings", values),
        lambda session: call_setup.update_call(session, actor, slug, changes_from(values)),
        "#settings-heading",
    )


@router.post("/calls/{slug}/documents")
async def upload_document(
    request: Request,
    slug: str,
    file: Annotated[UploadFile | None, File()] = None,
    kind: FormText = "guidelines",
    actor: Actor = Depends(permission("program.call.manage")),
) -> Response:
    settings = request.app.state.settings
    content = await file.read(settings.attachment_max_bytes + 1) if file is not None else b""
    filename = (file.filename or "") if file is not None else ""

    def save(session: Session) -> None:
        call_setup.add_document(session, actor, settings, slug, kind, filename, content)

    return await _call_form(request, actor, slug, FormState("document", {"kind": kind, "file": ""}), save, "#documents")


@router.get("/calls/{slug}/documents/{document_id}")
def download_document(
    request: Request, slug: str, document_id: int, _actor: Actor = Depends(permission("program.call.read"))
) -> Response:
    """A call document as it was uploaded (public, like the call)."""
    settings = request.app.state.settings
    with db(request).reading() as session:
        row = call_setup.document(session, slug, document_id)
        name, content_type = row.filename, row.content_type
        content = attachments.content_of(settings, row)
    disposition = f"attachment; filename*=UTF-8''{quote(name)}"
    return Response(content, media_type=content_type, headers={"content-disposition": disposition})


# ---------- selection tools ----------


RULINGS = {"eligible": True, "not_eligible": False, "check": None}


def _call_of(request: Request, application_id: int) -> str:
    """The slug of the application's call, whose page shows the tools (404 for an unknown application)."""
    with db(request).reading() as session:
        return calls.application_view(session, calls.application_by_id(session, application_id)).call


@router.post("/applications/{application_id}/eligibility")
async def rule_eligibility(
    request: Request, application_id: int, actor: Actor = Depends(permission("program.application.adopt"))
) -> Response:
    values = await typed(request)
    slug = _call_of(request, application_id)
    ruling = str(values.get("ruling", ""))

    def save(session: Session) -> None:
        if ruling not in RULINGS:
            raise InvalidInput(N_("Choose a ruling."), field="ruling")
        selection.override_eligibility(session, actor, application_id, RULINGS[ruling], str(values.get("reason", "")))

    form = FormState(f"ruling-{application_id}", values)
    return await _call_form(request, actor, slug, form, save, f"#tools-{application_id}")


@router.post("/applications/{application_id}/return")
async def return_for_correction(
    request: Request, application_id: int, actor: Actor = Depends(permission("program.call.manage"))
) -> Response:
    values = await typed(request)
    slug = _call_of(request, application_id)

    def save(session: Session) -> None:
        due = japan_moment(str(values.get("due_at", "")), "due_at")
        message = str(values.get("message", ""))
        selection.return_for_correction(session, actor, application_id, message, due, request.app.state.settings)

    form = FormState(f"return-{application_id}", values)
    return await _call_form(request, actor, slug, form, save, f"#tools-{application_id}")


@router.get("/calls/{slug}/scores.xlsx")
def scores_workbook(request: Request, slug: str, actor: Actor = Depends(permission("program.call.manage"))) -> Response:
    """The ranking and every score with its comment, for the selection committee."""
    with db(request).reading() as session:
        content = selection.scores_workbook(session, actor, slug)
    disposition = f'attachment; filename="scores-{slug}.xlsx"'
    return Response(content, media_type=XLSX, headers={"content-disposition": disposition})
