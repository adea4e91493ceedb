"""Test-data helpers for the credit registry: real rows through the real services (no mocks)."""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor
from c3p.accounts.service import members as account_svc
from c3p.credits import monitoring_reports, service, verification
from c3p.credits.monitoring_reports import Calculation, MonitoringFile
from c3p.credits.rules.authorizations import FirstTransfer
from c3p.credits.schemas import IssuanceNotice, IssuanceView, ReportView
from c3p.db.database import Database
from c3p.program.tables import Country
from c3p.settings import Settings
from c3p.workflow.service import jcm
from tests.support.workflow import PDF

OPERATOR = Actor.operator("test")
HOST = "VNM"
PROJECT = "vn-007"
SERIAL_CODE = "VN007"
#: the TPE organization assigned to verify the test project's monitoring reports
TPE = "tpe-vn"
#: the documents each step up to registration needs, and the steps
PIPELINE = (
    ("feasibility_study", None),
    ("model_project_application", "model_project_application"),
    ("adopted", "grant_decision"),
    ("installed", "commissioning_report"),
    ("pdd", None),
    ("validation", "pdd"),
    ("registration", "validation_report"),
)
COUNTRIES = {"JPN": ("JP", "日本", "Japan"), "VNM": ("VN", "ベトナム", "Viet Nam"), "THA": ("TH", "タイ", "Thailand")}


def create_countries(session: Session) -> None:
    for iso3, (iso2, name_ja, name_en) in COUNTRIES.items():
        if session.get(Country, iso3) is None:
            session.add(
                Country(
                    iso3=iso3, iso2=iso2, name_ja=name_ja, name_en=name_en, is_developing=iso3 != "JPN", source="test"
                )
            )
    session.flush()


def create_jcm_project(
    database: Database,
    settings: Settings,
    slug: str = PROJECT,
    serial_code: str | None = SERIAL_CODE,
    country: str = HOST,
    tpe: str | None = TPE,
    proposer: str = "",
    methodology: str = "VN_AM007",
) -> str:
    """A JCM project walked through the real pipeline up to its registration; its serial code."""
    with database.unit_of_work() as session:
        create_countries(session)
        new = jcm.NewJcmProject(
            slug=slug, title_en=slug, country_iso3=country, methodology_id=methodology, proposer_slug=proposer
        )
        jcm.create_jcm_project(session, OPERATOR, new)
        for state, document in PIPELINE:
            if document:
                jcm.add_document(session, OPERATOR, settings, slug, document, f"{document}.pdf", PDF)
            jcm.move(session, OPERATOR, slug, state, serial_code=serial_code if state == "registration" else None)
        if tpe:
            create_organization(session, tpe, "tpe")
            jcm.assign_verifier(session, OPERATOR, slug, tpe)
        return str(jcm.jcm_by_slug(session, slug).serial_code)


def monitoring_data(folder: Path, mwh: int, start: dt.date, end: dt.date) -> tuple[list[MonitoringFile], Calculation]:
    """Monitoring data of VN_AM007 worth ``mwh`` tCO2 (one reading, emission factor 1 tCO2/MWh)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"monitoring-{start}-{end}-{mwh}.csv"
    path.write_text(f'site_id,timestamp,parameter,value,unit\nS1,{start} 00:00,"EG_i,p",{mwh},MWh\n', encoding="utf-8")
    params = {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "EF_RE,i": {"value": 1, "unit": "tCO2/MWh"},
        "PC_i": {"value": 1e9, "unit": "kW"},
    }
    return [MonitoringFile(path.name, path)], Calculation(params=params)


def submit_report(
    database: Database,
    settings: Settings,
    reductions: int,
    start: dt.date,
    end: dt.date | None = None,
    actor: Actor = OPERATOR,
    project: str = PROJECT,
    claimed: dict[str, Any] | None = None,
) -> ReportView:
    """Monitoring data worth ``reductions`` tCO2 for ``start``..``end``, submitted through the real service."""
    files, calculation = monitoring_data(settings.data_dir / "uploads", reductions, start, end or start)
    with database.unit_of_work() as session:
        return monitoring_reports.submit(session, actor, settings, project, files, calculation, claimed)


@dataclass
class Registry:
    """Four holding accounts in the two registries of Japan and Viet Nam."""

    database: Database
    jp_gov: str
    jp_pp: str
    vn_gov: str
    vn_pp: str
    settings: Settings

    @property
    def holding(self) -> list[str]:
        return [self.jp_gov, self.jp_pp, self.vn_gov, self.vn_pp]


def create_organization(session, slug: str, kind: str = "company", country: str = "JPN") -> None:  # type: ignore[no-untyped-def]
    if account_svc.organization_by_slug(session, slug) is None:
        account_svc.create_organization(session, OPERATOR, slug, slug.upper(), kind)


def create_registry(database: Database, settings: Settings | None = None) -> Registry:
    """The two registries with four holding accounts, and the JCM project vn-007 registered (serial code VN007)."""
    settings = settings or Settings(data_dir=Path(tempfile.mkdtemp(prefix="c3p-credits-")))
    with database.unit_of_work() as session:
        for slug in ("moej", "vn-mone", "acme-jp", "acme-vn"):
            create_organization(session, slug)
        numbers = [
            service.open_account(session, OPERATOR, "JPN", "government_holding", "moej").number,
            service.open_account(session, OPERATOR, "JPN", "participant_holding", "acme-jp").number,
            service.open_account(session, OPERATOR, HOST, "government_holding", "vn-mone").number,
            service.open_account(session, OPERATOR, HOST, "participant_holding", "acme-vn").number,
        ]
    create_jcm_project(database, settings)
    return Registry(database, *numbers, settings)


def name_representative(database: Database, number: str, email: str) -> None:
    """Make ``email`` a representative of account ``number``, as its registry administrator would."""
    from c3p.credits import representatives  # here: the crash test's child imports this module on its own path

    with database.unit_of_work() as session:
        representatives.name_representative(session, OPERATOR, number, email)


def next_day(registry: Registry, project: str = PROJECT) -> dt.date:
    """The first day after the project's last monitoring period (one-day periods from 2025-01-01)."""
    with registry.database.reading() as session:
        last = max((r.period_end for r in monitoring_reports.list_reports(session, project)), default=None)
    return last + dt.timedelta(days=1) if last else dt.date(2025, 1, 1)


def create_report(registry: Registry, reductions: int, verify: bool = True, verified: int | None = None) -> int:
    """A report of the next one-day period, verified (by the operator) for ``verified`` or all of it."""
    report = submit_report(registry.database, registry.settings, reductions, next_day(registry))
    if verify:
        with registry.database.unit_of_work() as session:
            verification.verify(session, OPERATOR, report.id, reductions if verified is None else verified, "fair")
    return report.id


def create_issuance(
    registry: Registry,
    allocation: dict[str, int],
    ref: str = "JC-VN-001",
    report_id: int | None = None,
    authorized: bool = True,
    model_project: bool = True,
    first_transfer: FirstTransfer | None = None,
) -> IssuanceView:
    total = sum(allocation.values())
    report_id = report_id or create_report(registry, total)
    notice = IssuanceNotice(
        notification_ref=ref,
        report_id=report_id,
        credits=total,
        allocation=tuple({"account": a, "credits": c} for a, c in allocation.items()),  # type: ignore[misc]
        authorized=authorized,
        model_project=model_project,
        first_transfer=first_transfer,
    )
    with registry.database.unit_of_work() as session:
        return service.issue(session, OPERATOR, notice)


def transfer_worker(url: str, accounts: list[str], seed: int, transfers: int) -> tuple[int, int]:
    """One process of the concurrency test: random transfers with its own engine; (done, refused)."""
    import random

    from c3p.errors import C3PError

    rng = random.Random(seed)
    database = Database(url)
    done = refused = 0
    try:
        for _ in range(transfers):
            source, target = rng.sample(accounts, 2)
            try:
                with database.unit_of_work() as session:
                    service.transfer(session, OPERATOR, source, target, rng.randint(1, 40))
                done += 1
            except C3PError:
                refused += 1  # e.g. the account holds fewer credits than asked: nothing changed
    finally:
        database.dispose()
    return done, refused
