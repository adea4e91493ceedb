"""Monitoring reports: an MRV engine record submitted for a project and period, verified by a TPE.

A report moves submitted → verified → used (once an issuance draws on it). Its
``emission_reductions_tco2`` (whole tonnes, rounded down by the engine) caps what all the
issuance notifications on it may issue together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, Target, require
from c3p.credits.rules.journal import canonical
from c3p.credits.rules.serials import check_period
from c3p.credits.schemas import ReportView
from c3p.credits.tables import CreditIssuance, MonitoringReport
from c3p.errors import Conflict, InvalidInput, NotFound
from c3p.messages import N_, Message
from c3p.program.tables import Country

NO_REPORT = N_("no monitoring report %(report)s")


def _date(record: dict[str, Any], name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(record[name]))
    except (KeyError, ValueError):
        raise InvalidInput(f"the record has no valid {name} (YYYY-MM-DD)", field=name) from None


def host_country(session: Session, methodology_id: str) -> str:
    """The host country of a JCM methodology from its prefix (``VN_AM007`` → VNM)."""
    iso2 = methodology_id[:2].upper()
    found = session.scalars(select(Country.iso3).where(Country.iso2 == iso2)).first()
    if found is None:
        raise InvalidInput(f"cannot tell the host country of methodology {methodology_id}; give --host", field="host")
    return found


def submit(
    session: Session,
    actor: Actor,
    record: dict[str, Any],
    project: str,
    host: str | None = None,
    period_number: int | None = None,
) -> ReportView:
    """Store the ex-post record of ``c3p mrv calculate`` as the monitoring report of ``project``."""
    require(actor, "mrv.report.submit", Target.of(project=project))
    if record.get("kind") != "jcm-monitoring-report" or record.get("mode") != "ex-post":
        raise InvalidInput("not an ex-post monitoring record: use the JSON written by `c3p mrv calculate`")
    reductions = record.get("emission_reductions_tco2")
    if isinstance(reductions, bool) or not isinstance(reductions, int) or reductions < 0:
        raise InvalidInput("emission_reductions_tco2 must be a whole number of tonnes, at least 0")
    provenance = record.get("provenance") or {}
    methodology_id = str(provenance.get("methodology_id") or record.get("methodology_id") or "")
    if not methodology_id:
        raise InvalidInput("the record names no methodology")
    start, end = _date(record, "period_start"), _date(record, "period_end")
    if end < start:
        raise InvalidInput("the monitoring period ends before it starts")
    host = host or host_country(session, methodology_id)
    if period_number is not None:
        check_period(period_number)
    if period_number is None:
        count = session.scalar(select(func.count()).where(MonitoringReport.project == project)) or 0
        period_number = int(count) + 1
    if session.scalars(
        select(MonitoringReport).where(
            MonitoringReport.project == project, MonitoringReport.period_number == period_number
        )
    ).first():
        refusal = N_("project %(project)s already has a report for monitoring period %(period)s")
        raise Conflict(Message(refusal, {"project": project, "period": period_number}))
    report = MonitoringReport(
        project=project,
        host_country=host,
        period_number=period_number,
        methodology_id=methodology_id,
        methodology_version=str(provenance.get("methodology_version", "")),
        period_start=start,
        period_end=end,
        emission_reductions_tco2=reductions,
        record=record,
        input_sha256=hashlib.sha256(canonical(record).encode()).hexdigest(),
        status="submitted",
        submitted_by=actor.label,
    )
    session.add(report)
    session.flush()
    return view(session, report)


def verify(session: Session, actor: Actor, report_id: int) -> ReportView:
    """A TPE's verification: the report may now back an issuance."""
    report = session.get(MonitoringReport, report_id, with_for_update=True)
    if report is None:
        raise NotFound(Message(NO_REPORT, {"report": report_id}))
    require(actor, "mrv.report.verify", Target.of(organization=actor.organization))
    if report.status != "submitted":
        refusal = N_("monitoring report %(report)s is already %(status)s")
        raise Conflict(Message(refusal, {"report": report_id, "status": report.status}))
    report.status, report.verified_at, report.verified_by = "verified", dt.datetime.now(dt.UTC), actor.label
    session.flush()
    return view(session, report)


def view(session: Session, report: MonitoringReport) -> ReportView:
    issued = session.scalar(
        select(func.coalesce(func.sum(CreditIssuance.credits), 0)).where(CreditIssuance.report_id == report.id)
    )
    return ReportView.model_validate(report).model_copy(update={"issued_credits": int(issued or 0)})


def list_reports(session: Session, project: str | None = None) -> list[ReportView]:
    query = select(MonitoringReport).order_by(MonitoringReport.id)
    if project:
        query = query.where(MonitoringReport.project == project)
    return [view(session, r) for r in session.scalars(query)]
