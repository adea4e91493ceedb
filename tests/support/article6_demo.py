"""A seeded three-year partnership of Japan and Viet Nam, built through the real services, for Article 6.2.

Every move goes through the credit service on a migrated database, at a fixed instant, so the
figures below are known by hand (units are numbered per registry, in issuance order):

2025  JC-VN-101, authorized: Japan's government 500 (JPN 1-500), Viet Nam's participant 300
      (VNM 1-300): the 500 are Viet Nam's first transfer. JC-VN-102, not authorized: 50 and 50
      (JPN 501-550, VNM 301-350). The participant sends VNM 1-100 to Japan's participant (first
      transfer, accepted) and retires VNM 101-120 at home (domestic use: no adjustment).
2026  JC-VN-103 (like JC-VN-102 a private-sector project: no half for Japan's government),
      authorized: Viet Nam's government 200 (VNM 351-550), Japan's government 100 (JPN 551-650,
      a first transfer). Japan's government retires JPN 1-300 toward Japan's NDC
      (Japan's use); the participant cancels VNM 121-150 (a first transfer, for other
      international mitigation purposes).
2027  Viet Nam's government sends VNM 351-500 to Japan's government (first transfer, accepted);
      Japan's participant retires VNM 1-100 (Japan's use); Japan's government sends JPN 301-350
      back to Viet Nam's government (accepted; no adjustment: already first transferred).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine

from c3p.credits import service
from c3p.db.database import Database
from c3p.settings import get_settings
from tests.support.credits import OPERATOR, Registry, create_issuance, create_registry

YEARS = (2025, 2026, 2027)
#: a made-up ID for the demo partnership (no JCM partnership's real ID was found)
TEST_APPROACH = "CA0912"
#: Viet Nam's first transfers and Japan's uses per year, worked out by hand from the moves above
FIRST_TRANSFERRED = {2025: 500 + 100, 2026: 100 + 30, 2027: 150}
USED_BY_JAPAN = {2025: 0, 2026: 300, 2027: 100}


def record_approach(folder: Path) -> Path:
    """A reviewed cooperative approaches file giving the demo partnership its (made-up) ID."""
    path = folder / "approaches.yaml"
    record = f"partner: VNM, cooperative_approach_id: {TEST_APPROACH}, source: test, read_on: 2026-12-06"
    path.write_text(f"- {{{record}}}\n", encoding="utf-8")
    return path


def seeded(database: Database, folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    """The demo on a fresh ``database``, its partnership's ID on record for as long as it is used."""
    monkeypatch.setenv("C3P_COOPERATIVE_APPROACHES_FILE", str(record_approach(folder)))
    get_settings.cache_clear()
    database.upgrade()
    yield build(database)
    monkeypatch.undo()
    get_settings.cache_clear()


def after_the_last_year() -> time_machine.travel:
    """Reports are produced once their year is over (the demo's last year is still to come in real time)."""
    return at(YEARS[-1] + 1, 1, 15)


def at(year: int, month: int, day: int) -> time_machine.travel:
    return time_machine.travel(dt.datetime(year, month, day, 12, tzinfo=dt.UTC), tick=True)


def serial(registry: str, period: int, start: int, end: int) -> str:
    return f"JCM-{registry}-VNM-VN007-{period:03d}-{start:012d}-{end:012d}"


def _transfer_accepted(database: Database, source: str, target: str, units: str) -> None:
    with database.unit_of_work() as session:
        key = service.transfer(session, OPERATOR, source, target, serial=units).key
    with database.unit_of_work() as session:
        service.resolve_pending(session, OPERATOR, key, True)


def build(database: Database) -> Registry:
    """The partnership above on a migrated ``database``."""
    with at(2025, 1, 10):
        r = create_registry(database)
    with at(2025, 3, 1):
        create_issuance(r, {r.jp_gov: 500, r.vn_pp: 300}, ref="JC-VN-101", authorized=True)
    with at(2025, 4, 1):
        create_issuance(r, {r.jp_pp: 50, r.vn_pp: 50}, ref="JC-VN-102", authorized=False, model_project=False)
    with at(2025, 6, 1):
        _transfer_accepted(database, r.vn_pp, r.jp_pp, serial("VNM", 1, 1, 100))
    with at(2025, 9, 1), database.unit_of_work() as session:
        service.retire(session, OPERATOR, r.vn_pp, "NDC", "Viet Nam", serial=serial("VNM", 1, 101, 120))
    with at(2026, 2, 1):
        create_issuance(r, {r.vn_gov: 200, r.jp_gov: 100}, ref="JC-VN-103", authorized=True, model_project=False)
    with at(2026, 5, 1), database.unit_of_work() as session:
        service.retire(session, OPERATOR, r.jp_gov, "NDC", "Japan", serial=serial("JPN", 1, 1, 300))
        service.cancel(session, OPERATOR, r.vn_pp, serial=serial("VNM", 1, 121, 150), reason="OIMP")
    with at(2027, 3, 1):
        _transfer_accepted(database, r.vn_gov, r.jp_gov, serial("VNM", 3, 351, 500))
    with at(2027, 6, 1), database.unit_of_work() as session:
        service.retire(session, OPERATOR, r.jp_pp, "NDC", "Japan", serial=serial("VNM", 1, 1, 100))
    with at(2027, 9, 1):
        _transfer_accepted(database, r.jp_gov, r.vn_gov, serial("JPN", 1, 301, 350))
    return r
