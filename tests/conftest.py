"""Shared fixtures: real databases on both backends, a live HTTP server, a real browser."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from c3p.db.database import Database
from c3p.program.seed_loader import init_database
from c3p.settings import Settings
from tests.support.pgcluster import PostgresCluster, free_port

BACKENDS = ("sqlite", "postgresql")

# the registry's signing key of every test run lives in a folder of its own, never the user's data folder
os.environ.setdefault(
    "C3P_REGISTRY_SIGNING_KEY", str(Path(tempfile.mkdtemp(prefix="c3p-test-key-")) / "registry_signing_key.pem")
)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def new_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A factory of empty databases: ``new_database_url("sqlite")`` or ``("postgresql")``."""

    def make(backend: str) -> str:
        name = f"c3p_{uuid.uuid4().hex[:12]}"
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('db') / (name + '.sqlite3')}"
        cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
        return cluster.create_database(name)

    return make


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def loaded_database(backend: str, new_database_url) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    """A database created by the migrations and loaded with the program's data (read-only use)."""
    database = Database(new_database_url(backend))
    init_database(database)
    yield database
    database.dispose()


@pytest.fixture
def fresh_database(backend: str, new_database_url) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    """An empty database of its own, for tests that write."""
    database = Database(new_database_url(backend))
    yield database
    database.dispose()


class LiveServer:
    def __init__(self, app, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # a test client may pause longer than uvicorn's 5 s idle limit on a busy machine; a request
        # sent just as the server closes the idle connection is reset, which is no finding of ours
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False, timeout_keep_alive=120
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/api/v1/stats", timeout=2)
                return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("live server did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(new_database_url, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """The real app over real HTTP on loopback, on its own SQLite database."""
    from c3p.web.app import create_app

    data_dir = tmp_path_factory.mktemp("data")
    database = Database(new_database_url("sqlite"))
    init_database(database)
    settings = Settings(data_dir=data_dir, database_url=database.url)
    server = LiveServer(create_app(settings, database), data_dir).start()
    yield server
    server.stop()
    database.dispose()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or os.environ.get("C3P_CHROMIUM")
    if not executable:
        pytest.fail("Chromium is not installed: apt-get install chromium (see .ci/run)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def api_server(loaded_database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app over real HTTP on each backend's loaded database."""
    from c3p.web.app import create_app

    data_dir = tmp_path_factory.mktemp("data")
    settings = Settings(data_dir=data_dir, database_url=loaded_database.url)
    server = LiveServer(create_app(settings, loaded_database), data_dir).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def api(api_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_server.url + "/api/v1", timeout=30) as client:
        yield client


# --- accounts ------------------------------------------------------------------------------


@pytest.fixture
def accounts_database(fresh_database: Database) -> Database:
    """An empty database at the newest schema (no program data), on each backend."""
    fresh_database.upgrade()
    return fresh_database


@pytest.fixture(scope="module")
def accounts_server(backend: str, new_database_url, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """The app over real HTTP on a schema-only database of its own, cookies allowed over HTTP."""
    from c3p.web.app import create_app

    data_dir = tmp_path_factory.mktemp("accounts")
    database = Database(new_database_url(backend))
    database.upgrade()
    settings = Settings(data_dir=data_dir, database_url=database.url, cookie_secure=False)
    server = LiveServer(create_app(settings, database), data_dir).start()
    server.database = database  # type: ignore[attr-defined]
    server.settings = settings  # type: ignore[attr-defined]
    yield server
    server.stop()
    database.dispose()
