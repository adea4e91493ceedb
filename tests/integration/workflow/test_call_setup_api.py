"""The call set-up and selection tools through the API over real HTTP: tokens per role, problem+json."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

from openpyxl import load_workbook

from tests.conftest import LiveServer
from tests.integration.workflow import test_workflow_api
from tests.integration.workflow.test_workflow_api import client_for
from tests.support.workflow import PDF

server = test_workflow_api.server  # the same live server fixture, one per module

APPLICATION = {
    "title_ja": "試験",
    "summary_ja": "概要",
    "plan": "計画",
    "fields": ["renewable-energy"],
    "plan_years": 1,
    "budget_jpy_by_year": [10_000_000],
    "japanese_governments": ["yokohama"],
    "partner_places": ["bangkok"],
}


def test_terms_rulings_returns_workbook_and_adoption_over_http(server: LiveServer) -> None:
    secretariat, proposer = client_for(server, "secretariat"), client_for(server, "proposer")
    now = dt.datetime.now(dt.UTC)
    closes = "2046-05-01T17:00:00+09:00"
    opened = secretariat.post("/calls", json={"fiscal_year": 2046, "opens_at": now.isoformat(), "closes_at": closes})
    assert opened.status_code == 201, opened.text
    assert opened.json()["closes_at"].startswith("2046-05-01T08:00:00")  # the moment, kept in UTC

    changed = secretariat.patch(
        "/calls/2046-1",
        json={"target_countries": ["VNM"], "priority_countries": ["MYS"], "max_budget_jpy_per_year": 12_000_000},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["target_countries"], changed.json()["priority_countries"]) == (["VNM"], ["MYS"])
    refused = secretariat.patch("/calls/2046-1", json={"target_countries": ["QQQ"]})
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert proposer.patch("/calls/2046-1", json={"title_en": "mine"}).status_code == 403
    assert secretariat.patch("/calls/2046-1", json={"colour": "red"}).status_code == 422

    document = secretariat.post(
        "/calls/2046-1/documents", data={"kind": "scoring_sheet"}, files={"file": ("sheet.pdf", PDF, "application/pdf")}
    )
    assert document.status_code == 201, document.text
    terms = client_for(server, None).get("/calls/2046-1/terms").json()
    assert [d["kind"] for d in terms["documents"]] == ["scoring_sheet"]
    assert [c["name_en"] for c in terms["priority"] if c["candidate"]] == ["Malaysia"]

    draft = proposer.post("/calls/2046-1/applications", json=APPLICATION).json()
    proposer.post(f"/applications/{draft['id']}/attachments", files={"file": ("form.pdf", PDF, "application/pdf")})
    assert proposer.post(f"/applications/{draft['id']}/submit").status_code == 200
    assert proposer.get(f"/applications/{draft['id']}").json()["eligible"] is False  # Bangkok: not a target

    no_reason = secretariat.post(f"/applications/{draft['id']}/eligibility", json={"eligible": True, "reason": ""})
    assert no_reason.status_code == 422
    ruled = secretariat.post(
        f"/applications/{draft['id']}/eligibility", json={"eligible": True, "reason": "Committee decision of 1 June"}
    )
    assert ruled.status_code == 200 and ruled.json()["eligible"] is True
    assert ruled.json()["eligibility_override_reason"] == "Committee decision of 1 June"
    assert (
        proposer.post(f"/applications/{draft['id']}/eligibility", json={"eligible": True, "reason": "x"}).status_code
        == 403
    )

    due = (now + dt.timedelta(days=3)).isoformat()
    returned = secretariat.post(f"/applications/{draft['id']}/return", json={"message": "Sign page 2.", "due_at": due})
    assert returned.status_code == 200 and returned.json()["state"] == "draft"
    assert returned.json()["correction_message"] == "Sign page 2."
    assert proposer.post(f"/applications/{draft['id']}/submit").status_code == 200

    assert secretariat.post("/calls/2046-1/state", json={"state": "reviewing"}).status_code == 200
    assert secretariat.post("/calls/2046-1/state", json={"state": "reviewed"}).status_code == 200
    workbook = secretariat.get("/calls/2046-1/scores.xlsx")
    assert workbook.status_code == 200
    assert [
        row[1] for row in load_workbook(BytesIO(workbook.content))["Ranking"].iter_rows(min_row=2, values_only=True)
    ] == [draft["id"]]

    too_much = secretariat.post(
        "/calls/2046-1/adopt", json={"applications": [draft["id"]], "grants_jpy": {str(draft["id"]): 10_000_001}}
    )
    assert too_much.status_code == 409 and list(too_much.json()["errors"]) == [str(draft["id"])]
    adopted = secretariat.post(
        "/calls/2046-1/adopt",
        json={"applications": [draft["id"]], "grants_jpy": {str(draft["id"]): 9_000_000}, "decided_on": "2046-07-01"},
    )
    assert adopted.status_code == 200, adopted.text
    application = secretariat.get(f"/applications/{draft['id']}").json()
    assert (application["grant_amount_jpy"], application["grant_decided_on"]) == (9_000_000, "2046-07-01")
