"""The MRV endpoints refuse bad numbers with 4xx problems, never a 500, over real HTTP."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
from test_mrv_streaming_limits_integration import write_xlsx

from conftest import ONE_DAY, create_rows, write_csv

BASE = "/api/v1/mrv/methodologies"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def client(live_server):
    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        yield http


def test_zero_divisor_is_a_422_naming_the_parameter(client):
    """COP_RE,i = 0 would divide RE_p = Σ EC x COP_PJ / COP_RE x EF by zero: a COP of zero
    is physically impossible, so the value is refused before any equation runs."""
    body = {"EC_PJ,i,p": {"value": 100, "unit": "MWh"}, "COP_PJ,i": {"value": 5, "unit": "1"},
            "COP_RE,i": {"value": 0, "unit": "1"}, "EF_elec": {"value": 0.8, "unit": "tCO2/MWh"}}  # fmt: skip
    answer = client.post(f"{BASE}/ID_AM004/estimate", json=body)
    assert answer.status_code == 422
    assert "COP_RE,i" in answer.json()["detail"] and "(0, 20]" in answer.json()["detail"]


def test_negative_design_value_is_refused(client):
    body = {"EG_i,p": {"value": -100, "unit": "MWh"}}
    answer = client.post(f"{BASE}/MN_AM003/estimate", json=body)
    assert answer.status_code == 422
    assert "EG_i,p" in answer.json()["detail"]


def test_upload_with_decimal_comma(member_client, tmp_path):
    rows = create_rows(value="0,4", unit="MWh")
    path = write_csv(tmp_path / "d.csv", rows)
    for decimal, status in ((None, 422), (",", 200)):
        with open(path, "rb") as handle:
            data = {"params": json.dumps(ONE_DAY), **({"decimal": decimal} if decimal else {})}
            answer = member_client.post(f"{BASE}/MN_AM003/calculate", data=data,
                                 files={"monitoring": ("d.csv", handle, "text/csv")})  # fmt: skip
        assert answer.status_code == status, answer.text
    # 96 readings x 0.4 MWh x 0.797 = 30.6 -> 30
    assert answer.json()["emission_reductions_tco2"] == 30


def test_a_long_calculation_stalls_no_other_request(live_server, member_client, tmp_path):
    """The engine runs beside the server's event loop: while it reads an xlsx of 90 days from four
    sites (seconds of parsing, as in the finding: a small xlsx froze every visitor for 39 s), other
    visitors are answered at once; on the loop, they all waited for it to finish."""
    rows = create_rows(sites=("S1", "S2", "S3", "S4"), intervals=96 * 90)
    path = write_xlsx(tmp_path / "days.xlsx", rows)
    params = {**ONE_DAY, "period": {"start": "2024-01-01", "end": "2024-03-30"}}
    done: dict = {}

    def calculate() -> None:
        started = time.monotonic()
        with open(path, "rb") as handle:
            done["answer"] = member_client.post(f"{BASE}/MN_AM003/calculate", data={"params": json.dumps(params)},
                                                files={"monitoring": ("days.xlsx", handle, XLSX)})  # fmt: skip
        done["seconds"] = time.monotonic() - started

    worker = threading.Thread(target=calculate)
    waits = []
    with httpx.Client(base_url=live_server.url, timeout=120) as visitor:
        assert visitor.get(f"{BASE}/MN_AM003").status_code == 200  # loaded before the clock starts
        worker.start()
        while worker.is_alive():
            asked = time.monotonic()
            assert visitor.get(f"{BASE}/MN_AM003").status_code == 200
            waits.append(time.monotonic() - asked)
            time.sleep(0.05)
    worker.join()
    assert done["answer"].status_code == 200, done["answer"].text
    assert done["seconds"] > 0.5, "the calculation is too short to tell"
    assert max(waits) < done["seconds"] / 2, (max(waits), done["seconds"])
