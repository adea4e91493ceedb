"""Monitoring reports: the MRV engine's result on monitoring data that c3p keeps, per JCM project and period.

A participant hands in monitoring files and calculation parameters for a registered JCM
project; c3p keeps the files by their SHA-256 (as attachments are kept), runs the engine of
the project's methodology on the kept copies and stores the result as the report. Nobody
types the numbers: a record handed in with the data is only compared, field by field, with
the recomputation. The registry numbers the periods and refuses an overlap or the same
inputs twice (:mod:`c3p.credits.rules.reports`). The project row is locked first, so two
submissions for one project queue. Verification is in :mod:`c3p.credits.verification`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pydantic import ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, Target, require
from c3p.credits import facts  # noqa: F401  (seals the reports this module writes)
from c3p.credits.rules.journal import canonical
from c3p.credits.rules.reports import (
    Period,
    check_claimed_reductions,
    check_new_period,
    check_record_matches,
    next_period_number,
)
from c3p.credits.rules.serials import check_period
from c3p.credits.schemas import FindingView, ReportView
from c3p.credits.store import begin_write
from c3p.credits.tables import CreditIssuance, MonitoringReport, VerificationFinding
from c3p.errors import Conflict, InvalidInput, NotFound
from c3p.messages import N_, Message
from c3p.schema import Schema
from c3p.settings import Settings
from c3p.stored_files import keep_file, kept
from c3p.workflow.tables import JcmProject

NO_REPORT = N_("no monitoring report %(report)s")
NO_JCM_PROJECT = N_("no JCM project %(slug)s")
#: what the engine reads (by extension)
DATA_SUFFIXES = (".csv", ".txt", ".xlsx", ".parquet", ".pq")


class MonitoringFile(NamedTuple):
    """A monitoring data file handed in: the name it was given and where it is now."""

    filename: str
    path: Path


class Calculation(Schema):
    """How the engine reads the data: parameters (the params.json object), column map, decimal mark."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    params: dict[str, Any] = Field(default_factory=dict)
    column_map: dict[str, str] = Field(default_factory=dict)
    decimal: Literal[".", ","] | None = None


def registered_project(session: Session, slug: str, *, lock: bool = False) -> JcmProject:
    """The JCM project ``slug`` of the pipeline, which must have its serial code (be registered)."""
    query = select(JcmProject).where(JcmProject.slug == slug)
    found = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if found is None:
        raise NotFound(Message(NO_JCM_PROJECT, {"slug": slug}), field="project")
    if not found.serial_code:
        refusal = N_("JCM project %(project)s is not registered yet; monitoring reports follow its registration")
        raise Conflict(Message(refusal, {"project": slug}), field="project")
    if not found.methodology_id:
        refusal = N_("JCM project %(project)s names no methodology; record it before reporting")
        raise Conflict(Message(refusal, {"project": slug}), field="project")
    return found


def _checked_files(files: Sequence[MonitoringFile]) -> list[MonitoringFile]:
    if not files:
        raise InvalidInput(N_("give at least one monitoring data file"), field="monitoring")
    for given in files:
        name = Path(given.filename or "").name
        if Path(name).suffix.lower() not in DATA_SUFFIXES:
            refusal = N_("%(name)s: monitoring data is CSV, xlsx or Parquet")
            raise InvalidInput(Message(refusal, {"name": name or "?"}), field="monitoring")
        if not given.path.is_file() or given.path.stat().st_size == 0:
            raise InvalidInput(Message(N_("%(name)s is empty."), {"name": name}), field="monitoring")
    return list(files)


def _keep(settings: Settings, files: Sequence[MonitoringFile]) -> list[dict[str, Any]]:
    """Keep the files; what the report says of each: name, SHA-256, size."""
    inputs = []
    for given in files:
        digest, size = keep_file(settings.attachments_dir, given.path)
        inputs.append({"filename": Path(given.filename).name, "sha256": digest, "size_bytes": size})
    return inputs


def input_sha256(methodology: str, inputs: Sequence[dict[str, Any]], calculation: Calculation) -> str:
    """One hash for everything the result depends on: methodology, file contents and parameters."""
    described = {
        "methodology": methodology,
        "files": sorted(i["sha256"] for i in inputs),
        "calculation": calculation.model_dump(mode="json"),
    }
    return hashlib.sha256(canonical(described).encode()).hexdigest()


def compute(
    settings: Settings, methodology_id: str, inputs: Sequence[dict[str, Any]], calculation: Calculation
) -> dict[str, Any]:
    """The engine's ex-post record on the kept input files (each read back and checked against its SHA-256)."""
    from c3p.mrv import catalog, engine, monitoring_report
    from c3p.mrv.params import CalculationParams

    methodology = catalog.get_methodology(methodology_id)
    params = CalculationParams.from_mapping(calculation.params)
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for number, given in enumerate(inputs):
            path = Path(folder) / str(number) / given["filename"]
            path.parent.mkdir()
            path.symlink_to(kept(settings.attachments_dir, given["sha256"]))
            paths.append(path)
        result = engine.calculate(methodology, paths, params, calculation.column_map, decimal=calculation.decimal)
    record = monitoring_report.monitoring_record(result, methodology)
    names = {str(path): given["filename"] for path, given in zip(paths, inputs, strict=True)}
    files = record["provenance"]["input_files"]
    record["provenance"]["input_files"] = {names.get(path, path): digest for path, digest in files.items()}
    return record


def _periods(session: Session, jcm_project_id: int) -> list[Period]:
    rows = session.scalars(select(MonitoringReport).where(MonitoringReport.jcm_project_id == jcm_project_id))
    return [Period(r.period_number, r.id, r.period_start, r.period_end, r.input_sha256) for r in rows]


def submit(
    session: Session,
    actor: Actor,
    settings: Settings,
    project: str,
    files: Sequence[MonitoringFile],
    calculation: Calculation,
    claimed: dict[str, Any] | None = None,
) -> ReportView:
    """Compute and store the monitoring report of registered JCM project ``project`` for the next period.

    ``claimed`` (a record the participant computed) is accepted only if it equals the recomputation.
    """
    jcm = registered_project(session, project)
    require(actor, "mrv.report.submit", Target.of(project=jcm.slug, country=jcm.country_iso3))
    inputs = _keep(settings, _checked_files(files))
    record = compute(settings, str(jcm.methodology_id), inputs, calculation)
    if claimed is not None:
        check_record_matches(claimed, record)
    check_claimed_reductions(record["emission_reductions_tco2"])
    # the engine ran without locks; now submissions of the project queue (SQLite: the write lock)
    begin_write(session)
    session.refresh(jcm, with_for_update=True)
    start, end = dt.date.fromisoformat(record["period_start"]), dt.date.fromisoformat(record["period_end"])
    digest = input_sha256(str(jcm.methodology_id), inputs, calculation)
    periods = _periods(session, jcm.id)
    check_new_period(periods, start, end, digest)
    report = MonitoringReport(
        jcm_project_id=jcm.id,
        project=jcm.slug,
        host_country=jcm.country_iso3,
        period_number=check_period(next_period_number(periods)),
        methodology_id=record["methodology_id"],
        methodology_version=str(record["provenance"]["methodology_version"]),
        period_start=start,
        period_end=end,
        emission_reductions_tco2=int(record["emission_reductions_tco2"]),
        record=record,
        inputs=inputs,
        params=calculation.model_dump(mode="json"),
        input_sha256=digest,
        status="submitted",
        submitted_by=actor.label,
        submitted_by_user_id=actor.user_id,
        submitted_by_organization=None if actor.system else actor.organization,
    )
    session.add(report)
    session.flush()
    return view(session, report)


def report_row(session: Session, report_id: int, *, lock: bool = False) -> MonitoringReport:
    report = session.get(MonitoringReport, report_id, with_for_update=lock)
    if report is None:
        raise NotFound(Message(NO_REPORT, {"report": report_id}))
    return report


def recompute(session: Session, settings: Settings, report_id: int) -> list[tuple[str, Any, Any]]:
    """Recompute a stored report from its kept inputs; the fields that differ (none: it holds)."""
    from c3p.credits.rules.reports import record_differences

    report = report_row(session, report_id)
    again = compute(settings, report.methodology_id, report.inputs, Calculation.model_validate(report.params))
    return record_differences(report.record, again)


def view(session: Session, report: MonitoringReport) -> ReportView:
    issued = session.scalar(
        select(func.coalesce(func.sum(CreditIssuance.credits), 0)).where(CreditIssuance.report_id == report.id)
    )
    findings = session.scalars(
        select(VerificationFinding).where(VerificationFinding.report_id == report.id).order_by(VerificationFinding.id)
    )
    return ReportView.model_validate(report).model_copy(
        update={"issued_credits": int(issued or 0), "findings": [FindingView.model_validate(f) for f in findings]}
    )


def list_reports(session: Session, project: str | None = None) -> list[ReportView]:
    query = select(MonitoringReport).order_by(MonitoringReport.id)
    if project:
        query = query.where(MonitoringReport.project == project)
    return [view(session, r) for r in session.scalars(query)]


def check(
    session: Session,
    actor: Actor,
    settings: Settings,
    project: str,
    files: Sequence[MonitoringFile],
    calculation: Calculation,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """What :func:`submit` would compute, stored nowhere but the kept files: (record, inputs).

    The participant sees the engine's findings and reductions before submitting the same inputs.
    """
    jcm = registered_project(session, project)
    require(actor, "mrv.report.submit", Target.of(project=jcm.slug, country=jcm.country_iso3))
    inputs = _keep(settings, _checked_files(files))
    return compute(settings, str(jcm.methodology_id), inputs, calculation), inputs
