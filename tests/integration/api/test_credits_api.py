"""The credit registry over real HTTP on both backends: public reads, guarded writes with tokens,
problem+json errors for bad input, and the portal's public pages (with their JSON twins)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from c3p.db.database import Database
from c3p.program.seed_loader import init_database
from c3p.settings import Settings
from tests.conftest import LiveServer
from tests.support.accounts import create_token, create_user
from tests.support.credits import Registry, create_issuance, create_registry, create_report


@pytest.fixture(scope="module")
def credits_server(
    backend: str, new_database_url, tmp_path_factory
) -> Iterator[tuple[LiveServer, Registry, dict[str, str]]]:  # type: ignore[no-untyped-def]
    from c3p.web.app import create_app

    database = Database(new_database_url(backend))
    init_database(database)
    registry = create_registry(database)
    create_issuance(registry, {registry.jp_gov: 700, registry.jp_pp: 100, registry.vn_pp: 200})
    tokens = {}
    for email, role, org in (
        ("admin-jp@example.org", "registry_administrator", "moej"),
        ("holder@example.org", None, "acme-jp"),
        ("jc@example.org", "joint_committee_member", "moej"),
    ):
        create_user(database, email, *([role] if role else []), organization=org)
        tokens[email.split("@")[0]] = create_token(database, email, "credits.*")
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), database_url=database.url)
    server = LiveServer(create_app(settings, database), settings.data_dir).start()
    yield server, registry, tokens
    server.stop()
    database.dispose()


def client(server: LiveServer, token: str | None = None) -> httpx.Client:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=server.url + "/api/v1/registry", headers=headers, timeout=30)


def test_public_reads(credits_server) -> None:  # type: ignore[no-untyped-def]
    server, registry, _ = credits_server
    with client(server) as api:
        issuances = api.get("/issuances").json()
        assert issuances[0]["credits"] == 1000 and issuances[0]["serials"][0].startswith("JCM-JPN-VNM-VN007-001-")
        assert api.get("/stats").json()["issued_credits"] >= 1000
        assert api.get("/projects").json()[0]["project"] == "vn-007"
        holder = api.get("/holder-of/JCM-VNM-VNM-VN007-001-000000000001").json()
        assert holder["account"] == registry.vn_pp
        assert api.get("/article6").status_code == 200
        missing = api.get("/holder-of/JCM-VNM-VNM-VN007-001-000099999999")
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


def test_writes_need_a_signed_in_actor(credits_server) -> None:  # type: ignore[no-untyped-def]
    server, registry, _ = credits_server
    with client(server) as api:
        response = api.post(
            "/transfers", json={"from_account": registry.jp_gov, "to_account": registry.jp_pp, "credits": 1}
        )
    assert response.status_code == 401
    assert response.json()["status"] == 401


def test_a_registry_administrator_transfers_in_their_country_only(credits_server) -> None:  # type: ignore[no-untyped-def]
    server, registry, tokens = credits_server
    with client(server, tokens["admin-jp"]) as api:
        done = api.post(
            "/transfers", json={"from_account": registry.jp_gov, "to_account": registry.jp_pp, "credits": 5}
        )
        assert done.status_code == 201, done.text
        assert done.json()["credits"] == 5
        refused = api.post(
            "/transfers", json={"from_account": registry.vn_pp, "to_account": registry.vn_gov, "credits": 1}
        )
        assert refused.status_code == 403
        retired = api.post(
            "/retirements",
            json={
                "from_account": registry.jp_gov,
                "credits": 3,
                "purpose": "NDC",
                "beneficiary": "Government of Japan",
            },
        )
        assert retired.status_code == 201
        assert api.get("/verify").json()["ok"] is True


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"credits": 1.5}, 422),
        ({"credits": 0}, 422),
        ({"credits": -3}, 422),
        ({"credits": "2"}, 422),
        ({"credits": 1, "to_account": "JPN-P-999999"}, 404),
        ({"credits": 10**6}, 422),
        ({"serial": "JCM-JPN-VNM-VN007-001-000000900000-000000900010"}, 422),
    ],
)
def test_bad_input_is_a_problem_document_and_changes_nothing(credits_server, body: dict[str, Any], status: int) -> None:  # type: ignore[no-untyped-def]
    server, registry, tokens = credits_server
    with client(server, tokens["admin-jp"]) as api:
        before = api.get("/stats").json()
        response = api.post("/transfers", json={"from_account": registry.jp_gov, "to_account": registry.jp_pp, **body})
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]
        assert api.get("/stats").json() == before


def test_holders_move_their_own_credits_only(credits_server) -> None:  # type: ignore[no-untyped-def]
    server, registry, tokens = credits_server
    with client(server, tokens["holder"]) as api:
        own = api.post("/transfers", json={"from_account": registry.jp_pp, "to_account": registry.jp_gov, "credits": 1})
        assert own.status_code == 201, own.text
        other = api.post(
            "/transfers", json={"from_account": registry.jp_gov, "to_account": registry.jp_pp, "credits": 1}
        )
        assert other.status_code == 403
        assert api.get(f"/accounts/{registry.jp_pp}").status_code == 200
        assert api.get(f"/accounts/{registry.jp_gov}").status_code == 403


def test_the_joint_committee_issues_once_per_notification(credits_server) -> None:  # type: ignore[no-untyped-def]
    server, registry, tokens = credits_server
    report_id = create_report(registry, 100)
    notice = {
        "notification_ref": f"JC-API-{report_id}",
        "report_id": report_id,
        "credits": 100,
        "allocation": [{"account": registry.jp_gov, "credits": 60}, {"account": registry.vn_gov, "credits": 40}],
        "authorized": True,
    }
    with client(server, tokens["jc"]) as api:
        first = api.post("/issuances", json=notice)
        again = api.post("/issuances", json=notice)
        assert first.status_code == 201, first.text
        assert again.json()["id"] == first.json()["id"]
        too_much = api.post(
            "/issuances",
            json={
                **notice,
                "notification_ref": "JC-API-X",
                "credits": 1,
                "allocation": [{"account": registry.jp_gov, "credits": 1}],
            },
        )
        assert too_much.status_code == 409
    with client(server, tokens["holder"]) as api:
        assert api.post("/issuances", json={**notice, "notification_ref": "JC-API-Y"}).status_code == 403


def test_public_pages_and_their_json_twins(credits_server) -> None:  # type: ignore[no-untyped-def]
    server, _registry, _ = credits_server
    with httpx.Client(base_url=server.url, timeout=30) as web:
        for path in ("/credits", "/credits/issuances", "/credits/retirements", "/credits/projects"):
            for lang in ("ja", "en"):
                page = web.get(path, params={"lang": lang})
                assert page.status_code == 200 and "<table" in page.text
            assert web.get(path, params={"format": "json"}).headers["content-type"] == "application/json"
        assert "JCMクレジット登録簿" in web.get("/credits", params={"lang": "ja"}).text
        assert web.get("/credits/accounts/JPN-G-000005").status_code == 401


def test_typed_bodies_keep_what_the_queries_say(credits_server) -> None:  # type: ignore[no-untyped-def]
    from c3p.credits import queries

    server, registry, tokens = credits_server
    with client(server, tokens["admin-jp"]) as api:
        sent = api.post(
            "/transfers", json={"from_account": registry.jp_gov, "to_account": registry.vn_pp, "credits": 2}
        )
        assert sent.status_code == 201, sent.text
        account = api.get(f"/accounts/{registry.jp_gov}").json()
        pending = api.get("/pending")
        assert pending.status_code == 200, pending.text
    with registry.database.reading() as session:
        view = queries.account(session, registry.jp_gov)
        assert account == {**view.model_dump(mode="json"), "blocks": queries.blocks_of(session, registry.jp_gov)}
        waiting = queries.pending(session)
    assert any(p["from_account"] == registry.jp_gov and p["credits"] == 2 for p in waiting)
    for item in pending.json():
        assert item in waiting


def test_an_anonymous_visitor_sees_reports_without_the_peoples_e_mails(credits_server) -> None:  # type: ignore[no-untyped-def]
    from c3p.accounts.rules.policy import Actor
    from c3p.credits import verification
    from tests.support.credits import next_day, submit_report

    server, registry, tokens = credits_server
    reporter = Actor.operator("reporter.person@example.org")
    report = submit_report(registry.database, registry.settings, 7, next_day(registry), actor=reporter)
    with registry.database.unit_of_work() as session:
        verification.verify(session, Actor.operator("verifier.person@example.org"), report.id, 7, "fair")
    anonymous = httpx.get(server.url + "/api/v1/registry/reports", timeout=30)
    assert anonymous.status_code == 200
    assert any(r["id"] == report.id for r in anonymous.json())
    assert "@" not in anonymous.text
    with client(server, tokens["jc"]) as api:
        assert "reporter.person@example.org" in api.get("/reports").text


def test_a_batch_of_transfers_is_applied_whole_or_refused_whole(credits_server) -> None:  # type: ignore[no-untyped-def]
    server, registry, tokens = credits_server
    one = {"from_account": registry.jp_gov, "to_account": registry.jp_pp, "credits": 1}
    with client(server, tokens["admin-jp"]) as api:
        before = api.get(f"/accounts/{registry.jp_pp}").json()["balance_credits"]
        done = api.post("/transfers/batch", json={"transfers": [one, one]})
        assert done.status_code == 201, done.text
        assert [t["credits"] for t in done.json()] == [1, 1]
        refused = api.post("/transfers/batch", json={"transfers": [one, {**one, "to_account": "JPN-P-999999"}]})
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert [r["transfer"] for r in refused.json()["refused"]] == [2]
        assert api.get(f"/accounts/{registry.jp_pp}").json()["balance_credits"] == before + 2
        assert api.post("/transfers/batch", json={"transfers": []}).status_code == 422
    with client(server, tokens["holder"]) as api:
        assert api.post("/transfers/batch", json={"transfers": [one]}).status_code == 403


def test_the_open_data_is_public_with_its_schema_and_cadtrust_export(credits_server) -> None:  # type: ignore[no-untyped-def]
    import jsonschema

    server, registry, _ = credits_server
    with client(server) as api:
        dump = api.get("/open-data")
        assert dump.status_code == 200
        jsonschema.Draft202012Validator(api.get("/open-data/schema").json()).validate(dump.json())
        assert sum(b["credits"] for b in dump.json()["blocks"]) == sum(i["credits"] for i in dump.json()["issuances"])
        units = api.get("/open-data/cadtrust").json()["units"]
        assert units and all(u["unitRegistryLink"].startswith("http") for u in units)
        assert registry.jp_gov not in dump.text
