"""``c3p serve`` prepares the database in a child process while it builds the web app."""

from __future__ import annotations

import gc
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from c3p.cli import app
from c3p.cli._serve import DatabaseUnavailable, prepare_while_building
from c3p.cli._startup import collector_paused
from c3p.db import tables as t
from c3p.db.database import Database
from c3p.program.seed import read_seed
from c3p.settings import Settings
from tests.conftest import LiveServer
from tests.support.cli import run_c3p
from tests.support.garbage import dropped_pool
from tests.support.pgcluster import free_port


def settings_for(url: str, **values: str) -> Settings:
    return Settings(database_url=url, **values)  # type: ignore[arg-type]


def test_a_fresh_database_is_created_and_loaded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    app = prepare_while_building(settings_for(url))
    database = Database(url)
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(t.Project)) == len(read_seed().projects)
    database.dispose()
    server = LiveServer(app, tmp_path).start()
    try:
        assert "Projects" in httpx.get(server.url + "/?lang=en").text
    finally:
        server.stop()
        app.state.database.dispose()
    prepare_while_building(settings_for(url))  # a second start finds it ready


def test_the_administrator_named_in_the_settings_is_made_once_the_database_is_ready(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    settings = settings_for(url, admin_email="admin@example.org", admin_password="a long enough secret 1")
    prepare_while_building(settings).state.database.dispose()
    database = Database(url)
    with database.reading() as session:
        assert session.scalar(select(t.User.email).where(t.User.email == "admin@example.org")) == "admin@example.org"
    database.dispose()


def test_an_unreachable_database_is_a_clean_error() -> None:
    url = f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/c3p"
    with pytest.raises(DatabaseUnavailable, match="could not prepare the database"):
        prepare_while_building(settings_for(url))


def test_fewer_than_one_worker_is_refused_by_name_before_anything_starts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'never.sqlite3'}"
    for workers in ("0", "-3"):
        result = CliRunner().invoke(app, ["serve", "--db", url, "--workers", workers])
        assert result.exit_code == 2
        assert "--workers" in result.output and "greater than or equal to 1" in result.output
    assert not (tmp_path / "never.sqlite3").exists()


def test_a_port_outside_1_to_65535_is_refused_by_name_before_anything_starts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'never.sqlite3'}"
    for port, rule in (("0", "greater than or equal to 1"), ("70000", "less than or equal to 65535")):
        result = CliRunner().invoke(app, ["serve", "--db", url, "--port", port])
        assert result.exit_code == 2
        assert "--port" in result.output and rule in result.output
    assert not (tmp_path / "never.sqlite3").exists()


def test_a_rate_that_is_not_one_stops_the_start_naming_its_setting(tmp_path: Path) -> None:
    """The middleware is built at the first request: read there, a bad rate failed every request instead."""
    url, port = f"sqlite:///{tmp_path / 'rates.sqlite3'}", str(free_port())
    done = run_c3p("serve", "--db", url, "--port", port, environment={"C3P_RATE_LIMIT_SENSITIVE": "60/fortnight"})
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "Error: setting C3P_RATE_LIMIT_SENSITIVE ('60/fortnight'): not a rate such as 60/minute, or 10/second;100/hour"
    ]


def test_the_servers_start_up_runs_without_collections_then_freezes_what_it_built_and_resumes() -> None:
    frozen_before = gc.get_freeze_count()
    try:
        with collector_paused(freeze=True):
            assert not gc.isenabled()
            built = [[index] for index in range(1_000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen_before + len(built)
    finally:
        gc.unfreeze()


def test_a_failed_start_up_resumes_the_collector_and_a_nested_pause_leaves_it_to_the_outer_one() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
        raise RuntimeError("start-up failed")
    assert gc.isenabled()


def test_a_command_loaded_in_a_busy_process_leaves_the_garbage_before_it_collectable() -> None:
    """A process that runs commands one after another (a test run, a script) must not keep what it
    dropped: frozen, each dropped pool kept its connections until PostgreSQL refused more clients."""
    with dropped_pool() as gone:
        loaded = CliRunner().invoke(app, ["stats", "--help"])  # loaded while the pool is still garbage
        assert loaded.exit_code == 0, loaded.output
        gc.collect()
        assert gone() is None
