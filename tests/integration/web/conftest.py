"""The credit registry's portal over real HTTP on each backend: registries, credits and people."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from c3p.credits import queries
from c3p.credits.tables import JournalEntry, PendingTransfer
from c3p.db.database import Database
from c3p.settings import Settings
from tests.conftest import LiveServer
from tests.integration.accounts.test_accounts_http import form_token, sign_in
from tests.support.credits import Registry, create_issuance, create_registry
from tests.support.workflow import Person, create_person

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A person's browser without JavaScript: reads pages and posts forms with the CSRF token.

    Every request names its language (``?lang=``): choosing one is remembered for the signed-in
    account, so a browser that left it unsaid would depend on what the tests before it chose.
    """

    def __init__(self, server: LiveServer, person: Person | None = None, lang: str = "en") -> None:
        self.client = httpx.Client(base_url=server.url, timeout=30, follow_redirects=False)
        self.lang = lang
        if person is not None:
            assert sign_in(self.client, person.email).status_code == 303
        self.csrf = form_token(self.client)

    def get(self, path: str, **params: str) -> httpx.Response:
        return self.client.get(path, params={"lang": self.lang, **params}, headers={"accept": "text/html"})

    def post(self, path: str, data: dict[str, str] | None = None, csrf: bool = True) -> httpx.Response:
        body = {**(data or {}), **({"csrf_token": self.csrf} if csrf else {})}
        return self.client.post(path, params={"lang": self.lang}, data=body, headers={"accept": "text/html"})

    def follow(self, response: httpx.Response) -> httpx.Response:
        """The page a form redirected to (in the language the post just named)."""
        assert response.status_code == 303, response.text[-2000:]
        return self.client.get(response.headers["location"], headers={"accept": "text/html"})


@dataclass
class CreditSite:
    server: LiveServer
    registry: Registry
    people: dict[str, Person]
    browsers: dict[str, Browser]

    @property
    def database(self) -> Database:
        return self.registry.database

    def state(self) -> dict[str, Any]:
        """What a refused form must leave as it was: every balance and status, the journal, pending transfers."""
        with self.database.reading() as session:
            return {
                "accounts": [(a.number, a.status, a.balance_credits) for a in queries.accounts(session)],
                "journal": session.scalar(select(func.count()).select_from(JournalEntry)),
                "pending": sorted(
                    tuple(row) for row in session.execute(select(PendingTransfer.key, PendingTransfer.status))
                ),
            }

    def balance(self, number: str) -> int:
        with self.database.reading() as session:
            return queries.account(session, number).balance_credits


@pytest.fixture(scope="module")
def credit_site(backend: str, new_database_url, tmp_path_factory) -> Iterator[CreditSite]:  # type: ignore[no-untyped-def]
    """Japan's and Viet Nam's registries with credits, and people: holders, administrators, an outsider."""
    from c3p.web.app import create_app

    database = Database(new_database_url(backend))
    database.upgrade()
    registry = create_registry(database)
    create_issuance(registry, {registry.jp_gov: 700, registry.jp_pp: 300, registry.vn_pp: 200})
    people = {
        "holder": create_person(database, "account_representative", registry.jp_pp, organization="acme-jp"),
        "vn_holder": create_person(database, "account_representative", registry.vn_pp, organization="acme-vn"),
        "member": create_person(database, None, organization="acme-jp"),
        "jp_admin": create_person(database, "registry_administrator", "JPN", organization="moej"),
        "vn_admin": create_person(database, "registry_administrator", "VNM", organization="vn-mone"),
        "outsider": create_person(database, None),
    }
    settings = Settings(data_dir=tmp_path_factory.mktemp("credits"), database_url=database.url, cookie_secure=False)
    server = LiveServer(create_app(settings, database), settings.data_dir).start()
    browsers = {name: Browser(server, person) for name, person in people.items()}
    browsers["public"] = Browser(server)
    yield CreditSite(server, registry, people, browsers)
    for browser in browsers.values():
        browser.client.close()
    server.stop()
    database.dispose()
