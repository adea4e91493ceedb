"""Verification of monitoring reports, as a record: the assigned TPE's amount, opinion and findings.

Only the TPE the Joint Committee or secretariat assigned to the JCM project verifies its
reports, and never one submitted by the same person or organization. Verification records
the verified amount (at most the claimed reductions: it caps the period's issuance) and the
opinion. Findings are pinned to the report, each open until the TPE closes it; the
participant responds to them. Issuance waits while a corrective action request is open.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, Target, require
from c3p.credits.monitoring_reports import report_row, view
from c3p.credits.rules.reports import (
    FindingKind,
    FindingStatus,
    Party,
    ReportStatus,
    check_assigned_verifier,
    check_not_submitter,
    check_verified_amount,
    finding_kind,
    party,
)
from c3p.credits.schemas import FindingView, ReportView
from c3p.credits.store import begin_write
from c3p.credits.tables import MonitoringReport, VerificationFinding
from c3p.errors import Conflict, InvalidInput, NotFound
from c3p.messages import N_, Message
from c3p.workflow.tables import JcmProject


def _require_verifier(session: Session, actor: Actor, report: MonitoringReport) -> None:
    """The actor is the TPE assigned to the report's JCM project and did not submit it."""
    jcm = session.get(JcmProject, report.jcm_project_id) if report.jcm_project_id else None
    assigned = jcm.verifier_slug if jcm else None
    require(actor, "mrv.report.verify", Target.of(project=report.project, organization=assigned or actor.organization))
    check_assigned_verifier(actor.organization, assigned, actor.system, report.project)
    submitter = Party(report.submitted_by_user_id, report.submitted_by_organization)
    check_not_submitter(party(actor), submitter, report.id)


def verify(session: Session, actor: Actor, report_id: int, verified_tco2: int, opinion: str) -> ReportView:
    """Record the assigned TPE's verification: the verified amount and the opinion."""
    begin_write(session)
    report = report_row(session, report_id, lock=True)
    _require_verifier(session, actor, report)
    if report.status != ReportStatus.submitted:
        refusal = N_("monitoring report %(report)s is already %(status)s")
        raise Conflict(Message(refusal, {"report": report_id, "status": report.status}))
    check_verified_amount(verified_tco2, report.emission_reductions_tco2)
    if not opinion.strip():
        raise InvalidInput(N_("a verification states the TPE's opinion"), field="opinion")
    report.status, report.verified_at = str(ReportStatus.verified), dt.datetime.now(dt.UTC)
    report.verified_by, report.verified_by_user_id = actor.label, actor.user_id
    report.verified_by_organization = None if actor.system else actor.organization
    report.verified_tco2, report.opinion = verified_tco2, opinion.strip()
    session.flush()
    return view(session, report)


def raise_finding(session: Session, actor: Actor, report_id: int, kind: str, text: str) -> FindingView:
    """The assigned TPE pins a finding to a report not yet issued on."""
    found_kind: FindingKind = finding_kind(kind)
    report = report_row(session, report_id, lock=True)
    _require_verifier(session, actor, report)
    if report.status == ReportStatus.used:
        refusal = N_("monitoring report %(report)s was already issued on")
        raise Conflict(Message(refusal, {"report": report_id}))
    if not text.strip():
        raise InvalidInput(N_("a finding says what was found"), field="text")
    finding = VerificationFinding(
        report_id=report.id, kind=str(found_kind), text=text.strip(), status="open", raised_by=actor.label, response=""
    )
    session.add(finding)
    session.flush()
    return FindingView.model_validate(finding)


def _finding(session: Session, finding_id: int) -> tuple[VerificationFinding, MonitoringReport]:
    finding = session.get(VerificationFinding, finding_id, with_for_update=True)
    if finding is None:
        raise NotFound(Message(N_("no verification finding %(finding)s"), {"finding": finding_id}))
    return finding, report_row(session, finding.report_id)


def _check_open(finding: VerificationFinding) -> None:
    if finding.status != FindingStatus.open:
        raise Conflict(Message(N_("finding %(finding)s is already closed"), {"finding": finding.id}))


def respond(session: Session, actor: Actor, finding_id: int, response: str) -> FindingView:
    """The project participant answers an open finding."""
    finding, report = _finding(session, finding_id)
    require(actor, "mrv.report.submit", Target.of(project=report.project, country=report.host_country))
    _check_open(finding)
    if not response.strip():
        raise InvalidInput(N_("a response says what was done"), field="response")
    finding.response, finding.responded_by = response.strip(), actor.label
    finding.responded_at = dt.datetime.now(dt.UTC)
    session.flush()
    return FindingView.model_validate(finding)


def close(session: Session, actor: Actor, finding_id: int) -> FindingView:
    """The assigned TPE closes a finding; a corrective action request only after the participant responded."""
    finding, report = _finding(session, finding_id)
    _require_verifier(session, actor, report)
    _check_open(finding)
    if finding.kind == FindingKind.corrective_action_request and not finding.response:
        refusal = N_("corrective action request %(finding)s has no response from the participant yet")
        raise Conflict(Message(refusal, {"finding": finding_id}))
    finding.status, finding.closed_by, finding.closed_at = "closed", actor.label, dt.datetime.now(dt.UTC)
    session.flush()
    return FindingView.model_validate(finding)
