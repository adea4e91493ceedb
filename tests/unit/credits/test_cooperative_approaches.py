"""Each partnership's cooperative approach ID: the reviewed records, and a report that is a draft without one."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
import time_machine
from openpyxl import load_workbook

from c3p.credits import aef_reports
from c3p.credits.aef_workbook import workbook
from c3p.credits.rules import aef
from c3p.credits.rules.cooperative_approaches import PLACEHOLDER, parse_approaches
from c3p.errors import DataFileError
from tests.unit.credits.test_aef import UNIQUE_ID, Partnership


def record(**changes: Any) -> dict[str, Any]:
    return {"partner": "VNM", "cooperative_approach_id": "CA0012", "source": "s", "read_on": "2026-12-06", **changes}


def _status(content: bytes) -> str:
    sheet = load_workbook(io.BytesIO(content))["Table 1 Submission"]
    return str(next(row[1] for row in sheet.iter_rows(values_only=True) if row[0] == "Status"))


def _world() -> Partnership:
    world = Partnership()
    with time_machine.travel(dt.datetime(2025, 5, 1, tzinfo=dt.UTC), tick=False):
        world.issue([(0, 60), (3, 40)], authorized=True)
    return world


@pytest.mark.parametrize(
    ("records", "named"),
    [
        ([record(cooperative_approach_id=PLACEHOLDER)], "placeholder"),
        ([record(cooperative_approach_id="CA12")], "cooperative_approach_id"),
        ([record(partner="JPN")], "Japan"),
        ([record(partner="vnm")], "partner"),
        ([record(), record()], "VNM is listed twice"),
        ([record(), record(partner="MNG")], "CA0012 is listed twice"),
        ([record(read_on="someday")], "read_on"),
        ([{k: v for k, v in record().items() if k != "source"}], "source"),
        ([record(extra="x")], "extra"),
        ({"VNM": "CA0012"}, "list"),
    ],
)
def test_a_bad_record_is_refused_by_name(records: Any, named: str) -> None:
    with pytest.raises(DataFileError) as raised:
        parse_approaches(records, "approaches.yaml")
    assert named in str(raised.value) and "approaches.yaml" in str(raised.value)


def test_the_built_in_file_reads_and_holds_no_placeholder() -> None:
    assert PLACEHOLDER not in aef_reports.load_approaches().values()


def test_a_reviewed_file_is_read_and_a_broken_one_named(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("- {partner: VNM, cooperative_approach_id: CA0012, source: s, read_on: 2026-12-06}\n")
    assert aef_reports.load_approaches(good) == {"VNM": "CA0012"}
    broken = tmp_path / "broken.yaml"
    broken.write_text("- {partner: VNM,\n")
    with pytest.raises(DataFileError, match=r"broken\.yaml"):
        aef_reports.load_approaches(broken)
    with pytest.raises(DataFileError, match="cannot be read"):
        aef_reports.load_approaches(tmp_path / "missing.yaml")


def test_without_an_id_both_reports_are_drafts_with_the_placeholder() -> None:
    state = aef.replay(_world().store.journal, 2025)
    for country in ("VNM", "JPN"):
        report = aef.checked_report(state, country)
        assert report.draft and report.partners_without_approach_id == ["VNM"]
        assert report.consistent  # a draft is checked like any report
        assert all(row.first_id.startswith("CA0000-") for row in report.holdings)
        assert _status(workbook(report)).startswith("DRAFT: no cooperative approach ID on record for VNM")


def test_with_the_partnerships_id_every_identifier_carries_it_and_the_report_is_final() -> None:
    state = aef.replay(_world().store.journal, 2025, approaches={"VNM": "CA0012"})
    for country in ("VNM", "JPN"):
        report = aef.checked_report(state, country)
        assert not report.draft and report.partners_without_approach_id == []
        assert report.cooperative_approach_id == "CA0012"
        rows = [*report.actions, *report.holdings]
        assert rows and all(r.first_id.startswith("CA0012-") and UNIQUE_ID.fullmatch(r.last_id) for r in rows)
        assert {a.cooperative_approach_id for a in report.authorizations} == {"CA0012"}
        assert _status(workbook(report)) == "final"


def test_another_partnerships_id_does_not_make_the_report_final() -> None:
    state = aef.replay(_world().store.journal, 2025, approaches={"MNG": "CA0007"})
    report = aef.checked_report(state, "JPN")
    assert report.draft and report.partners_without_approach_id == ["VNM"]
    assert "CA0007" not in report.model_dump_json()
