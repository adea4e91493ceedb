"""On both backends: a two-year partnership of Japan and Viet Nam and both countries' annual reports.

2025: an authorized issuance gives Japan's government 600 and a Vietnamese participant 400, a
non-authorized one 100 and 100; the participant sends 100 to Japan (accepted in 2025) and 50
more on 31 December, accepted on 2 January 2026. 2026: Japan retires 200, the participant
cancels 30, Japan's participant sends 20 back to Viet Nam's government. Every figure below is
worked out by hand from these moves.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import time_machine
from sqlalchemy import text

from c3p.accounts.rules.policy import Actor, Grant
from c3p.credits import aef_reports, service
from c3p.credits.rules.aef import ActionType, AefReport, CheckName
from c3p.credits.verify import verify
from c3p.db.database import Database
from c3p.errors import Forbidden, InvalidInput, NotFound
from tests.support.credits import OPERATOR, Registry, create_issuance, create_registry


def at(year: int, month: int, day: int, hour: int = 12) -> time_machine.travel:
    return time_machine.travel(dt.datetime(year, month, day, hour, tzinfo=dt.UTC), tick=True)


def admin(country: str) -> Actor:
    return Actor(900, f"admin@{country.lower()}", (Grant("registry_administrator", "country", country),), "")


@dataclass
class Demo:
    registry: Registry

    @property
    def database(self) -> Database:
        return self.registry.database

    def report(self, country: str, year: int, actor: Actor = OPERATOR) -> AefReport:
        with self.database.reading() as session:
            return aef_reports.produce(session, actor, country, year)


def _accept(database: Database, key: str) -> None:
    with database.unit_of_work() as session:
        service.resolve_pending(session, OPERATOR, key, True)


@pytest.fixture
def demo(fresh_database: Database) -> Iterator[Demo]:
    fresh_database.upgrade()
    with at(2025, 1, 10):
        registry = create_registry(fresh_database)
    r, database = registry, fresh_database
    with at(2025, 3, 1):
        create_issuance(r, {r.jp_gov: 600, r.vn_pp: 400}, ref="JC-VN-001", authorized=True)
    with at(2025, 4, 1):
        create_issuance(r, {r.jp_gov: 100, r.vn_pp: 100}, ref="JC-VN-002", authorized=False)
    with at(2025, 6, 1), database.unit_of_work() as session:
        june = service.transfer(session, OPERATOR, r.vn_pp, r.jp_pp, serial=_serials(r, 1, 100))
    with at(2025, 6, 2):
        _accept(database, june.key)
    with at(2025, 12, 31, 23), database.unit_of_work() as session:
        new_year = service.transfer(session, OPERATOR, r.vn_pp, r.jp_pp, serial=_serials(r, 101, 150))
    with at(2026, 1, 2):
        _accept(database, new_year.key)
    with at(2026, 2, 1), database.unit_of_work() as session:
        service.retire(session, OPERATOR, r.jp_gov, "NDC", "Japan", serial=_serials(r, 1, 200, "JPN"))
        service.cancel(session, OPERATOR, r.vn_pp, serial=_serials(r, 151, 180), reason="OIMP")
    with at(2026, 3, 1), database.unit_of_work() as session:
        back = service.transfer(session, OPERATOR, r.jp_pp, r.vn_gov, serial=_serials(r, 1, 20))
    with at(2026, 3, 2):
        _accept(database, back.key)
    yield Demo(registry)


def _serials(r: Registry, start: int, end: int, registry: str = "VNM") -> str:
    """A range of the first issuance (its Vietnamese units are 1-400, its Japanese ones 1-600)."""
    return f"JCM-{registry}-VNM-VN007-001-{start:012d}-{end:012d}"


def _credits(report: AefReport, *types: ActionType) -> int:
    return sum(row.quantity_tco2e for row in report.of_type(*types))


def _held(report: AefReport) -> int:
    return sum(row.quantity_tco2e for row in report.holdings)


def test_both_countries_reports_over_two_years_are_consistent(demo: Demo) -> None:
    vn25, jp25, vn26, jp26 = (demo.report(c, y) for y in (2025, 2026) for c in ("VNM", "JPN"))
    for report in (vn25, jp25, vn26, jp26):
        assert report.consistent, report.checks
        assert {c.name for c in report.checks} == {CheckName.holdings, CheckName.mirror}
    # 2025: 600 issued into Japan's registry and 100 accepted there; the 50 of 31 December wait
    assert _credits(vn25, ActionType.first_transfer) == 700
    assert _credits(jp25, ActionType.acquisition) == 700
    # one authorization record per registry the issuance numbered units in: 600 in Japan's, 400 in Viet Nam's
    assert [(a.authorization_id, a.registry, a.quantity_tco2e) for a in vn25.authorizations] == [
        ("JC-VN-001", "JPN", 600),
        ("JC-VN-001", "VNM", 400),
    ]
    assert _held(vn25) == 400 - 100 - 50 + 50  # the 50 in Viet Nam's pending account are still held there
    assert _held(jp25) == 600 + 100
    # 2026: the 50 arrive, 30 are cancelled (a first transfer too), Japan uses 200 and sends 20 back
    assert _credits(vn26, ActionType.first_transfer) == 50 + 30
    assert _credits(jp26, ActionType.acquisition) == 50
    assert _credits(jp26, ActionType.use) == 200
    assert _credits(vn26, ActionType.cancellation) == 30
    assert _credits(jp26, ActionType.transfer) == _credits(vn26, ActionType.acquisition) == 20
    assert _held(jp26) == 600 - 200 + 100 + 50 - 20
    assert _held(vn26) == 250 - 30 + 20
    # the not-authorized issuance is in no table, but in the balances the holdings are checked against
    assert all(row.authorization_id == "JC-VN-001" for r in (vn26, jp26) for row in r.actions + r.holdings)
    assert sum(b.other_credits for b in jp26.balances) == 100


def test_each_range_carries_its_jcm_serials_and_unique_identifiers(demo: Demo) -> None:
    first = demo.report("VNM", 2025).of_type(ActionType.first_transfer)
    issued = next(a for a in first if a.registry == "JPN")
    assert issued.jcm_serials == "JCM-JPN-VNM-VN007-001-000000000001-000000000600"
    assert (issued.first_id, issued.last_id) == ("CA0000-JPN01-VNM-1-2025", "CA0000-JPN01-VNM-600-2025")
    assert issued.acquiring_party == "JPN" and issued.action_date.startswith("2025-03-01")


def test_a_tampered_stored_holding_fails_the_check_and_verify(demo: Demo) -> None:
    with demo.database.unit_of_work() as session:
        first = aef_reports.submit(session, OPERATOR, "VNM", 2025)
    document = json.loads(_stored_document(demo.database))
    document["holdings"][0]["quantity_tco2e"] += 1
    document["holdings"][0]["last_unit"] += 1
    forged = json.dumps(document, sort_keys=True, separators=(",", ":"))
    with demo.database.engine.begin() as connection:
        connection.execute(
            text("UPDATE article6_submissions SET document = :d, sha256 = :h"),
            {"d": forged, "h": hashlib.sha256(forged.encode()).hexdigest()},
        )
    with demo.database.reading() as session:
        found = aef_reports.stored(session, OPERATOR, "VNM", 2025, first.version)
        report = verify(session)
    assert found.intact  # re-hashed by the forger, so only the check against the journal finds it
    holdings = next(c for c in found.checks_now if c.name == CheckName.holdings)
    assert not holdings.passed and holdings.differences
    assert not report.ok and any("article6_submissions" in p.what for p in report.problems)


def _stored_document(database: Database) -> str:
    with database.reading() as session:
        return str(session.execute(text("SELECT document FROM article6_submissions")).scalar_one())


def test_resubmitting_makes_a_new_version_only_after_a_change(demo: Demo) -> None:
    with demo.database.unit_of_work() as session:
        v1 = aef_reports.submit(session, OPERATOR, "JPN", 2026)
    with demo.database.unit_of_work() as session:
        again = aef_reports.submit(session, OPERATOR, "JPN", 2026)
    assert (v1.version, again.version, again.sha256) == (1, 1, v1.sha256)
    with at(2026, 6, 1), demo.database.unit_of_work() as session:
        service.retire(session, OPERATOR, demo.registry.jp_gov, "NDC", "Japan", 5)
    with demo.database.unit_of_work() as session:
        v2 = aef_reports.submit(session, OPERATOR, "JPN", 2026)
        versions = aef_reports.submissions(session, OPERATOR, "JPN", 2026)
    assert v2.version == 2 and v2.sha256 != v1.sha256
    assert [v.version for v in versions] == [1, 2]
    with demo.database.reading() as session:
        old = aef_reports.stored(session, OPERATOR, "JPN", 2026, 1)
    assert old.intact and old.report is not None
    assert _credits(old.report, ActionType.use) == 200  # version 1 as it was submitted


def test_only_the_countrys_registry_administrator_produces_its_report(demo: Demo) -> None:
    assert demo.report("VNM", 2025, admin("VNM")).country == "VNM"
    for actor, country in ((admin("THA"), "VNM"), (admin("VNM"), "JPN"), (admin("JPN"), "VNM")):
        with pytest.raises(Forbidden):
            demo.report(country, 2025, actor)
    secretariat = Actor(901, "secretariat@iges", (Grant("secretariat"),), "iges")
    with pytest.raises(Forbidden), demo.database.unit_of_work() as session:
        aef_reports.submit(session, secretariat, "VNM", 2025)


@pytest.mark.parametrize(
    ("country", "year", "error"),
    [("VN", 2025, InvalidInput), ("THA", 2025, NotFound), ("VNM", 2012, InvalidInput), ("VNM", 2999, InvalidInput)],
)
def test_a_bad_country_or_year_is_refused_by_name(demo: Demo, country: str, year: int, error: type) -> None:
    with pytest.raises(error) as raised:
        demo.report(country, year)
    assert ("country" if country != "VNM" else "year") in str(raised.value.extra.get("field"))
