"""Monitoring reports over real HTTP on both backends: monitoring data uploaded and computed by the
registry, refusals as problem+json (same inputs, edited record, unassigned TPE, open corrective
action request, more than verified), findings answered and closed, then the issuance."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from c3p.db.database import Database
from c3p.program.seed_loader import init_database
from c3p.settings import Settings
from tests.conftest import LiveServer
from tests.support.accounts import create_token
from tests.support.credits import PROJECT, TPE, Registry, create_registry, monitoring_data
from tests.support.workflow import create_person


@pytest.fixture(scope="module")
def reports_server(
    backend: str, new_database_url, tmp_path_factory
) -> Iterator[tuple[LiveServer, Registry, dict[str, str]]]:  # type: ignore[no-untyped-def]
    from c3p.web.app import create_app

    database = Database(new_database_url(backend))
    init_database(database)
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), database_url=database.url)
    registry = create_registry(database, settings)
    tokens = {}
    for name, role, scope, organization in (
        ("participant", "project_participant", PROJECT, "acme-vn"),
        ("tpe", "tpe", None, TPE),
        ("other-tpe", "tpe", None, "other-tpe"),
        ("jc", "joint_committee_member", "VNM", "vn-jc"),
    ):
        person = create_person(database, role, scope, organization=organization)
        tokens[name] = create_token(database, person.email, "mrv.*", "credits.*")
    server = LiveServer(create_app(settings, database), settings.data_dir).start()
    yield server, registry, tokens
    server.stop()
    database.dispose()


def client(server: LiveServer, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.url + "/api/v1/registry", headers={"authorization": f"Bearer {token}"}, timeout=60
    )


def upload(registry: Registry, reductions: int, start: dt.date, end: dt.date) -> tuple[dict[str, str], list[Any]]:
    files, calculation = monitoring_data(registry.settings.data_dir / "client", reductions, start, end)
    form = {"project": PROJECT, "params": json.dumps(calculation.params)}
    return form, [("monitoring", (f.filename, f.path.read_bytes(), "text/csv")) for f in files]


def test_the_chain_over_http(reports_server) -> None:  # type: ignore[no-untyped-def]
    server, registry, tokens = reports_server
    form, files = upload(registry, 1000, dt.date(2025, 1, 1), dt.date(2025, 3, 31))
    with client(server, tokens["participant"]) as api:
        created = api.post("/reports", data=form, files=files)
        assert created.status_code == 201, created.text
        report = created.json()
        assert (report["project"], report["host_country"], report["period_number"]) == (PROJECT, "VNM", 1)
        again = api.post("/reports", data=form, files=files)
        assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
        assert f"monitoring report {report['id']}" in again.json()["detail"]
        edited = {**report, "emission_reductions_tco2": 10_000, "provenance": {}}
        claimed = api.post("/reports", data=form, files=[*files, ("record", ("r.json", json.dumps(edited), "x"))])
        assert claimed.status_code == 422
        assert {"field": "emission_reductions_tco2", "claimed": 10_000, "recomputed": 1000} in claimed.json()[
            "differences"
        ]
    with client(server, tokens["other-tpe"]) as api:
        refused = api.post(f"/reports/{report['id']}/verification", json={"verified_tco2": 900, "opinion": "ok"})
        assert refused.status_code == 403
    with client(server, tokens["tpe"]) as api:
        car = api.post(
            f"/reports/{report['id']}/findings", json={"kind": "corrective_action_request", "text": "Meter M2"}
        )
        assert car.status_code == 201, car.text
        verified = api.post(f"/reports/{report['id']}/verification", json={"verified_tco2": 900, "opinion": "fair"})
        assert verified.status_code == 200 and verified.json()["verified_tco2"] == 900
    notice = {
        "notification_ref": "JC-HTTP-1",
        "report_id": report["id"],
        "credits": 900,
        "allocation": [{"account": registry.jp_gov, "credits": 900}],
    }
    with client(server, tokens["jc"]) as api:
        held = api.post("/issuances", json=notice)
        assert held.status_code == 409 and "corrective action" in held.json()["detail"]
    with client(server, tokens["participant"]) as api:
        answered = api.post(f"/reports/findings/{car.json()['id']}/response", json={"response": "Recalibrated"})
        assert answered.status_code == 200
    with client(server, tokens["tpe"]) as api:
        assert api.post(f"/reports/findings/{car.json()['id']}/close").json()["status"] == "closed"
    with client(server, tokens["jc"]) as api:
        too_much = api.post(
            "/issuances", json={**notice, "credits": 901, "allocation": [{**notice["allocation"][0], "credits": 901}]}
        )  # type: ignore[dict-item]
        assert too_much.status_code == 409
        issued = api.post("/issuances", json=notice)
        assert issued.status_code == 201, issued.text
        assert issued.json()["serials"] == ["JCM-JPN-VNM-VN007-001-000000000001-000000000900"]
    listed = httpx.get(server.url + "/api/v1/registry/reports", timeout=30).json()
    assert listed[0]["issued_credits"] == 900 and listed[0]["findings"][0]["status"] == "closed"
