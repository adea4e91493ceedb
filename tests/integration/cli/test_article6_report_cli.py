"""``c3p registry report`` through the CLI runner on both backends: the annual report as a summary,
JSON and Excel, submitted in versions; bad input is a clean error; another country's
administrator is refused."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from c3p.cli import app
from c3p.credits import service
from c3p.db.database import Database
from c3p.errors import Forbidden, InvalidInput
from tests.support.credits import OPERATOR, Registry, create_issuance, create_registry
from tests.support.workflow import create_person

runner = CliRunner()
YEAR = str(dt.datetime.now(dt.UTC).year)


@pytest.fixture
def registry(fresh_database: Database) -> Registry:
    fresh_database.upgrade()
    registry = create_registry(fresh_database)
    create_issuance(registry, {registry.jp_gov: 500, registry.vn_pp: 100}, authorized=True)
    return registry


def run(registry: Registry, *args: str, who: str | None = None):  # type: ignore[no-untyped-def]
    acting = ["--as", who] if who else []
    command = [*acting, "registry", "report", *args, "--db", registry.database.url]
    return runner.invoke(app, command, env={"COLUMNS": "200"})


def test_the_report_as_json_table_and_workbook(registry: Registry, tmp_path: Path) -> None:
    found = json.loads(run(registry, "--country", "VNM", "--year", YEAR, "-f", "json").output)
    first = [a for a in found["actions"] if a["action_type"] == "First transfer"]
    assert sum(a["quantity_tco2e"] for a in first) == 500 and all(c["passed"] for c in found["checks"])
    assert first[0]["jcm_serials"].startswith("JCM-JPN-VNM-VN007-001-") and first[0]["first_id"].startswith("CA0000-")

    table = run(registry, "--country", "jpn", "--year", YEAR)
    assert table.exit_code == 0, table.output
    assert "Acquisition" in table.output and "check mirror with VNM: passed" in table.output

    path = tmp_path / "vnm.xlsx"
    written = run(registry, "--country", "VNM", "--year", YEAR, "-f", "xlsx", "-o", str(path))
    assert written.exit_code == 0, written.output
    book = load_workbook(path)
    assert book.sheetnames[:3] == ["Table 1 Submission", "Table 2 Authorizations", "Table 3a First transfers"]
    rows = list(book["Table 3a First transfers"].values)
    assert rows[0][:3] == ("Action date", "Action type", "Action subtype")
    assert sum(row[rows[0].index("Quantity (t CO2 eq)")] for row in rows[1:]) == 500


def test_submitting_again_makes_a_version_only_after_a_change(registry: Registry) -> None:
    assert "Submitted as version 1" in run(registry, "--country", "JPN", "--year", YEAR, "--submit").output
    assert "Submitted as version 1" in run(registry, "--country", "JPN", "--year", YEAR, "--submit").output
    with registry.database.unit_of_work() as session:
        service.retire(session, OPERATOR, registry.jp_gov, "NDC", "Government of Japan", 30)
    assert "Submitted as version 2" in run(registry, "--country", "JPN", "--year", YEAR, "--submit").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--country", "VNM", "--year", YEAR, "-f", "pdf"), "expected table, json or xlsx"),
        (("--country", "Viet Nam", "--year", YEAR), "ISO3 code"),
        (("--country", "VNM", "--year", "1999"), "year must be a whole year from 2013"),
    ],
)
def test_bad_input_is_a_clean_error(registry: Registry, args: tuple[str, ...], message: str) -> None:
    result = run(registry, *args)
    assert isinstance(result.exception, InvalidInput) and message in result.exception.detail


def test_only_the_countrys_registry_administrator(registry: Registry) -> None:
    vn_admin = create_person(registry.database, "registry_administrator", "VNM")
    th_admin = create_person(registry.database, "registry_administrator", "THA")
    stranger = create_person(registry.database, None)
    assert run(registry, "--country", "VNM", "--year", YEAR, "--submit", who=vn_admin.email).exit_code == 0
    for who, country in ((th_admin, "VNM"), (vn_admin, "JPN"), (stranger, "VNM")):
        refused = run(registry, "--country", country, "--year", YEAR, who=who.email)
        assert isinstance(refused.exception, Forbidden), refused.output
