"""Role administration over real HTTP: approvals by a second administrator, the history of grants."""

from __future__ import annotations

import uuid

import httpx

from c3p.accounts.service import members as svc
from c3p.accounts.tables import RoleGrant
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
