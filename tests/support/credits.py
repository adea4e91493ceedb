"""Test-data helpers for the credit registry: real rows through the real services (no mocks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from c3p.accounts.rules.policy import Actor
from c3p.accounts.service import members as account_svc
from c3p.credits import monitoring_reports, service
from c3p.credits.schemas import IssuanceNotice, IssuanceView
from c3p.db.database import Database

OPERATOR = Actor.operator("test")
HOST = "VNM"
PROJECT = "vn-007"


def monitoring_record(reductions: int, start: str = "2025-01-01", end: str = "2025-12-31") -> dict[str, Any]:
    """The smallest record `c3p mrv calculate` could have written."""
    return {
        "kind": "jcm-monitoring-report",
        "mode": "ex-post",
        "methodology_id": "VN_AM007",
        "period_start": start,
        "period_end": end,
        "emission_reductions_tco2": reductions,
        "provenance": {"methodology_id": "VN_AM007", "methodology_version": "1.0", "input_files": {}},
    }


@dataclass
class Registry:
    """Four holding accounts in the two registries of Japan and Viet Nam."""

    database: Database
    jp_gov: str
    jp_pp: str
    vn_gov: str
    vn_pp: str

    @property
    def holding(self) -> list[str]:
        return [self.jp_gov, self.jp_pp, self.vn_gov, self.vn_pp]


def create_organization(session, slug: str, kind: str = "company", country: str = "JPN") -> None:  # type: ignore[no-untyped-def]
    if account_svc.organization_by_slug(session, slug) is None:
        account_svc.create_organization(session, OPERATOR, slug, slug.upper(), kind)


def create_registry(database: Database) -> Registry:
    with database.unit_of_work() as session:
        for slug in ("moej", "vn-mone", "acme-jp", "acme-vn"):
            create_organization(session, slug)
        numbers = [
            service.open_account(session, OPERATOR, "JPN", "government_holding", "moej").number,
            service.open_account(session, OPERATOR, "JPN", "participant_holding", "acme-jp").number,
            service.open_account(session, OPERATOR, HOST, "government_holding", "vn-mone").number,
            service.open_account(session, OPERATOR, HOST, "participant_holding", "acme-vn").number,
        ]
    return Registry(database, *numbers)


def name_representative(database: Database, number: str, email: str) -> None:
    """Make ``email`` a representative of account ``number``, as its registry administrator would."""
    from c3p.credits import representatives  # here: the crash test's child imports this module on its own path

    with database.unit_of_work() as session:
        representatives.name_representative(session, OPERATOR, number, email)


def create_report(database: Database, reductions: int, period: int | None = None, verify: bool = True) -> int:
    with database.unit_of_work() as session:
        report = monitoring_reports.submit(session, OPERATOR, monitoring_record(reductions), PROJECT, HOST, period)
        if verify:
            monitoring_reports.verify(session, OPERATOR, report.id)
        return report.id


def create_issuance(
    registry: Registry,
    allocation: dict[str, int],
    ref: str = "JC-VN-001",
    report_id: int | None = None,
    authorized: bool = True,
    model_project: bool = True,
) -> IssuanceView:
    total = sum(allocation.values())
    report_id = report_id or create_report(registry.database, total)
    notice = IssuanceNotice(
        notification_ref=ref,
        report_id=report_id,
        credits=total,
        allocation=tuple({"account": a, "credits": c} for a, c in allocation.items()),  # type: ignore[misc]
        authorized=authorized,
        model_project=model_project,
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
