"""The credit registry over real HTTP on both backends: public reads, guarded writes with tokens,
problem+json errors for bad input, and the portal's public pages (with their JSON twins)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from c3p.accounts.service import members as account_svc
from c3p.credits.tables import JournalEntry
from c3p.db.database import Database
from c3p.program.seed_loader import init_database
from c3p.settings import Settings
from tests.conftest import LiveServer
from tests.support.accounts import create_token, create_user
from tests.support.credits import (
    OPERATOR,
    Registry,
    create_issuance,
    create_registry,
    create_report,
    name_representative,
)


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
        ("member@example.org", None, "acme-jp"),
        ("moej-rep@example.org", None, "moej"),
        ("jc@example.org", "joint_committee_member", "moej"),
        ("admin-vn@example.org", None, "vn-mone"),
        ("platform@example.org", "administrator", "moej"),
        ("secretariat@example.org", "secretariat", "moej"),
    ):
        create_user(database, email, *([role] if role else []), organization=org)
        tokens[email.split("@")[0]] = create_token(database, email, "credits.*")
    name_representative(database, registry.jp_pp, "holder@example.org")
    name_representative(database, registry.jp_gov, "moej-rep@example.org")
    with database.unit_of_work() as session:  # a registry administrator of Viet Nam only
        user = account_svc.user_by_email(session, "admin-vn@example.org")
        account_svc.grant(session, OPERATOR, user, "registry_administrator", "VNM")  # type: ignore[arg-type]
    for email in ("platform@example.org", "secretariat@example.org"):
        tokens[email.split("@")[0] + "-users"] = create_token(database, email, "users.*")
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


def test_a_registry_administrator_reads_but_does_not_move_holders_credits(credits_server) -> None:  # type: ignore[no-untyped-def]
    server, registry, tokens = credits_server
    with client(server, tokens["admin-jp"]) as api:
        assert api.get(f"/accounts/{registry.jp_gov}").status_code == 200
        body = {"from_account": registry.jp_gov, "to_account": registry.jp_pp, "credits": 5}
        assert api.post("/transfers", json=body).status_code == 403


def test_a_representative_moves_its_account_only(credits_server) -> None:  # type: ignore[no-untyped-def]
    server, registry, tokens = credits_server
    with client(server, tokens["moej-rep"]) as api:
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
    with client(server, tokens["admin-jp"]) as api:
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
    with client(server, tokens["moej-rep"]) as api:
        before = api.get("/stats").json()
        response = api.post("/transfers", json={"from_account": registry.jp_gov, "to_account": registry.jp_pp, **body})
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]
        assert api.get("/stats").json() == before


def test_members_of_the_holder_read_but_never_move_its_credits(credits_server) -> None:  # type: ignore[no-untyped-def]
    server, registry, tokens = credits_server
    with client(server, tokens["member"]) as api:
        assert api.get(f"/accounts/{registry.jp_pp}").status_code == 200
        before = api.get(f"/accounts/{registry.jp_pp}").json()["balance_credits"]
        body = {"from_account": registry.jp_pp, "credits": 1}
        for path, extra in (
            ("/transfers", {"to_account": registry.jp_gov}),
            ("/retirements", {"purpose": "NDC", "beneficiary": "x"}),
            ("/cancellations", {}),
        ):
            refused = api.post(path, json={**body, **extra})
            assert refused.status_code == 403, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
        assert api.get(f"/accounts/{registry.jp_pp}").json()["balance_credits"] == before
        shown = api.get(f"/accounts/{registry.jp_pp}/representatives").json()
        assert [person["email"] for person in shown] == ["holder@example.org"]


def test_representatives_move_their_own_account_only(credits_server) -> None:  # type: ignore[no-untyped-def]
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


def test_only_the_registry_administrator_of_the_account_names_its_representatives(credits_server) -> None:  # type: ignore[no-untyped-def]
    server, registry, tokens = credits_server
    path = f"/accounts/{registry.jp_pp}/representatives"
    member = {"email": "member@example.org"}
    with registry.database.reading() as session:
        member_id = account_svc.user_by_email(session, member["email"]).id  # type: ignore[union-attr]
    for who in ("platform-users", "secretariat-users"):  # the platform's role administration refuses the role
        with httpx.Client(base_url=server.url, timeout=30, headers={"authorization": f"Bearer {tokens[who]}"}) as web:
            grant = {"role": "account_representative", "scope": registry.jp_pp}
            refused = web.post(f"/api/v1/users/{member_id}/roles", json=grant)
            assert refused.status_code == 403, (who, refused.text)
    for who in ("member", "holder", "admin-vn", "jc"):
        with client(server, tokens[who]) as api:
            assert api.post(path, json=member).status_code == 403, who
    with client(server, tokens["member"]) as api:
        moved = api.post(
            "/transfers", json={"from_account": registry.jp_pp, "to_account": registry.jp_gov, "credits": 1}
        )
        assert moved.status_code == 403
    with client(server, tokens["admin-jp"]) as api:
        named = api.post(path, json=member)
        assert named.status_code == 201, named.text
        assert api.post(path, json=member).status_code == 409
        assert (
            api.post(f"/accounts/{registry.jp_gov}/representatives", json={"email": "nobody@example.org"}).status_code
            == 404
        )
        assert api.post(path, json={"email": "admin-jp@example.org"}).status_code == 403  # never oneself
    with client(server, tokens["member"]) as api:
        moved = api.post(
            "/transfers", json={"from_account": registry.jp_pp, "to_account": registry.jp_gov, "credits": 1}
        )
        assert moved.status_code == 201, moved.text
        assert (
            api.post(
                "/transfers", json={"from_account": registry.jp_gov, "to_account": registry.jp_pp, "credits": 1}
            ).status_code
            == 403
        )
    with client(server, tokens["admin-jp"]) as api:
        removed = api.delete(path, params=member)
        assert removed.status_code == 200, removed.text
        assert member["email"] not in [r["email"] for r in removed.json()]
        assert api.delete(path, params=member).status_code == 404
    with client(server, tokens["member"]) as api:
        moved = api.post(
            "/transfers", json={"from_account": registry.jp_pp, "to_account": registry.jp_gov, "credits": 1}
        )
        assert moved.status_code == 403


def test_a_transfer_above_the_threshold_waits_for_a_second_representative(credits_server) -> None:  # type: ignore[no-untyped-def]
    server, registry, tokens = credits_server
    for email in ("vn-first@example.org", "vn-second@example.org"):
        create_user(registry.database, email, organization="acme-vn")
        tokens[email.split("@")[0]] = create_token(registry.database, email, "credits.*")
        name_representative(registry.database, registry.vn_pp, email)
    settings = "/registries/VNM/settings"
    body = {"from_account": registry.vn_pp, "to_account": registry.vn_gov, "credits": 60}
    try:
        with client(server, tokens["admin-vn"]) as api:
            for bad in (0, -1, 1.5, "50", 10**13, True):
                refused = api.put(settings, json={"approval_threshold_credits": bad})
                assert refused.status_code == 422, (bad, refused.text)
                assert refused.headers["content-type"].startswith("application/problem+json")
            assert api.put(settings, json={"approval_threshold_credits": 50}).json() == {
                "registry": "VNM",
                "approval_threshold_credits": 50,
            }
        with client(server, tokens["admin-jp"]) as api:  # another registry's administrator
            assert api.put(settings, json={"approval_threshold_credits": None}).status_code == 403
        with client(server, tokens["vn-first"]) as api:
            proposed = api.post("/transfers", json=body)
            assert proposed.status_code == 201, proposed.text
            assert proposed.json()["status"] == "awaiting_approval"
            key = proposed.json()["key"]
            own = api.post(f"/proposals/{key}/approve")
            assert own.status_code == 403 and "another representative" in own.json()["detail"]
            assert [p["key"] for p in api.get("/proposals", params={"account": registry.vn_pp}).json()] == [key]
        balance = registry_balance(server, tokens["vn-first"], registry.vn_pp)
        for who in ("admin-vn", "holder", "member"):
            with client(server, tokens[who]) as api:
                assert api.post(f"/proposals/{key}/approve").status_code == 403, who
        assert registry_balance(server, tokens["vn-first"], registry.vn_pp) == balance
        with client(server, tokens["vn-second"]) as api:
            approved = api.post(f"/proposals/{key}/approve")
            assert approved.status_code == 200, approved.text
            assert approved.json()["status"] == "completed" and approved.json()["credits"] == 60
            assert approved.json()["details"]["proposed_by"] != approved.json()["details"]["approved_by"]
            again = api.post(f"/proposals/{key}/refuse")
            assert again.status_code == 409 and again.headers["content-type"].startswith("application/problem+json")
            assert api.post("/proposals/nope/approve").status_code == 404
        assert registry_balance(server, tokens["vn-first"], registry.vn_pp) == balance - 60
    finally:
        with client(server, tokens["admin-vn"]) as api:
            assert api.put(settings, json={"approval_threshold_credits": None}).status_code == 200


def registry_balance(server: LiveServer, token: str, number: str) -> int:
    with client(server, token) as api:
        return int(api.get(f"/accounts/{number}").json()["balance_credits"])


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
    with client(server, tokens["moej-rep"]) as api:
        sent = api.post(
            "/transfers", json={"from_account": registry.jp_gov, "to_account": registry.vn_pp, "credits": 2}
        )
        assert sent.status_code == 201, sent.text
    with client(server, tokens["admin-jp"]) as api:
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
    with client(server, tokens["admin-jp"]) as reader:
        before = reader.get(f"/accounts/{registry.jp_pp}").json()["balance_credits"]
    with client(server, tokens["moej-rep"]) as api:  # a representative of the sending account
        done = api.post("/transfers/batch", json={"transfers": [one, one]})
        assert done.status_code == 201, done.text
        assert [t["credits"] for t in done.json()] == [1, 1]
        refused = api.post("/transfers/batch", json={"transfers": [one, {**one, "to_account": "JPN-P-999999"}]})
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert [r["transfer"] for r in refused.json()["refused"]] == [2]
        assert api.post("/transfers/batch", json={"transfers": []}).status_code == 422
    with client(server, tokens["admin-jp"]) as reader:
        assert reader.get(f"/accounts/{registry.jp_pp}").json()["balance_credits"] == before + 2
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


def test_a_token_an_administrator_made_for_a_representative_names_both_in_the_journal(credits_server) -> None:  # type: ignore[no-untyped-def]
    server, registry, _ = credits_server
    database = server.server.config.app.state.database  # type: ignore[attr-defined]
    maker = create_token(database, "platform@example.org", "tokens.*", "credits.*")
    with database.reading() as session:
        holder_id = account_svc.user_by_email(session, "holder@example.org").id  # type: ignore[union-attr]
    headers = {"authorization": f"Bearer {maker}"}
    with httpx.Client(base_url=server.url + "/api/v1", headers=headers, timeout=30) as api:
        made = api.post("/tokens", json={"name": "for the holder", "scopes": ["credits.*"], "user_id": holder_id})
        assert made.status_code == 201, made.text
    with client(server, made.json()["token"]) as api:
        body = {"from_account": registry.jp_pp, "to_account": registry.jp_gov, "credits": 1}
        moved = api.post("/transfers", json=body)
        assert moved.status_code == 201, moved.text
        assert moved.json()["actor"] == "platform@example.org on behalf of holder@example.org"
    with database.reading() as session:  # the hash-chained entry itself, not only the view of it
        entry = json.loads(session.get(JournalEntry, moved.json()["seq"]).entry)  # type: ignore[union-attr]
    assert entry["actor"] == "platform@example.org on behalf of holder@example.org"
