"""Role administration over real HTTP: approvals by a second administrator, the history of grants."""

from __future__ import annotations

import uuid

import httpx
from typer.testing import CliRunner

from c3p.accounts.service import members as svc
from c3p.accounts.tables import RoleGrant
from c3p.cli import app as cli_app
from c3p.db.history import entries_for
from tests.support.accounts import create_token, create_user


def _admin(server) -> httpx.Client:  # type: ignore[no-untyped-def]
    email = f"admin-{uuid.uuid4().hex[:8]}@example.org"
    create_user(server.database, email, "administrator")
    token = create_token(server.database, email, "users.*")
    return httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {token}"}, timeout=30)


def _roles(server, user_id: int) -> set[str]:  # type: ignore[no-untyped-def]
    with server.database.reading() as session:
        return {grant.role for grant in svc.grants_of(session, user_id)}


def test_a_powerful_role_waits_for_a_second_administrator(accounts_server) -> None:  # type: ignore[no-untyped-def]
    first, second = _admin(accounts_server), _admin(accounts_server)
    target = create_user(accounts_server.database, f"jc-{uuid.uuid4().hex[:8]}@example.org")
    path = f"/api/v1/users/{target}/roles"
    body = {"role": "joint_committee_member", "scope": "VNM"}

    asked = first.post(path, json=body)
    assert asked.status_code == 202, asked.text
    assert "joint_committee_member" not in _roles(accounts_server, target)
    again = first.post(path, json=body)
    assert again.status_code == 409 and "another administrator" in again.json()["detail"]

    approved = second.post(path, json=body)
    assert approved.status_code == 201, approved.text
    assert "joint_committee_member" in {g["role"] for g in approved.json()["roles"]}
    with accounts_server.database.reading() as session:
        row = session.query(RoleGrant).filter_by(user_id=target, role="joint_committee_member").one()
        assert (row.granted_by, row.approved_by) != ("", "") and row.granted_by != row.approved_by
        history = entries_for(session, "role_grants", str(row.id))
    assert any("approved_by" in entry.changes for entry in history)
    first.close()
    second.close()


def test_an_ordinary_role_is_granted_at_once(accounts_server) -> None:  # type: ignore[no-untyped-def]
    admin = _admin(accounts_server)
    target = create_user(accounts_server.database, f"rev-{uuid.uuid4().hex[:8]}@example.org")
    response = admin.post(f"/api/v1/users/{target}/roles", json={"role": "reviewer", "scope": "2025-1"})
    assert response.status_code == 201, response.text
    assert "reviewer" in _roles(accounts_server, target)
    admin.close()


def _asked(server, asker: httpx.Client, role: str = "registry_administrator", scope: str = "JPN") -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """A new account and the id of the grant ``asker`` asked for it, waiting for approval."""
    target = create_user(server.database, f"asked-{uuid.uuid4().hex[:8]}@example.org")
    assert asker.post(f"/api/v1/users/{target}/roles", json={"role": role, "scope": scope}).status_code == 202
    waiting = {(g["user_id"], g["role"]): g for g in asker.get("/api/v1/role-grants/waiting").json()}
    grant = waiting[(target, role)]
    assert grant["asked_by_you"] is True and grant["scope_value"] == scope
    return target, grant["id"]


def test_a_refusal_needs_a_second_administrator_and_a_reason(accounts_server) -> None:  # type: ignore[no-untyped-def]
    first, second = _admin(accounts_server), _admin(accounts_server)
    target, grant_id = _asked(accounts_server, first)
    refusal = f"/api/v1/role-grants/{grant_id}/refusal"

    own = first.post(refusal, json={"reason": "changed my mind"})
    assert own.status_code == 409 and own.headers["content-type"] == "application/problem+json", own.text
    for reason in ("", "   ", "x" * 501):
        bad = second.post(refusal, json={"reason": reason})
        assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json", bad.text
    assert first.post(f"/api/v1/role-grants/{grant_id}/approval").status_code == 409
    assert grant_id in {g["id"] for g in second.get("/api/v1/role-grants/waiting").json()}  # nothing changed

    refused = second.post(refusal, json={"reason": "the registry has two administrators already"})
    assert refused.status_code == 200, refused.text
    assert "registry_administrator" not in {g["role"] for g in refused.json()["roles"]}
    assert grant_id not in {g["id"] for g in second.get("/api/v1/role-grants/waiting").json()}
    assert second.post(refusal, json={"reason": "again"}).status_code == 404
    assert second.post(f"/api/v1/role-grants/{grant_id}/approval").status_code == 404
    assert "registry_administrator" not in _roles(accounts_server, target)
    with accounts_server.database.reading() as session:
        history = entries_for(session, "role_grants", str(grant_id))
    assert sorted(entry.operation for entry in history) == ["delete", "insert", "update"]
    refusal_entry = next(entry for entry in history if entry.operation == "update")
    assert refusal_entry.changes["refusal_reason"][1] == "the registry has two administrators already"
    assert refusal_entry.actor == refusal_entry.changes["refused_by"][1] != history[0].changes.get("granted_by")
    # the same role can be asked for again after a refusal
    again = first.post(f"/api/v1/users/{target}/roles", json={"role": "registry_administrator", "scope": "JPN"})
    assert again.status_code == 202, again.text
    first.close()
    second.close()


def test_nobody_decides_on_a_grant_for_their_own_account(accounts_server) -> None:  # type: ignore[no-untyped-def]
    first, second = _admin(accounts_server), _admin(accounts_server)
    second_id = second.get("/api/v1/me").json()["user"]["id"]
    asked = first.post(f"/api/v1/users/{second_id}/roles", json={"role": "registry_administrator", "scope": "VNM"})
    assert asked.status_code == 202, asked.text
    (grant,) = [g for g in second.get("/api/v1/role-grants/waiting").json() if g["user_id"] == second_id]
    assert second.post(f"/api/v1/role-grants/{grant['id']}/approval").status_code == 403
    assert second.post(f"/api/v1/role-grants/{grant['id']}/refusal", json={"reason": "no"}).status_code == 403
    assert "registry_administrator" not in _roles(accounts_server, second_id)
    first.close()
    second.close()


def test_a_waiting_grant_already_counts_for_separation_of_duties(accounts_server) -> None:  # type: ignore[no-untyped-def]
    first, second = _admin(accounts_server), _admin(accounts_server)
    target, grant_id = _asked(accounts_server, first, "joint_committee_member", "VNM")
    # meanwhile the account was given the role that moves credits (asked for and approved)
    moving = first.post(f"/api/v1/users/{target}/roles", json={"role": "registry_administrator", "scope": "VNM"})
    assert moving.status_code == 422, moving.text  # the waiting grant already counts against it
    approved = second.post(f"/api/v1/role-grants/{grant_id}/approval")
    assert approved.status_code == 200 and "joint_committee_member" in {g["role"] for g in approved.json()["roles"]}
    first.close()
    second.close()


def test_the_waiting_list_is_for_administrators_only(accounts_server) -> None:  # type: ignore[no-untyped-def]
    email = f"sec-{uuid.uuid4().hex[:8]}@example.org"
    create_user(accounts_server.database, email, "secretariat")
    token = create_token(accounts_server.database, email, "users.*")
    with httpx.Client(base_url=accounts_server.url, headers={"authorization": f"Bearer {token}"}, timeout=30) as api:
        assert api.get("/api/v1/role-grants/waiting").status_code == 403
        assert api.post("/api/v1/role-grants/1/refusal", json={"reason": "x"}).status_code == 403
    with httpx.Client(base_url=accounts_server.url, timeout=30) as anonymous:
        assert anonymous.get("/api/v1/role-grants/waiting").status_code == 401


def test_the_approvals_page_forms_refuse_what_the_api_refuses(accounts_server) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.accounts.test_accounts_http import browser, form_token, sign_in

    asker, decider = _admin(accounts_server), f"decider-{uuid.uuid4().hex[:8]}@example.org"
    create_user(accounts_server.database, decider, "administrator")
    _, grant_id = _asked(accounts_server, asker)
    html = {"accept": "text/html"}
    with browser(accounts_server) as client:
        sign_in(client, decider)
        page = client.get("/admin/approvals")
        assert page.status_code == 200 and f'id="refuse-{grant_id}"' in page.text
        forged = client.post(f"/admin/approvals/{grant_id}/refuse", data={"reason": "no"}, headers=html)
        assert forged.status_code == 403
        token = form_token(client)
        empty = client.post(f"/admin/approvals/{grant_id}/refuse", data={"reason": " ", "csrf_token": token})
        assert empty.status_code == 422 and f'id="grant-{grant_id}-reason-error"' in empty.text
        withdrawn = client.post(f"/admin/approvals/{grant_id}/withdraw", data={"csrf_token": token})
        assert withdrawn.status_code == 409 and f'id="grant-{grant_id}-problem"' in withdrawn.text
        assert grant_id in {g["id"] for g in asker.get("/api/v1/role-grants/waiting").json()}
        refused = client.post(f"/admin/approvals/{grant_id}/refuse", data={"reason": "not needed", "csrf_token": token})
        assert refused.status_code == 303 and refused.headers["location"] == "/admin/approvals?saved=refused"
    assert grant_id not in {g["id"] for g in asker.get("/api/v1/role-grants/waiting").json()}
    asker.close()


def test_the_cli_says_a_powerful_grant_waits_and_the_operator_grants_at_once(accounts_server) -> None:  # type: ignore[no-untyped-def]
    first, second = f"cli-a-{uuid.uuid4().hex[:6]}@example.org", f"cli-b-{uuid.uuid4().hex[:6]}@example.org"
    for admin in (first, second):
        create_user(accounts_server.database, admin, "administrator")
    target = f"cli-t-{uuid.uuid4().hex[:6]}@example.org"
    target_id = create_user(accounts_server.database, target)
    database = ["--db", accounts_server.database.url]
    runner = CliRunner()

    asked = runner.invoke(cli_app, ["--as", first, "users", "grant", target, "administrator", *database])
    assert asked.exit_code == 0, asked.output
    said = " ".join(asked.output.split())  # the console wraps long lines
    assert "waits for a second administrator" in said and "Granted" not in said
    assert "administrator" not in _roles(accounts_server, target_id)
    approved = runner.invoke(cli_app, ["--as", second, "users", "grant", target, "administrator", *database])
    assert approved.exit_code == 0 and "Granted administrator" in approved.output, approved.output
    assert "administrator" in _roles(accounts_server, target_id)

    at_once = runner.invoke(cli_app, ["users", "grant", target, "registry_administrator", "--scope", "JPN", *database])
    assert at_once.exit_code == 0 and "Granted registry_administrator" in at_once.output, at_once.output
    assert "registry_administrator" in _roles(accounts_server, target_id)
