"""The CLI contract relied on by outside checks, and the REST endpoints of the real app over HTTP."""

from __future__ import annotations

import json

import httpx
import pytest
from openpyxl import load_workbook
from tests.support.cli import run_c3p
from typer.testing import CliRunner

from c3p.cli import app
from conftest import MNG_GRID, ONE_DAY, create_rows, write_csv, write_params

runner = CliRunner()


def test_calculate_contract(tmp_path):
    data = write_csv(tmp_path / "data.csv", create_rows(sites=("A", "B")))
    params = write_params(tmp_path / "params.json",
                          {**ONE_DAY, "EF_RE,i": {"value": 0.533, "unit": "tCO2/MWh"}})  # fmt: skip
    result = runner.invoke(app, ["mrv", "calculate", "--methodology", "MN_AM003", "--params",
                                 str(params), "--monitoring", str(data), "--format", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["reference_emissions_tco2"] == pytest.approx(2 * 38.4 * 0.533)
    assert body["project_emissions_tco2"] == 0
    assert body["emission_reductions_tco2"] == 40  # floor(40.9344)
    assert body["findings"] == []


def test_show_lists_the_symbols():
    result = runner.invoke(app, ["mrv", "show", "TH_AM005", "--format", "json"])
    body = json.loads(result.stdout)
    assert {"EC_PJ,i,p", "COP_PJ,i", "COP_RE,i", "EF_elec"} <= set(body["symbols"])
    assert body["verification"] == "partly-confirmed"


def test_list_and_estimate(tmp_path):
    listed = json.loads(runner.invoke(app, ["mrv", "list", "--format", "json"]).stdout)
    assert len(listed) >= 15
    params = write_params(tmp_path / "p.json", {"EG_i,p": {"value": 1000, "unit": "MWh"}, **MNG_GRID})
    out = runner.invoke(app, ["mrv", "estimate", "-m", "MN_AM003", "-p", str(params), "-f", "json"])
    assert json.loads(out.stdout)["emission_reductions_tco2"] == 797


def test_report_files(tmp_path):
    data = write_csv(tmp_path / "data.csv", create_rows())
    params = write_params(tmp_path / "params.json", ONE_DAY)
    xlsx, record = tmp_path / "mr.xlsx", tmp_path / "mr.json"
    result = runner.invoke(app, ["mrv", "calculate", "-m", "MN_AM003", "-p", str(params), "-d",
                                 str(data), "--report-xlsx", str(xlsx), "--record", str(record)])  # fmt: skip
    assert result.exit_code == 0, result.output
    sheets = load_workbook(xlsx).sheetnames
    assert sheets == ["Parameters", "Input data", "Calculation process", "Results",
                      "QA-QC findings"]  # fmt: skip
    assert json.loads(record.read_text())["emission_reductions_tco2"] == 30


def test_user_errors_exit_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("site_id,timestamp,parameter,value,unit\nA,2024-01-01,EG_i,p,abc,kWh\n")
    done = run_c3p("mrv", "calculate", "-m", "MN_AM003", "-d", str(bad))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "row 2, column" in done.stderr


@pytest.fixture
def client(live_server):
    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        yield http


def test_rest_endpoints(client, member_client, tmp_path):
    assert len(client.get("/api/v1/mrv/methodologies").json()) >= 15
    shown = client.get("/api/v1/mrv/methodologies/MN_AM003").json()
    assert shown["equations"][0]["latex"].startswith("\\sum_{i}")
    estimated = client.post("/api/v1/mrv/methodologies/MN_AM003/estimate",
                            json={"EG_i,p": {"value": 100, "unit": "MWh"}, **MNG_GRID}).json()  # fmt: skip
    assert estimated["emission_reductions_tco2"] == 79
    data = write_csv(tmp_path / "d.csv", create_rows())
    with open(data, "rb") as handle:
        calculated = member_client.post("/api/v1/mrv/methodologies/MN_AM003/calculate",
                                 files={"monitoring": ("d.csv", handle, "text/csv")},
                                 data={"params": json.dumps(ONE_DAY)}).json()  # fmt: skip
    assert calculated["emission_reductions_tco2"] == 30
    missing = client.get("/api/v1/mrv/methodologies/XX_AM999")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert "XX_AM999" in missing.json()["detail"]


def test_cli_refuses_a_factor_typed_in_kg(tmp_path):
    params = write_params(tmp_path / "p.json", {"EG_i,p": {"value": 10, "unit": "MWh"},
                                                "EF_RE,i": {"value": 566, "unit": "tCO2/MWh"}})  # fmt: skip
    done = run_c3p("mrv", "estimate", "-m", "TH_AM001", "-p", str(params))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "EF_RE,i: 566 tCO2/MWh is impossible (the physical range is [0, 2])" in done.stderr


def test_api_asks_for_the_mn_am003_choice_and_reads_spelled_units(client, member_client, tmp_path):
    refused = client.post("/api/v1/mrv/methodologies/MN_AM003/estimate",
                          json={"EG_i,p": {"value": 100, "unit": "MWh"}})  # fmt: skip
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "MNG-captive" in refused.json()["detail"] and "conservative" in refused.json()["detail"]
    data = write_csv(tmp_path / "d.csv", create_rows(unit="kwh"))
    params = {**ONE_DAY, "EF_RE,i": {"value": 0.533, "unit": "t-CO2e/MWh"}}
    with open(data, "rb") as handle:
        answer = member_client.post("/api/v1/mrv/methodologies/MN_AM003/calculate",
                                    files={"monitoring": ("d.csv", handle, "text/csv")},
                             data={"params": json.dumps(params)})  # fmt: skip
    # 96 readings x 400 kWh = 38.4 MWh x 0.533 = 20.4672 -> 20
    assert answer.status_code == 200, answer.text
    assert answer.json()["emission_reductions_tco2"] == 20
