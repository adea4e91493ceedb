"""REST endpoints of monitoring reports and their verification under ``/api/v1/registry/reports``.

A report is submitted as monitoring data (multipart: the files, the parameters, optionally
the record the participant computed), kept and recomputed by the service; the assigned TPE
verifies it, raises findings and closes them; the participant responds. Each request is one
unit of work.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import ConfigDict, Field, ValidationError

from c3p.accounts.rules.policy import Actor
from c3p.credits import monitoring_reports, verification
from c3p.credits import schemas as v
from c3p.credits.monitoring_reports import Calculation, MonitoringFile
from c3p.errors import Conflict, Forbidden, InvalidInput, NotFound
from c3p.schema import Schema
from c3p.web.api.mrv import _save_upload
from c3p.web.auth import database, permission, resolve_actor, writing
from c3p.web.problems import problems
from c3p.web.routes import Router

router = Router(prefix="/registry/reports", tags=["monitoring reports"])


class Body(Schema):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VerificationBody(Body):
    verified_tco2: int = Field(strict=True, description="verified emission reductions, at most the claimed ones")
    opinion: str = Field(description="the TPE's verification opinion")


class FindingBody(Body):
    kind: str = Field(description="corrective_action_request, clarification_request or forward_action_request")
    text: str


class ResponseBody(Body):
    response: str


def _json_form(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(f"{name} is not valid JSON: {error.msg}", field=name) from None


def _calculation(params: str, column_map: str, decimal: str | None) -> Calculation:
    try:
        return Calculation.model_validate(
            {
                "params": _json_form(params, "params"),
                "column_map": _json_form(column_map, "column_map"),
                "decimal": decimal,
            }
        )
    except ValidationError as error:
        raise InvalidInput.from_validation(error) from None


@router.get("", response_model=list[v.ReportView], summary="Monitoring reports")
def list_reports(request: Request, project: str | None = None) -> list[v.ReportView]:
    with database(request).reading() as session:
        reports = monitoring_reports.list_reports(session, project)
    if resolve_actor(request).authenticated:
        return reports
    return [report.for_visitor() for report in reports]


@router.post(
    "",
    response_model=v.ReportView,
    status_code=201,
    responses=problems(NotFound, Conflict),
    summary="Submit monitoring data; the registry computes the report",
)
async def submit_report(
    request: Request,
    actor: Annotated[Actor, Depends(permission("mrv.report.submit"))],
    project: Annotated[str, Form(description="the registered JCM project's slug")],
    monitoring: Annotated[list[UploadFile], File(description="monitoring data: CSV, xlsx or Parquet")],
    params: Annotated[str, Form(description="the params.json object as text")] = "{}",
    column_map: Annotated[str, Form(description="canonical column → column in the files, as JSON")] = "{}",
    decimal: Annotated[Literal[".", ","] | None, Form(description="decimal mark of numbers in a CSV")] = None,
    record: Annotated[UploadFile | None, File(description="a record computed beforehand, to compare")] = None,
) -> v.ReportView:
    calculation = _calculation(params, column_map, decimal)
    claimed = _json_form((await record.read()).decode("utf-8", "replace"), "record") if record else None
    limit = request.app.state.settings.mrv_upload_max_bytes
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for number, upload in enumerate(monitoring):
            name = Path(upload.filename or "").name
            path = Path(folder) / f"{number}{Path(name).suffix.lower()}"
            await _save_upload(upload, path, limit)
            files.append(MonitoringFile(name, path))

        def submit() -> v.ReportView:
            with writing(request, actor) as session:
                settings = request.app.state.settings
                return monitoring_reports.submit(session, actor, settings, project, files, calculation, claimed)

        return await run_in_threadpool(submit)


@router.post(
    "/{report_id}/verification",
    response_model=v.ReportView,
    responses=problems(Conflict, Forbidden),
    summary="The assigned TPE records the verification",
)
def verify_report(
    request: Request,
    report_id: int,
    body: VerificationBody,
    actor: Annotated[Actor, Depends(permission("mrv.report.verify"))],
) -> v.ReportView:
    with writing(request, actor) as session:
        return verification.verify(session, actor, report_id, body.verified_tco2, body.opinion)


@router.post(
    "/{report_id}/findings",
    response_model=v.FindingView,
    status_code=201,
    responses=problems(Conflict, Forbidden),
    summary="The assigned TPE raises a finding",
)
def raise_finding(
    request: Request,
    report_id: int,
    body: FindingBody,
    actor: Annotated[Actor, Depends(permission("mrv.report.verify"))],
) -> v.FindingView:
    with writing(request, actor) as session:
        return verification.raise_finding(session, actor, report_id, body.kind, body.text)


@router.post(
    "/findings/{finding_id}/response",
    response_model=v.FindingView,
    responses=problems(Conflict),
    summary="The participant responds to a finding",
)
def respond(
    request: Request,
    finding_id: int,
    body: ResponseBody,
    actor: Annotated[Actor, Depends(permission("mrv.report.submit"))],
) -> v.FindingView:
    with writing(request, actor) as session:
        return verification.respond(session, actor, finding_id, body.response)


@router.post(
    "/findings/{finding_id}/close",
    response_model=v.FindingView,
    responses=problems(Conflict, Forbidden),
    summary="The assigned TPE closes a finding",
)
def close_finding(
    request: Request, finding_id: int, actor: Annotated[Actor, Depends(permission("mrv.report.verify"))]
) -> v.FindingView:
    with writing(request, actor) as session:
        return verification.close(session, actor, finding_id)
