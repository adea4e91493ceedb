"""An organization's kind and official names change only by administrators, over the API and the page."""

from __future__ import annotations

import uuid

import httpx

from c3p.accounts.schemas import OrganizationView
from c3p.accounts.service import members as svc
from c3p.db.history import entries_for
from tests.integration.accounts.test_accounts_http import browser, form_token, sign_in
from tests.support.accounts import ORGANIZATION, create_organization, create_token, create_user


def _organization(server, slug: str) -> OrganizationView:  # type: ignore[no-untyped-def]
    with server.database.reading() as session:
        return OrganizationView.model_validate(svc.organization_by_slug(session, slug))


def _staff_of(server, slug: str, role: str = "proposer") -> str:  # type: ignore[no-untyped-def]
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.org"
    create_user(server.database, email, role, organization=slug)
    return email


def test_staff_keep_their_names_when_they_edit_the_website_on_the_page(accounts_server) -> None:  # type: ignore[no-untyped-def]
    slug = ORGANIZATION  # the organization the staff role of the test users covers
    create_organization(accounts_server.database, slug)
    before = _organization(accounts_server, slug)
    staff = _staff_of(accounts_server, slug)
    with browser(accounts_server) as client:
        sign_in(client, staff)
        token = form_token(client)
        same_names = {"name_en": before.name_en, "name_ja": before.name_ja, "csrf_token": token}
        saved = client.post(f"/organizations/{slug}/edit", data=same_names | {"website": "https://names.example"})
        assert saved.status_code == 303, saved.text
        renamed = same_names | {"name_en": "Ministry of the Environment, Japan", "website": "https://x.example"}
        refused = client.post(f"/organizations/{slug}/edit", data=renamed, headers={"accept": "text/html"})
        assert refused.status_code == 403 and "管理者" in refused.text
    after = _organization(accounts_server, slug)
    assert (after.name_en, after.kind, after.website) == (before.name_en, before.kind, "https://names.example")


def test_only_an_administrator_changes_kind_and_names_over_the_api(accounts_server) -> None:  # type: ignore[no-untyped-def]
    slug = f"names-{uuid.uuid4().hex[:6]}"
    create_organization(accounts_server.database, slug)
    secretariat, admin = (
        _staff_of(accounts_server, slug, "secretariat"),
        _staff_of(accounts_server, slug, "administrator"),
    )
    path = f"/api/v1/member-organizations/{slug}"
    for who, expected in ((secretariat, 403), (admin, 200)):
        token = create_token(accounts_server.database, who, "organizations.*")
        headers = {"authorization": f"Bearer {token}"}
        with httpx.Client(base_url=accounts_server.url, headers=headers, timeout=30) as api:
            for change in ({"kind": "ministry"}, {"name_ja": "環境省"}, {"name_en": "Renamed"}):
                answer = api.patch(path, json=change)
                assert answer.status_code == expected, (who, change, answer.text)
                if expected == 403:
                    assert answer.headers["content-type"] == "application/problem+json"
                    assert _organization(accounts_server, slug).kind == "company"
    after = _organization(accounts_server, slug)
    assert (after.kind, after.name_ja, after.name_en) == ("ministry", "環境省", "Renamed")
    with accounts_server.database.reading() as session:
        actors = {entry.actor for entry in entries_for(session, "member_organizations", str(after.id))}
    assert admin in actors and secretariat not in actors
