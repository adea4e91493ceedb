"""On both backends: the seeded three-year partnership (tests/support/article6_demo.py), every year's reports.

For each year and both countries: the annual report passes its checks (Japan's acquisitions equal
Viet Nam's first transfers and transfers to Japan, serial for serial; holdings at 31 December
equal the balances replayed), the adjustments due equal those recorded, and both equal what the
reports' tables imply and what the moves give by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from c3p.credits import adjustments, aef_reports
from c3p.credits.rules.aef import ActionType, AefReport
from c3p.credits.verify import verify
from c3p.db.database import Database
from tests.support.article6_demo import (
    FIRST_TRANSFERRED,
    TEST_APPROACH,
    USED_BY_JAPAN,
    YEARS,
    after_the_last_year,
    seeded,
)
from tests.support.credits import OPERATOR, Registry


@pytest.fixture
def demo(fresh_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    yield from seeded(fresh_database, tmp_path, monkeypatch)


def _credits(report: AefReport, kind: ActionType, host: str | None = None) -> int:
    rows = report.of_type(kind)
    return sum(r.quantity_tco2e for r in rows if host is None or r.first_transferring_party == host)


def _sent_to(sender: AefReport, receiver: str) -> int:
    rows = sender.of_type(ActionType.first_transfer, ActionType.transfer)
    return sum(r.quantity_tco2e for r in rows if r.acquiring_party == receiver)


def _acquired_from(receiver: AefReport, sender: str) -> int:
    return sum(r.quantity_tco2e for r in receiver.of_type(ActionType.acquisition) if r.transferring_party == sender)


def test_every_years_reports_and_adjustments_agree(demo: Registry) -> None:
    with after_the_last_year(), demo.database.reading() as session:
        reports = {(c, y): aef_reports.produce(session, OPERATOR, c, y) for y in YEARS for c in ("VNM", "JPN")}
        gaps = {c: adjustments.adjustment_gap(session, c, as_of_year=YEARS[-1]) for c in ("VNM", "JPN")}
        assert verify(session).ok
    due = {c: {row.year: row for row in gap.rows if row.year in YEARS} for c, gap in gaps.items()}
    for year in YEARS:
        vietnam, japan = reports[("VNM", year)], reports[("JPN", year)]
        for report in (vietnam, japan):
            assert report.consistent, (year, report.country, report.checks)
            assert not report.draft and report.cooperative_approach_id == TEST_APPROACH
        # the mirror, in credits as well as serial for serial (the checks)
        assert _sent_to(vietnam, "JPN") == _acquired_from(japan, "VNM")
        assert _sent_to(japan, "VNM") == _acquired_from(vietnam, "JPN")
        # adjustments: the reports' tables, the journal's due and the service's records all agree with the hand figures
        first, used = FIRST_TRANSFERRED[year], USED_BY_JAPAN[year]
        assert _credits(vietnam, ActionType.first_transfer) == first
        assert _credits(japan, ActionType.use, host="VNM") == used
        assert (due["VNM"][year].due_addition_credits, due["VNM"][year].gap_credits) == (first, 0)
        assert (due["JPN"][year].due_subtraction_credits, due["JPN"][year].gap_credits) == (used, 0)
        assert due["VNM"][year].recorded_addition_credits == first
        assert due["JPN"][year].recorded_subtraction_credits == used


def test_the_last_years_holdings_are_the_hand_figures(demo: Registry) -> None:
    with after_the_last_year(), demo.database.reading() as session:
        japan = aef_reports.produce(session, OPERATOR, "JPN", 2027)
        vietnam = aef_reports.produce(session, OPERATOR, "VNM", 2027)
    held = {r.country: sum(h.quantity_tco2e for h in r.holdings) for r in (japan, vietnam)}
    # Japan: JPN 351-500 and 551-650 and VNM 351-500; Viet Nam: VNM 151-300 and 501-550 and JPN 301-350
    assert held == {"JPN": 150 + 100 + 150, "VNM": 150 + 50 + 50}
    assert {r.country: sum(b.other_credits for b in r.balances) for r in (japan, vietnam)} == {"JPN": 50, "VNM": 50}
    # Viet Nam's own retirement of 2025 is its use in the report, but no corresponding adjustment
    with demo.database.reading() as session:
        vietnam_2025 = aef_reports.produce(session, OPERATOR, "VNM", 2025)
    assert _credits(vietnam_2025, ActionType.use) == 20


def test_a_submitted_version_with_the_partnerships_id_is_final(demo: Registry) -> None:
    with demo.database.unit_of_work() as session:
        view = aef_reports.submit(session, OPERATOR, "VNM", 2026)
    assert view.consistent and not view.draft
