"""The chain from monitoring data to credits, on both backends: one JCM project from the pipeline
to the registry, reports computed from kept data, periods that never overlap, verification by
the assigned TPE only, and the issuance cap per period across notices, also under concurrency.

Each test tries one of the breaks found on the landed main (issue 11) and checks that it is
refused with a clear error and that nothing changed.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from c3p.accounts.rules.policy import Actor
from c3p.credits import monitoring_reports, queries, service, verification
from c3p.credits.schemas import IssuanceNotice, IssuanceView
from c3p.credits.tables import CreditIssuance, MonitoringReport, VerificationFinding
from c3p.credits.verify import verify
from c3p.errors import C3PError, Conflict, Forbidden, InvalidInput, NotFound
from c3p.mrv import catalog, engine
from c3p.mrv.monitoring_report import monitoring_record
from c3p.mrv.params import CalculationParams
from c3p.program.tables import Partnership, Project
from c3p.stored_files import kept
from c3p.workflow.service import jcm
from c3p.workflow.tables import JcmProjectLink
from tests.support.credits import (
    OPERATOR,
    PROJECT,
    TPE,
    Registry,
    create_jcm_project,
    create_report,
    monitoring_data,
    submit_report,
)
from tests.support.workflow import create_person

JAN_1, JAN_31 = dt.date(2025, 1, 1), dt.date(2025, 1, 31)


def counts(registry: Registry) -> dict[str, Any]:
    """What a refused command must leave as it was."""
    with registry.database.reading() as session:
        return {
            table.__tablename__: session.scalar(select(func.count()).select_from(table))
            for table in (MonitoringReport, CreditIssuance, VerificationFinding)
        } | {"balances": [(a.number, a.balance_credits) for a in queries.accounts(session)]}


def notice(report_id: int, ref: str, allocation: dict[str, int]) -> IssuanceNotice:
    return IssuanceNotice.model_validate(
        {
            "notification_ref": ref,
            "report_id": report_id,
            "credits": sum(allocation.values()),
            "allocation": [{"account": a, "credits": c} for a, c in allocation.items()],
        }
    )


def issue(registry: Registry, report_id: int, ref: str, credits: int, actor: Actor = OPERATOR) -> IssuanceView:
    with registry.database.unit_of_work() as session:
        return service.issue(session, actor, notice(report_id, ref, {registry.jp_gov: credits}))


# ---------------------------------------------------------------- periods and the same input twice


def test_the_same_monitoring_data_cannot_back_a_second_period(registry: Registry) -> None:
    first = submit_report(registry.database, registry.settings, 1918, JAN_1, JAN_31)
    before = counts(registry)
    with pytest.raises(Conflict, match=f"already reported as period 1 \\(monitoring report {first.id}\\)"):
        submit_report(registry.database, registry.settings, 1918, JAN_1, JAN_31)
    assert counts(registry) == before


def test_an_overlapping_period_is_refused_naming_the_earlier_report(registry: Registry) -> None:
    first = submit_report(registry.database, registry.settings, 1000, JAN_1, JAN_31)
    before = counts(registry)
    for start, end in ((dt.date(2025, 1, 31), dt.date(2025, 2, 28)), (dt.date(2024, 12, 1), dt.date(2025, 1, 1))):
        with pytest.raises(Conflict, match=f"overlaps period 1 .* of monitoring report {first.id}"):
            submit_report(registry.database, registry.settings, 999, start, end)
    assert counts(registry) == before


def test_periods_are_numbered_by_the_registry(registry: Registry) -> None:
    later = submit_report(registry.database, registry.settings, 10, dt.date(2025, 6, 1), dt.date(2025, 6, 30))
    earlier = submit_report(registry.database, registry.settings, 20, JAN_1, JAN_31)
    assert (later.period_number, earlier.period_number) == (1, 2)


def test_issuance_per_period_never_exceeds_the_verified_amount_across_notices(registry: Registry) -> None:
    report_id = create_report(registry, 1000, verified=600)
    issue(registry, report_id, "JC-1", 400)
    before = counts(registry)
    with pytest.raises(Conflict, match="only 200 verified reductions left \\(600 tCO2 verified, 400 issued\\)"):
        issue(registry, report_id, "JC-2", 201)
    assert counts(registry) == before
    issue(registry, report_id, "JC-3", 200)


def test_two_concurrent_notices_on_one_period_issue_at_most_the_verified_amount(registry: Registry) -> None:
    report_id = create_report(registry, 1000)
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def notify(ref: str) -> None:
        start.wait()
        try:
            outcomes.append(issue(registry, report_id, ref, 600))
        except C3PError as error:
            outcomes.append(error)

    threads = [threading.Thread(target=notify, args=(f"JC-RACE-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "IssuanceView"]
    with registry.database.reading() as session:
        assert session.scalar(select(func.sum(CreditIssuance.credits))) == 600
        assert verify(session).ok


# ---------------------------------------------------------------- reports computed, not typed


def _local_record(registry: Registry, reductions: int) -> dict[str, Any]:
    """The record a participant computes on its own machine from the same data."""
    files, calculation = monitoring_data(registry.settings.data_dir / "mine", reductions, JAN_1, JAN_31)
    methodology = catalog.get_methodology("VN_AM007")
    params = CalculationParams.from_mapping(calculation.params)
    return monitoring_record(engine.calculate(methodology, [files[0].path], params), methodology)


@pytest.mark.parametrize(
    ("field", "edit"),
    [
        ("emission_reductions_tco2", lambda r: r.update(emission_reductions_tco2=r["emission_reductions_tco2"] * 10)),
        ("period_start", lambda r: r.update(period_start="2024-12-01")),
        ("provenance.input_files", lambda r: r["provenance"].update(input_files={"x.csv": "0" * 64})),
    ],
)
def test_a_record_edited_by_hand_is_refused_naming_the_difference(registry: Registry, field: str, edit) -> None:  # type: ignore[no-untyped-def]
    record = _local_record(registry, 1918)
    claimed_value = None
    edit(record)
    before = counts(registry)
    with pytest.raises(InvalidInput) as refused:
        submit_report(registry.database, registry.settings, 1918, JAN_1, JAN_31, claimed=record)
    differences = refused.value.extra["differences"]
    assert [d["field"] for d in differences] == [field], differences
    claimed_value = differences[0]["claimed"]
    assert claimed_value != differences[0]["recomputed"] and "claimed" in refused.value.detail
    assert counts(registry) == before


def test_an_unedited_record_is_accepted_and_the_report_recomputes_from_its_kept_data(registry: Registry) -> None:
    record = _local_record(registry, 1918)
    report = submit_report(registry.database, registry.settings, 1918, JAN_1, JAN_31, claimed=record)
    assert report.emission_reductions_tco2 == 1918 and report.inputs[0]["sha256"]
    assert kept(registry.settings.attachments_dir, report.inputs[0]["sha256"]).stat().st_size > 0
    with registry.database.reading() as session:
        assert monitoring_reports.recompute(session, registry.settings, report.id) == []


# ---------------------------------------------------------------- one identity for a JCM project


def test_a_pipeline_project_with_a_long_slug_works_end_to_end(registry: Registry) -> None:
    slug = "vn-cantho-rooftop-pv"
    code = create_jcm_project(registry.database, registry.settings, slug=slug, serial_code=None)
    assert code == "VN001"  # the host country's first free code (vn-007 holds VN007)
    with registry.database.unit_of_work() as session:
        partnership = Partnership(
            slug="kitakyushu-cantho",
            country_iso3="VNM",
            partner_entry_ja="カントー市",
            japan_entry_ja="北九州市",
            in_fy2025=True,
            source="test",
        )
        session.add(partnership)
        session.flush()
        project = Project(
            slug="fy2025-99",
            fiscal_year=2025,
            number=99,
            partnership_id=partnership.id,
            title_ja="",
            title_en="",
            summary_ja="",
            summary_en="",
            source="test",
        )
        session.add(project)
        session.flush()
        session.add(JcmProjectLink(jcm_project_id=jcm.jcm_by_slug(session, slug).id, project_id=project.id))
    report = submit_report(registry.database, registry.settings, 500, JAN_1, JAN_31, project=slug)
    assert (report.project, report.host_country) == (slug, "VNM")
    with registry.database.unit_of_work() as session:
        verification.verify(session, OPERATOR, report.id, 500, "fairly stated")
    issued = issue(registry, report.id, "JC-CANTHO-1", 500)
    assert issued.serial_code == "VN001" and issued.project == slug
    assert issued.serials == ["JCM-JPN-VNM-VN001-001-000000000001-000000000500"]
    with registry.database.reading() as session:
        total = next(t for t in queries.project_totals(session) if t.project == slug)
        assert (total.serial_code, total.program_projects, total.partnerships) == (
            "VN001",
            ["fy2025-99"],
            ["kitakyushu-cantho"],
        )
        holder = queries.holder_of(session, "JCM-JPN-VNM-VN001-001-000000000001")
        assert holder.account == registry.jp_gov


def test_a_report_names_a_registered_jcm_project_and_takes_its_host_country(registry: Registry) -> None:
    before = counts(registry)
    with pytest.raises(NotFound, match="no JCM project vn-other-name"):
        submit_report(registry.database, registry.settings, 100, JAN_1, project="vn-other-name")
    with registry.database.unit_of_work() as session:
        jcm.create_jcm_project(session, OPERATOR, jcm.NewJcmProject(slug="vn-unregistered", country_iso3="VNM"))
    with pytest.raises(Conflict, match="not registered yet"):
        submit_report(registry.database, registry.settings, 100, JAN_1, project="vn-unregistered")
    assert counts(registry) == before
    with registry.database.reading() as session:
        report = monitoring_reports.list_reports(session)
    assert report == []


def test_the_serial_code_is_checked_at_registration(registry: Registry) -> None:
    for wanted, error, message in (
        ("vn-001", InvalidInput, "upper-case letters"),
        ("X" * 17, InvalidInput, "1-16"),
        ("VN007", Conflict, "belongs to another JCM project"),
    ):
        with pytest.raises(error, match=message):
            create_jcm_project(registry.database, registry.settings, slug=f"vn-bad-{len(wanted)}", serial_code=wanted)
        with registry.database.reading() as session:
            assert session.scalar(select(func.count()).where(MonitoringReport.project == f"vn-bad-{len(wanted)}")) == 0


# ---------------------------------------------------------------- verification as a record


def _participant(registry: Registry, organization: str = "acme-vn") -> Actor:
    return create_person(registry.database, "project_participant", PROJECT, organization=organization).actor(
        registry.database
    )


def _tpe(registry: Registry, organization: str = TPE) -> Actor:
    return create_person(registry.database, "tpe", organization=organization).actor(registry.database)


def _verify(registry: Registry, actor: Actor, report_id: int, verified: int, opinion: str = "fair") -> None:
    with registry.database.unit_of_work() as session:
        verification.verify(session, actor, report_id, verified, opinion)


def test_only_the_assigned_tpe_verifies(registry: Registry) -> None:
    report = submit_report(registry.database, registry.settings, 300, JAN_1, actor=_participant(registry))
    before = counts(registry)
    with pytest.raises(Forbidden):
        _verify(registry, _tpe(registry, "another-tpe"), report.id, 300)
    assert counts(registry) == before
    _verify(registry, _tpe(registry), report.id, 280, "fairly stated, one meter replaced")
    with registry.database.reading() as session:
        found = monitoring_reports.view(session, monitoring_reports.report_row(session, report.id))
    assert (found.status, found.verified_tco2, found.verified_by_organization) == ("verified", 280, TPE)


def test_the_submitter_organization_never_verifies_its_own_report(registry: Registry) -> None:
    create_jcm_project(registry.database, registry.settings, slug="vn-own", serial_code=None, tpe="acme-vn")
    submitter = create_person(registry.database, "project_participant", "vn-own", organization="acme-vn")
    report = submit_report(
        registry.database, registry.settings, 300, JAN_1, actor=submitter.actor(registry.database), project="vn-own"
    )
    colleague = _tpe(registry, "acme-vn")  # another person of the submitter's organization, holding the TPE role
    with pytest.raises(Forbidden, match="submitted by you or your organization"):
        _verify(registry, colleague, report.id, 300)


def test_a_tpe_must_be_assigned_and_verifies_at_most_the_claim(registry: Registry) -> None:
    create_jcm_project(registry.database, registry.settings, slug="vn-no-tpe", serial_code=None, tpe=None)
    report = submit_report(registry.database, registry.settings, 300, JAN_1, project="vn-no-tpe")
    with pytest.raises(Conflict, match="no TPE is assigned"):
        _verify(registry, OPERATOR, report.id, 300)
    claimed = submit_report(registry.database, registry.settings, 300, JAN_1)
    for verified, message in ((301, "exceeds the claimed"), (-1, "at least 0")):
        with pytest.raises(InvalidInput, match=message):
            _verify(registry, OPERATOR, claimed.id, verified)
    with pytest.raises(InvalidInput, match="opinion"):
        _verify(registry, OPERATOR, claimed.id, 300, " ")


def test_an_open_corrective_action_request_holds_issuance_until_closed(registry: Registry) -> None:
    participant, tpe = _participant(registry), _tpe(registry)
    report = submit_report(registry.database, registry.settings, 800, JAN_1, actor=participant)
    with registry.database.unit_of_work() as session:
        car = verification.raise_finding(session, tpe, report.id, "corrective_action_request", "Meter M2 uncalibrated")
        verification.raise_finding(session, tpe, report.id, "forward_action_request", "Calibrate yearly")
        verification.verify(session, tpe, report.id, 800, "fair after correction")
    before = counts(registry)
    with pytest.raises(Conflict, match="1 open corrective action request"):
        issue(registry, report.id, "JC-CAR", 800)
    with pytest.raises(Conflict, match="no response"), registry.database.unit_of_work() as session:
        verification.close(session, tpe, car.id)
    assert counts(registry) == before
    with registry.database.unit_of_work() as session:
        verification.respond(session, participant, car.id, "Calibrated on 2025-02-03; certificate attached")
        closed = verification.close(session, tpe, car.id)
    assert (closed.status, closed.response[:10]) == ("closed", "Calibrated")
    assert issue(registry, report.id, "JC-CAR", 800).credits == 800


def test_the_verifier_never_issues(registry: Registry) -> None:
    report = submit_report(registry.database, registry.settings, 300, JAN_1, actor=_participant(registry))
    _verify(registry, _tpe(registry), report.id, 300)
    issuer = create_person(registry.database, "joint_committee_member", "VNM", organization=TPE).actor(
        registry.database
    )
    before = counts(registry)
    with pytest.raises(Forbidden, match="verified by you or your organization"):
        issue(registry, report.id, "JC-SELF", 300, actor=issuer)
    assert counts(registry) == before
    other = create_person(registry.database, "joint_committee_member", "VNM", organization="vn-jc").actor(
        registry.database
    )
    assert issue(registry, report.id, "JC-OTHER", 300, actor=other).credits == 300


def test_a_joint_committee_of_another_country_cannot_issue(registry: Registry) -> None:
    report_id = create_report(registry, 300)
    elsewhere = create_person(registry.database, "joint_committee_member", "THA", organization="th-jc").actor(
        registry.database
    )
    with pytest.raises(Forbidden):
        issue(registry, report_id, "JC-THA", 300, actor=elsewhere)


def test_two_concurrent_submissions_of_overlapping_periods_keep_one(registry: Registry) -> None:
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def submit(reductions: int) -> None:
        start.wait()
        try:
            outcomes.append(submit_report(registry.database, registry.settings, reductions, JAN_1, JAN_31))
        except C3PError as error:
            outcomes.append(error)

    threads = [threading.Thread(target=submit, args=(n,)) for n in (100, 200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "ReportView"]
    with registry.database.reading() as session:
        assert [r.period_number for r in monitoring_reports.list_reports(session)] == [1]


def test_absurd_reductions_are_refused_before_they_are_stored(registry: Registry) -> None:
    before = counts(registry)
    with pytest.raises(InvalidInput, match="whole number of tonnes up to"):
        submit_report(registry.database, registry.settings, 9 * 10**15, JAN_1, JAN_31)
    assert counts(registry) == before
