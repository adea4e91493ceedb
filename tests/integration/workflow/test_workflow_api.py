"""The workflow API over real HTTP (SQLite): tokens per role, problem+json refusals, hidden scores."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest

from c3p.accounts.rules.policy import Actor
from c3p.accounts.service import members as svc
from c3p.db.database import Database
from c3p.program.seed_loader import init_database
from c3p.settings import Settings
from tests.conftest import LiveServer
from tests.support.accounts import create_token
from tests.support.workflow import PDF, create_person

SCOPES = ("program.*", "jcm.*", "notifications.read")


@pytest.fixture(scope="module")
def server(new_database_url, tmp_path_factory) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    from c3p.web.app import create_app

    database = Database(new_database_url("sqlite"))
    init_database(database)
    data_dir = tmp_path_factory.mktemp("workflow-api")
    settings = Settings(data_dir=data_dir, database_url=database.url, attachment_max_bytes=2_000)
    server = LiveServer(create_app(settings, database), data_dir).start()
    server.database = database  # type: ignore[attr-defined]
    yield server
    server.stop()
    database.dispose()


def client_for(server: LiveServer, role: str | None, scope: str | None = None) -> httpx.Client:
    headers = {}
    if role:
        person = create_person(server.database, role, scope)  # type: ignore[attr-defined]
        headers["authorization"] = f"Bearer {create_token(server.database, person.email, *SCOPES)}"  # type: ignore[attr-defined]
    return httpx.Client(base_url=server.url + "/api/v1", headers=headers, timeout=30)


def test_cycle_and_refusals_over_http(server: LiveServer) -> None:
    secretariat, proposer = client_for(server, "secretariat"), client_for(server, "proposer")
    reviewer, other_reviewer = client_for(server, "reviewer", "2045-1"), client_for(server, "reviewer", "2045-1")
    public = client_for(server, None)
    closes = (dt.datetime.now(dt.UTC) + dt.timedelta(days=5)).isoformat()
    opened = secretariat.post(
        "/calls", json={"fiscal_year": 2045, "opens_at": dt.datetime.now(dt.UTC).isoformat(), "closes_at": closes}
    )
    assert opened.status_code == 201, opened.text
    refused = public.post("/calls", json={})
    assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
    assert proposer.post("/calls", json={}).status_code == 403

    draft = proposer.post(
        "/calls/2045-1/applications",
        json={
            "title_ja": "試験",
            "summary_ja": "概要",
            "plan": "計画",
            "fields": ["renewable-energy"],
            "plan_years": 1,
            "budget_jpy_by_year": [10_000_000],
            "japanese_governments": ["yokohama"],
            "partner_places": ["bangkok"],
        },
    )
    assert draft.status_code == 201, draft.text
    application = draft.json()
    assert application["missing_parts"] == ["an attachment: Application form"]
    too_big = proposer.post(
        f"/applications/{application['id']}/attachments",
        files={"file": ("form.pdf", PDF + b"0" * 3000, "application/pdf")},
    )
    assert too_big.status_code == 413 and "limit is 2,000 bytes" in too_big.json()["detail"]
    assert (
        proposer.post(
            f"/applications/{application['id']}/attachments", files={"file": ("form.pdf", PDF, "application/pdf")}
        ).status_code
        == 201
    )
    submitted = proposer.post(f"/applications/{application['id']}/submit")
    assert submitted.json()["state"] == "submitted" and submitted.json()["eligible"] is True
    again = proposer.post(f"/applications/{application['id']}/submit")
    assert again.status_code == 409 and "cannot go from Submitted to Submitted" in again.json()["detail"]

    assert secretariat.post("/calls/2045-1/state", json={"state": "reviewing"}).status_code == 200
    points = {"decarbonization_effect": 5, "jcm_feasibility": 4, "city_collaboration": 3, "policy_support": 2}
    for client, plan in ((reviewer, 1), (other_reviewer, 5)):
        scored = client.put(
            f"/reviews/applications/{application['id']}/score", json={"points": {**points, "plan_and_budget": plan}}
        )
        assert scored.status_code == 200, scored.text
    mine = reviewer.get("/reviews/2045-1").json()
    assert len(mine["scores"]) == 1 and mine["ranking"] == []
    assert secretariat.post("/calls/2045-1/adopt", json={"applications": [application["id"]]}).status_code == 409
    assert secretariat.post("/calls/2045-1/state", json={"state": "reviewed"}).status_code == 200
    assert len(reviewer.get("/reviews/2045-1").json()["scores"]) == 2
    projects = secretariat.post("/calls/2045-1/adopt", json={"applications": [application["id"]]}).json()
    assert public.get(f"/projects/{projects[0]}").status_code == 404  # not public before publication
    assert secretariat.post("/calls/2045-1/publish").status_code == 200
    assert public.get(f"/projects/{projects[0]}").json()["fiscal_year"] == 2045
    kinds = {n["kind"] for n in proposer.get("/notifications").json()}
    assert {"application.submitted", "application.adopted"} <= kinds


def test_subsidy_calculator_over_http(server: LiveServer) -> None:
    public = client_for(server, None)
    body = {
        "fiscal_year": 2025,
        "initial_investment_jpy": 300_000_000,
        "expected_reductions_tco2_per_year": 1500,
        "legal_durable_years": 15,
    }
    result = public.post("/subsidy/calculate", json=body).json()
    assert result["max_subsidy_jpy"] == 150_000_000 and result["cost_effectiveness_jpy_per_tco2"] == 6667
    assert result["cost_effectiveness_ok"] is None
    checked = public.post("/subsidy/calculate", json={**body, "cost_effectiveness_max_jpy_per_tco2": 7000}).json()
    assert checked["cost_effectiveness_ok"] is True
    assert public.post("/subsidy/calculate", json={**body, "initial_investment_jpy": -1}).status_code == 422


def test_a_reviewer_who_also_proposes_never_sees_a_competitors_draft(server: LiveServer) -> None:
    """The reviewer role covers the call and the proposer role an organization: no draft but its own."""
    secretariat = client_for(server, "secretariat")
    closes = (dt.datetime.now(dt.UTC) + dt.timedelta(days=5)).isoformat()
    call = {"fiscal_year": 2046, "opens_at": dt.datetime.now(dt.UTC).isoformat(), "closes_at": closes}
    assert secretariat.post("/calls", json=call).status_code == 201
    draft = {
        "title_ja": "競合",
        "plan_years": 1,
        "budget_jpy_by_year": [10_000_000],
        "japanese_governments": ["yokohama"],
        "partner_places": ["bangkok"],
    }
    competitor = client_for(server, "proposer").post("/calls/2046-1/applications", json=draft)
    assert competitor.status_code == 201, competitor.text
    insider = create_person(server.database, "proposer")  # type: ignore[attr-defined]
    with server.database.unit_of_work() as session:  # type: ignore[attr-defined]
        svc.grant(session, Actor.operator(), svc.user_by_id(session, insider.user_id), "reviewer", "2046-1")  # type: ignore[arg-type]
    token = create_token(server.database, insider.email, *SCOPES)  # type: ignore[attr-defined]
    with httpx.Client(base_url=server.url + "/api/v1", headers={"authorization": f"Bearer {token}"}) as api:
        own = api.post("/calls/2046-1/applications", json=draft | {"title_ja": "自社"})
        assert own.status_code == 201, own.text
        hidden = api.get(f"/applications/{competitor.json()['id']}")
        assert hidden.status_code == 404 and hidden.headers["content-type"] == "application/problem+json"
        listed = {a["id"] for a in api.get("/applications", params={"call": "2046-1"}).json()}
        assert listed == {own.json()["id"]}
    secretariat.close()
