"""Reads of the chain from monitoring report to issuance, for the portal pages and "my tasks".

The facts of a report or a registered JCM project are read here and handed to the pure rules
of :mod:`c3p.credits.rules.chain`, which say which steps an actor may take. The monitoring
workbook is rebuilt from the stored record (the engine's own result on the kept inputs), and
the verification record is the report's verification, findings and inputs as JSON; both are
for the project's parties (action ``mrv.report.read``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, Target, require
from c3p.accounts.rules.tasks import Task
from c3p.credits.monitoring_reports import report_row, view
from c3p.credits.queries import proposal_facts
from c3p.credits.rules.approvals import approval_tasks
from c3p.credits.rules.chain import FindingFacts, ProjectFacts, ReportFacts, project_tasks, report_tasks
from c3p.credits.rules.reports import FindingStatus, Party, ReportStatus
from c3p.credits.tables import CreditIssuance, MonitoringReport, VerificationFinding
from c3p.workflow.tables import JcmProject

#: the record's keys that are not the engine's result itself
RECORD_WRAPPING = ("kind", "methodology", "equations")


def _assigned_tpe(session: Session, report: MonitoringReport) -> str | None:
    jcm = session.get(JcmProject, report.jcm_project_id) if report.jcm_project_id else None
    return jcm.verifier_slug if jcm else None


def _facts(report: MonitoringReport, tpe: str | None, issued: int, findings: list[VerificationFinding]) -> ReportFacts:
    return ReportFacts(
        id=report.id,
        project=report.project,
        host_country=report.host_country,
        period_number=report.period_number,
        status=report.status,
        assigned_tpe=tpe,
        submitter=Party(report.submitted_by_user_id, report.submitted_by_organization),
        verifier=Party(report.verified_by_user_id, report.verified_by_organization),
        verified_tco2=report.verified_tco2,
        issued_credits=issued,
        findings=tuple(FindingFacts(f.id, f.kind, f.status == FindingStatus.open, bool(f.response)) for f in findings),
    )


def _issued(session: Session, report_ids: list[int]) -> dict[int, int]:
    query = (
        select(CreditIssuance.report_id, func.sum(CreditIssuance.credits))
        .where(CreditIssuance.report_id.in_(report_ids))
        .group_by(CreditIssuance.report_id)
    )
    return {report_id: int(total or 0) for report_id, total in session.execute(query)}


def _findings(session: Session, report_ids: list[int]) -> dict[int, list[VerificationFinding]]:
    found: dict[int, list[VerificationFinding]] = {i: [] for i in report_ids}
    query = select(VerificationFinding).where(VerificationFinding.report_id.in_(report_ids))
    for finding in session.scalars(query.order_by(VerificationFinding.id)):
        found[finding.report_id].append(finding)
    return found


def report_facts(session: Session, report_id: int) -> ReportFacts:
    report = report_row(session, report_id)
    return _facts(
        report,
        _assigned_tpe(session, report),
        _issued(session, [report.id]).get(report.id, 0),
        _findings(session, [report.id])[report.id],
    )


def project_facts(session: Session, jcm: JcmProject) -> ProjectFacts:
    count = select(func.count()).where(MonitoringReport.jcm_project_id == jcm.id)
    return ProjectFacts(jcm.slug, jcm.country_iso3, jcm.verifier_slug, int(session.scalar(count) or 0))


def tasks_of(session: Session, actor: Actor) -> list[Task]:
    """The chain steps that are ``actor``'s to take now, from the rules that allow each step."""
    if not actor.authenticated:
        return []
    registered = session.scalars(select(JcmProject).where(JcmProject.serial_code.is_not(None)).order_by(JcmProject.id))
    projects = [project_facts(session, jcm) for jcm in registered]
    tpes = {p.slug: p.assigned_tpe for p in projects}
    open_reports = list(
        session.scalars(
            select(MonitoringReport)
            .where(MonitoringReport.status.in_([ReportStatus.submitted, ReportStatus.verified, ReportStatus.used]))
            .order_by(MonitoringReport.id)
        )
    )
    ids = [r.id for r in open_reports]
    issued, findings = _issued(session, ids), _findings(session, ids)
    facts = [_facts(r, tpes.get(r.project), issued.get(r.id, 0), findings[r.id]) for r in open_reports]
    proposals = [found for found, _at, _serial in proposal_facts(session)]
    return [*project_tasks(actor, projects), *report_tasks(actor, facts), *approval_tasks(actor, proposals)]


def require_reader(session: Session, actor: Actor, report_id: int) -> MonitoringReport:
    """The report, if ``actor`` is one of its project's parties (participants, assigned TPE, JC, registry)."""
    report = report_row(session, report_id)
    tpe = _assigned_tpe(session, report)
    target = Target.of(project=report.project, country=report.host_country, organization=tpe)
    require(actor, "mrv.report.read", target)
    return report


def workbook(report: MonitoringReport) -> bytes:
    """The monitoring workbook (xlsx) of a stored report, built from its record."""
    from c3p.mrv import catalog
    from c3p.mrv.monitoring_report import write_workbook
    from c3p.mrv.results import CalculationResult

    result = CalculationResult.model_validate({k: v for k, v in report.record.items() if k not in RECORD_WRAPPING})
    methodology = catalog.get_methodology(report.methodology_id, report.methodology_version)
    with tempfile.TemporaryDirectory() as folder:
        path = write_workbook(result, methodology, Path(folder) / "report.xlsx")
        return path.read_bytes()


def verification_record(session: Session, report: MonitoringReport) -> dict[str, Any]:
    """The verification as a record: the report's figures, who verified, amount, opinion and findings."""
    shown = view(session, report)
    return {
        "kind": "jcm-verification-record",
        "report": shown.model_dump(mode="json", exclude={"findings"}),
        "verified_at": report.verified_at.isoformat() if report.verified_at else None,
        "findings": [f.model_dump(mode="json") for f in shown.findings],
        "assigned_tpe": _assigned_tpe(session, report),
    }
