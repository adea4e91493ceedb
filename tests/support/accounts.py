"""Test-data helpers for accounts: real rows through the real services (no mocks)."""

from __future__ import annotations

import datetime as dt

from c3p.accounts.rules.policy import Actor
from c3p.accounts.service import api_tokens
from c3p.accounts.service import members as svc
from c3p.db.database import Database

PASSWORD = "a long passphrase for tests"
ORGANIZATION = "acme"
#: one user per role; scoped roles get a scope the tests use as "theirs"
ROLE_SCOPES = {
    "administrator": None,
    "secretariat": None,
    "reviewer": "2025-1",
    "japanese_government_staff": ORGANIZATION,
    "proposer": ORGANIZATION,
    "partner_city_official": ORGANIZATION,
    "project_participant": "fy2025-01",
    "tpe": ORGANIZATION,
    "joint_committee_member": "VNM",
    "registry_administrator": "JPN",
    "account_representative": "JPN-P-000002",
}


def create_organization(database: Database, slug: str = ORGANIZATION) -> None:
    with database.unit_of_work() as session:
        if svc.organization_by_slug(session, slug) is None:
            svc.create_organization(session, Actor.operator(), slug, slug.upper(), "company")


def create_user(
    database: Database,
    email: str,
    *roles: str,
    organization: str = ORGANIZATION,
    password: str | None = PASSWORD,
) -> int:
    """A user of ``organization`` holding ``roles`` (scoped ones with the scope of ROLE_SCOPES)."""
    create_organization(database, organization)
    with database.unit_of_work() as session:
        row = svc.organization_by_slug(session, organization)
        user = svc.create_user(session, Actor.operator(), email, email, row, password)  # type: ignore[arg-type]
        for role in roles:
            svc.grant(session, Actor.operator(), user, role, ROLE_SCOPES[role])
        return user.id


def create_token(database: Database, email: str, *scopes: str, days: int = 30) -> str:
    with database.unit_of_work() as session:
        user = svc.user_by_email(session, email)
        created = api_tokens.create_token(
            session,
            Actor.operator(),
            user,
            "test",
            list(scopes),
            dt.timedelta(days=days),  # type: ignore[arg-type]
        )
        return created.token


def sign_in_browser(page, base_url: str, email: str) -> None:  # type: ignore[no-untyped-def]
    """Sign ``email`` in on the portal's sign-in page, as a person would (Playwright ``page``)."""
    page.goto(base_url + "/sign-in")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/sign-in'] button[type=submit]")
    page.wait_for_load_state()
