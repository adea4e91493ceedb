"""Portal pages of the chain: monitoring reports of a JCM project, their verification, findings and issuance.

``/jcm-projects/{slug}/reports`` lists a project's reports; the Joint Committee or secretariat
assigns its TPE there, and a project participant uploads monitoring data: c3p keeps the files,
runs the MRV engine and shows the findings and reductions (*check*) before the participant
submits exactly those inputs (their checksums travel signed with the server's key, so nobody
swaps a file in between). ``/credits/reports/{id}`` shows one report with the forms of whoever
may act on it now (:mod:`c3p.credits.rules.chain`): the assigned TPE verifies and raises and
closes findings, the participant responds, the Joint Committee notifies the issuance with its
allocation. Every form posts with the CSRF token to a route guarded like its API twin, calls
the same service, and a refusal comes back as the page with what was typed and the problem by
its field, nothing changed. The workbook and the verification record download for the
project's parties.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from c3p.accounts.rules.policy import Actor
from c3p.credits import monitoring_reports, queries, report_queries, service, verification
from c3p.credits import schemas as v
from c3p.credits.monitoring_reports import Calculation, MonitoringFile
from c3p.credits.rules import chain
from c3p.credits.rules.authorizations import FirstTransfer
from c3p.credits.rules.holding_accounts import JAPAN, AccountKind
from c3p.credits.rules.journal import canonical
from c3p.credits.rules.reports import FindingKind
from c3p.errors import C3PError, Conflict, Forbidden, InvalidInput, NotFound
from c3p.messages import N_, Message
from c3p.schema import Schema
from c3p.stored_files import kept
from c3p.web.api.mrv import _save_upload
from c3p.web.auth import database, permission, secret_key, writing
from c3p.web.pages.forms import FormState, parse, typed
from c3p.web.pages.render import PageContext, page_only, redirect, render
from c3p.web.refusals import named
from c3p.web.routes import Router
from c3p.workflow.schemas import JcmProjectView
from c3p.workflow.service import jcm

router = Router(include_in_schema=False)
#: refusals that bring the form back (a role refused by the route guard shows the error page)
Refusal = (ValidationError, InvalidInput, Conflict, NotFound, Forbidden)
#: allocation lines the issuance form offers
ALLOCATION_LINES = 4
FINDING_KINDS = [str(kind) for kind in FindingKind]
CHECK_FIRST = N_("Check the monitoring data first; then submit what the check showed.")


class Checked(Schema):
    """The engine's result on uploaded monitoring data, and the signed inputs to submit it with."""

    record: dict[str, Any]
    inputs: list[dict[str, Any]]
    token: str
    signature: str


class ProjectReportsPage(PageContext):
    data: list[v.ReportView]
    project: JcmProjectView = page_only()
    may_submit: bool = page_only()
    may_assign: bool = page_only()
    checked: Checked | None = page_only(None)
    form: FormState = page_only(default_factory=FormState)


class ReportSteps(Schema):
    """Which of the report page's forms the reader may use now."""

    verify: bool = False
    raise_finding: bool = False
    respond: list[int] = []  # noqa: RUF012
    close: list[int] = []  # noqa: RUF012
    issue: bool = False
    download: bool = False
    issuable_tco2: int = 0


class ReportPage(PageContext):
    data: v.ReportView
    steps: ReportSteps = page_only()
    accounts: list[v.AccountView] = page_only()
    finding_kinds: list[str] = page_only()
    lines: int = page_only(ALLOCATION_LINES)
    form: FormState = page_only(default_factory=FormState)


def _status(error: Exception) -> int:
    return error.status if isinstance(error, C3PError) else 422


# ---------- a project's reports: assign the TPE, check and submit monitoring data ----------


def project_page_for(
    request: Request,
    actor: Actor,
    slug: str,
    form: FormState | None = None,
    status: int = 200,
    checked: Checked | None = None,
) -> Response:
    with database(request).reading() as session:
        row = jcm.jcm_by_slug(session, slug)
        project = jcm.jcm_view(session, row)
        facts = report_queries.project_facts(session, row)
        reports = monitoring_reports.list_reports(session, slug)
    registered = bool(project.serial_code and project.methodology_id)
    page = ProjectReportsPage(
        data=reports if actor.authenticated else [r.for_visitor() for r in reports],
        project=project,
        may_submit=registered and chain.may_submit(actor, facts),
        may_assign=registered and chain.may_assign_verifier(actor, facts),
        checked=checked,
        form=form or FormState(),
    )
    return render(request, "credits/project_reports.html", page, status=status)


@router.get("/jcm-projects/{slug}/reports", response_model=ProjectReportsPage)
def project_reports(request: Request, slug: str, actor: Actor = Depends(permission("jcm.project.read"))) -> Response:
    return project_page_for(request, actor, slug)


@router.post("/jcm-projects/{slug}/verifier")
async def assign_verifier(
    request: Request, slug: str, actor: Actor = Depends(permission("jcm.verifier.assign"))
) -> Response:
    values = await typed(request)
    form = FormState("verifier", values)

    def run() -> Response:
        try:
            if not values.get("tpe"):
                raise InvalidInput(N_("Name the TPE's organization."), field="tpe")
            with writing(request, actor) as session:
                jcm.assign_verifier(session, actor, slug, str(values["tpe"]))
        except Refusal as error:
            error = named(request, error)
            return project_page_for(request, actor, slug, form.add(error, ["tpe"]), _status(error))
        return redirect(f"/jcm-projects/{slug}/reports?assigned=1")

    return await run_in_threadpool(run)


def _sign(request: Request, token: str) -> str:
    key = secret_key(request.app.state.settings)
    return hmac.new(key, b"monitoring-check|" + token.encode(), hashlib.sha256).hexdigest()


def _calculation(values: dict[str, Any]) -> Calculation:
    """The engine's parameters as typed: a params.json object, the period's dates, column map, decimal mark."""
    try:
        params = json.loads(values.get("params") or "{}")
    except json.JSONDecodeError as error:
        refusal = Message(N_("The parameters are not valid JSON: %(reason)s"), {"reason": error.msg})
        raise InvalidInput(refusal, field="params") from None
    if not isinstance(params, dict):
        raise InvalidInput(N_('The parameters are a JSON object, e.g. {"EF_RE,i": {…}}.'), field="params")
    if values.get("period_start") or values.get("period_end"):
        params["period"] = {"start": values.get("period_start", ""), "end": values.get("period_end", "")}
    return Calculation.model_validate({"params": params, "decimal": values.get("decimal") or None})


async def _uploads(request: Request, folder: Path) -> list[MonitoringFile]:
    form = await request.form()
    files = []
    limit = request.app.state.settings.mrv_upload_max_bytes
    for number, upload in enumerate(u for u in form.getlist("monitoring") if isinstance(u, UploadFile)):
        if not upload.filename:
            continue
        name = Path(upload.filename).name
        path = folder / f"{number}{Path(name).suffix.lower()}"
        await _save_upload(upload, path, limit)  # type: ignore[arg-type]  # Starlette's UploadFile reads alike
        files.append(MonitoringFile(name, path))
    return files


@router.post("/jcm-projects/{slug}/reports/check")
async def check_monitoring(
    request: Request, slug: str, actor: Actor = Depends(permission("mrv.report.submit"))
) -> Response:
    values = await typed(request)
    values.pop("monitoring", None)
    form = FormState("check", values)
    with tempfile.TemporaryDirectory() as folder:
        try:
            files = await _uploads(request, Path(folder))
        except InvalidInput as error:
            return project_page_for(request, actor, slug, form.add(error, ["monitoring"]), 422)

        def run() -> Response:
            try:
                calculation = _calculation(values)
                with database(request).reading() as session:
                    settings = request.app.state.settings
                    record, inputs = monitoring_reports.check(session, actor, settings, slug, files, calculation)
            except Refusal as error:
                error = named(request, error)
                return project_page_for(request, actor, slug, form.add(error, ["monitoring", "params"]), _status(error))
            signed = {"project": slug, "user": actor.user_id, "inputs": inputs, "calculation": calculation.model_dump()}
            token = base64.urlsafe_b64encode(canonical(signed).encode()).decode()
            checked = Checked(record=record, inputs=inputs, token=token, signature=_sign(request, token))
            return project_page_for(request, actor, slug, FormState("check", values), checked=checked)

        return await run_in_threadpool(run)


def _checked_inputs(
    request: Request, actor: Actor, slug: str, values: dict[str, Any]
) -> tuple[list[MonitoringFile], Calculation]:
    """The inputs a check showed, if the signature holds for this person and project."""
    token, signature = str(values.get("token", "")), str(values.get("signature", ""))
    if not token or not hmac.compare_digest(signature, _sign(request, token)):
        raise InvalidInput(CHECK_FIRST)
    signed = json.loads(base64.urlsafe_b64decode(token))
    if signed["project"] != slug or signed["user"] != actor.user_id:
        raise InvalidInput(CHECK_FIRST)
    folder = request.app.state.settings.attachments_dir
    files = [MonitoringFile(i["filename"], kept(folder, i["sha256"])) for i in signed["inputs"]]
    return files, Calculation.model_validate(signed["calculation"])


@router.post("/jcm-projects/{slug}/reports")
async def submit_report(
    request: Request, slug: str, actor: Actor = Depends(permission("mrv.report.submit"))
) -> Response:
    values = await typed(request)

    def run() -> Response:
        try:
            files, calculation = _checked_inputs(request, actor, slug, values)
            with writing(request, actor) as session:
                settings = request.app.state.settings
                report = monitoring_reports.submit(session, actor, settings, slug, files, calculation)
        except Refusal as error:
            error = named(request, error)
            return project_page_for(request, actor, slug, FormState("submit", values).add(error), _status(error))
        return redirect(f"/credits/reports/{report.id}?submitted=1")

    return await run_in_threadpool(run)


# ---------- one report: verification, findings, responses, issuance ----------


def _steps(actor: Actor, facts: chain.ReportFacts, readable: bool) -> ReportSteps:
    return ReportSteps(
        verify=chain.may_verify(actor, facts),
        raise_finding=chain.may_raise_finding(actor, facts),
        respond=[f.id for f in facts.findings if chain.may_respond(actor, facts, f)],
        close=[f.id for f in facts.findings if chain.may_close(actor, facts, f)],
        issue=chain.may_issue(actor, facts),
        download=readable,
        issuable_tco2=facts.issuable_tco2,
    )


def _may_read(session: Session, actor: Actor, report_id: int) -> bool:
    try:
        report_queries.require_reader(session, actor, report_id)
    except C3PError:
        return False
    return True


def report_page_for(
    request: Request, actor: Actor, report_id: int, form: FormState | None = None, status: int = 200
) -> Response:
    with database(request).reading() as session:
        report = monitoring_reports.view(session, monitoring_reports.report_row(session, report_id))
        facts = report_queries.report_facts(session, report_id)
        steps = _steps(actor, facts, _may_read(session, actor, report_id))
        registries = (JAPAN, report.host_country)
        accounts = (
            [a for a in queries.accounts(session) if a.registry in registries and AccountKind(a.kind).holding]
            if steps.issue
            else []
        )
    page = ReportPage(
        data=report if actor.authenticated else report.for_visitor(),
        steps=steps,
        accounts=accounts,
        finding_kinds=FINDING_KINDS,
        form=form or FormState(),
    )
    return render(request, "credits/report.html", page, status=status)


@router.get("/credits/reports/{report_id}", response_model=ReportPage)
def report_page(request: Request, report_id: int, actor: Actor = Depends(permission("jcm.project.read"))) -> Response:
    return report_page_for(request, actor, report_id)


class FormInput(Schema):
    model_config = ConfigDict(extra="ignore", frozen=True)


class VerificationForm(FormInput):
    verified_tco2: int = Field(ge=0)
    opinion: str = Field(min_length=1)


class FindingForm(FormInput):
    kind: str
    text: str = Field(min_length=1)


class ResponseForm(FormInput):
    response: str = Field(min_length=1)


class IssuanceForm(FormInput):
    notification_ref: str = Field(min_length=1, max_length=80)
    credits: int = Field(ge=1)
    authorized: bool = False
    first_transfer: FirstTransfer | None = None  # the notice's own type: the API's choices, no others
    model_project: bool = False


async def _report_form(
    request: Request,
    actor: Actor,
    report_id: int,
    name: str,
    act: Callable[[Session, dict[str, Any]], str],
) -> Response:
    """Run ``act`` on the typed form in one unit of work; redirect where it says, or show the page again."""
    values = await typed(request)
    form = FormState(name, values)

    def run() -> Response:
        try:
            with writing(request, actor) as session:
                target = act(session, values)
        except Refusal as error:
            error = named(request, error)
            return report_page_for(request, actor, report_id, form.add(error), _status(error))
        return redirect(target)

    return await run_in_threadpool(run)


def _shown(report_id: int, anchor: str) -> str:
    return f"/credits/reports/{report_id}?saved={anchor}#{anchor}-heading"


@router.post("/credits/reports/{report_id}/verification")
async def verify_report(
    request: Request, report_id: int, actor: Actor = Depends(permission("mrv.report.verify"))
) -> Response:
    def act(session: Session, values: dict[str, Any]) -> str:
        data = parse(VerificationForm, values, numbers=("verified_tco2",))
        verification.verify(session, actor, report_id, data.verified_tco2, data.opinion)
        return _shown(report_id, "verification")

    return await _report_form(request, actor, report_id, "verification", act)


@router.post("/credits/reports/{report_id}/findings")
async def raise_finding(
    request: Request, report_id: int, actor: Actor = Depends(permission("mrv.report.verify"))
) -> Response:
    def act(session: Session, values: dict[str, Any]) -> str:
        data = parse(FindingForm, values)
        verification.raise_finding(session, actor, report_id, data.kind, data.text)
        return _shown(report_id, "findings")

    return await _report_form(request, actor, report_id, "finding", act)


def _finding_of(session: Session, report_id: int, finding_id: int) -> None:
    """The finding is one of this report's (a URL naming another report's finding is unknown)."""
    if finding_id not in {f.id for f in report_queries.report_facts(session, report_id).findings}:
        raise NotFound(f"no finding {finding_id} on monitoring report {report_id}")


@router.post("/credits/reports/{report_id}/findings/{finding_id}/response")
async def respond(
    request: Request, report_id: int, finding_id: int, actor: Actor = Depends(permission("mrv.report.submit"))
) -> Response:
    def act(session: Session, values: dict[str, Any]) -> str:
        _finding_of(session, report_id, finding_id)
        data = parse(ResponseForm, values)
        verification.respond(session, actor, finding_id, data.response)
        return _shown(report_id, "findings")

    return await _report_form(request, actor, report_id, f"response-{finding_id}", act)


@router.post("/credits/reports/{report_id}/findings/{finding_id}/close")
async def close_finding(
    request: Request, report_id: int, finding_id: int, actor: Actor = Depends(permission("mrv.report.verify"))
) -> Response:
    def act(session: Session, values: dict[str, Any]) -> str:
        _finding_of(session, report_id, finding_id)
        verification.close(session, actor, finding_id)
        return _shown(report_id, "findings")

    return await _report_form(request, actor, report_id, f"close-{finding_id}", act)


def _notice(report_id: int, values: dict[str, Any]) -> v.IssuanceNotice:
    """The Joint Committee's notification as typed: reference, credits, flags and the filled allocation lines."""
    flags = {name: "true" if values.get(name) else "false" for name in ("authorized", "model_project")}
    data = parse(IssuanceForm, {**values, **flags}, numbers=("credits",))
    lines = []
    for number in range(1, ALLOCATION_LINES + 1):
        account, credits = values.get(f"account_{number}", ""), values.get(f"credits_{number}", "")
        if account or credits:
            lines.append(_line(number, account, credits))
    if not lines:
        raise InvalidInput(N_("Allocate the credits to at least one account."), field="account_1")
    return v.IssuanceNotice(
        notification_ref=data.notification_ref,
        report_id=report_id,
        credits=data.credits,
        allocation=tuple(v.AllocationLine(**line) for line in lines),
        authorized=data.authorized,
        first_transfer=data.first_transfer,
        model_project=data.model_project,
    )


class _LineForm(FormInput):
    account: str = Field(min_length=1)
    credits: int = Field(ge=1)


def _line(number: int, account: str, credits: str) -> dict[str, Any]:
    """Allocation line ``number``; a problem is placed by the line's own field."""
    try:
        line = parse(_LineForm, {"account": account, "credits": credits}, numbers=("credits",))
    except ValidationError as error:
        name = str(error.errors()[0]["loc"][0])
        refusal = N_("Give the account number.") if name == "account" else N_("Enter a whole number, at least 1.")
        raise InvalidInput(refusal, field=f"{name}_{number}") from None
    return {"account": line.account.upper(), "credits": line.credits}


@router.post("/credits/reports/{report_id}/issuance")
async def issue(request: Request, report_id: int, actor: Actor = Depends(permission("credits.issue"))) -> Response:
    def act(session: Session, values: dict[str, Any]) -> str:
        issued = service.issue(session, actor, _notice(report_id, values))
        return f"/credits/reports/{report_id}?issued={issued.id}#issuance-heading"

    return await _report_form(request, actor, report_id, "issuance", act)


# ---------- downloads for the project's parties ----------


@router.get("/credits/reports/{report_id}/workbook.xlsx")
def download_workbook(
    request: Request, report_id: int, actor: Actor = Depends(permission("mrv.report.read"))
) -> Response:
    with database(request).reading() as session:
        report = report_queries.require_reader(session, actor, report_id)
        content = report_queries.workbook(report)
        name = f"monitoring-report-{report.project}-period-{report.period_number}.xlsx"
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(content, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'})


@router.get("/credits/reports/{report_id}/verification.json")
def download_verification(
    request: Request, report_id: int, actor: Actor = Depends(permission("mrv.report.read"))
) -> Response:
    with database(request).reading() as session:
        report = report_queries.require_reader(session, actor, report_id)
        record = report_queries.verification_record(session, report)
        name = f"verification-{report.project}-period-{report.period_number}.json"
    content = json.dumps(record, ensure_ascii=False, indent=2)
    headers = {"content-disposition": f'attachment; filename="{name}"'}
    return Response(content, media_type="application/json", headers=headers)
