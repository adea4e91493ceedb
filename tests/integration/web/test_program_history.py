"""Registry record pages show their change history to those who may read it, and only to them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from c3p.db.database import Database
from c3p.program.seed_loader import init_database
from c3p.settings import Settings
from tests.conftest import LiveServer
from tests.integration.accounts.test_accounts_http import sign_in
from tests.support.accounts import create_user


@pytest.fixture(scope="module")
def server(new_database_url, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    from c3p.web.app import create_app

    database = Database(new_database_url("sqlite"))
    init_database(database)
    settings = Settings(data_dir=tmp_path_factory.mktemp("history"), database_url=database.url, cookie_secure=False)
    live = LiveServer(create_app(settings, database), settings.data_dir).start()
    live.database = database  # type: ignore[attr-defined]
    yield live
    live.stop()
    database.dispose()


def _project_page(client: httpx.Client) -> str:
    slug = client.get("/api/v1/projects", params={"sort": "number", "per_page": 1}).json()["items"][0]["slug"]
    return client.get(f"/projects/{slug}", headers={"accept": "text/html"}).text


def test_the_public_sees_no_history(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert 'id="history"' not in _project_page(client)


def test_the_secretariat_sees_who_created_the_record(server: LiveServer) -> None:
    email = f"s{uuid.uuid4().hex[:8]}@example.org"
    create_user(server.database, email, "secretariat")  # type: ignore[attr-defined]
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert sign_in(client, email).status_code == 303
        page = _project_page(client)
    assert 'id="history"' in page
    assert 'data-operation="insert"' in page
