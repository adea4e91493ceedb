"""No back door through organizations: the secretariat cannot pose as an official body or join a credit holder.

The secretariat registers organizations and creates accounts, but membership of an organization
that holds credits reads its accounts, and an official kind (a ministry, the secretariat, a
TPE, a registry) says who speaks for the program. So both are an administrator's to give.
"""

from __future__ import annotations

import uuid

import httpx

from c3p.accounts.rules.policy import Actor
from c3p.accounts.service import members as svc
from c3p.credits import service as credits
from tests.integration.accounts.test_accounts_http import browser, sign_in
from tests.support.accounts import PASSWORD, create_organization, create_token, create_user


def _api(server, role: str) -> httpx.Client:  # type: ignore[no-untyped-def]
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.org"
    create_user(server.database, email, role)
    token = create_token(server.database, email, "users.*", "organizations.*")
    return httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {token}"}, timeout=30)


def _exists(server, slug: str) -> bool:  # type: ignore[no-untyped-def]
    with server.database.reading() as session:
        return svc.organization_by_slug(session, slug) is not None


def test_only_an_administrator_registers_an_organization_of_an_official_kind(accounts_server) -> None:  # type: ignore[no-untyped-def]
    secretariat, admin = _api(accounts_server, "secretariat"), _api(accounts_server, "administrator")
    for kind in svc.OFFICIAL_KINDS:
        slug = f"{kind.replace('_', '-')}-{uuid.uuid4().hex[:6]}"
        body = {"slug": slug, "name_en": "Ministry of the Environment, Japan", "kind": kind}
        refused = secretariat.post("/api/v1/member-organizations", json=body)
        assert refused.status_code == 403, (kind, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert "administrator" in refused.json()["detail"] and not _exists(accounts_server, slug)
        made = admin.post("/api/v1/member-organizations", json=body)
        assert made.status_code == 201 and made.json()["kind"] == kind, made.text
    company = {"slug": f"firm-{uuid.uuid4().hex[:6]}", "name_en": "A firm", "kind": "company"}
    assert secretariat.post("/api/v1/member-organizations", json=company).status_code == 201
    secretariat.close()
    admin.close()


def _holder_with_account(server) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A company holding a participant account in Japan's registry: its slug and the account number."""
    slug = f"holder-{uuid.uuid4().hex[:6]}"
    create_organization(server.database, slug)
    with server.database.unit_of_work() as session:
        account = credits.open_account(session, Actor.operator(), "JPN", "participant_holding", slug)
    return slug, account.number


def test_the_secretariat_cannot_place_an_account_of_its_own_inside_a_credit_holder(accounts_server) -> None:  # type: ignore[no-untyped-def]
    holder, number = _holder_with_account(accounts_server)
    secretariat, admin = _api(accounts_server, "secretariat"), _api(accounts_server, "administrator")
    insider = f"insider-{uuid.uuid4().hex[:6]}@example.org"
    body = {"email": insider, "organization": holder, "password": PASSWORD}

    refused = secretariat.post("/api/v1/users", json=body)
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json", refused.text
    assert holder in refused.json()["detail"]
    with accounts_server.database.reading() as session:
        assert svc.user_by_email(session, insider) is None
    with browser(accounts_server) as client:  # the account that would have read the holder's credits
        assert sign_in(client, insider).status_code != 303
        assert client.get(f"/api/v1/registry/accounts/{number}").status_code == 401

    made = admin.post("/api/v1/users", json=body)
    assert made.status_code == 201, made.text
    with browser(accounts_server) as client:  # membership given by an administrator reads the account
        assert sign_in(client, insider).status_code == 303
        assert client.get(f"/api/v1/registry/accounts/{number}").status_code == 200
    secretariat.close()
    admin.close()


def test_the_secretariat_still_creates_accounts_in_ordinary_organizations(accounts_server) -> None:  # type: ignore[no-untyped-def]
    slug = f"plain-{uuid.uuid4().hex[:6]}"
    create_organization(accounts_server.database, slug)
    secretariat = _api(accounts_server, "secretariat")
    made = secretariat.post("/api/v1/users", json={"email": f"staff-{slug}@example.org", "organization": slug})
    assert made.status_code == 201, made.text
    secretariat.close()
