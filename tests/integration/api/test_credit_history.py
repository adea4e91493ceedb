"""A credit's full history on both backends: the hand case through the API, the CLI and the
public page, and clear refusals for serials that name nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from c3p.cli import app
from c3p.credits import service
from c3p.db.database import Database
from c3p.errors import NotFound
from c3p.program.seed_loader import init_database
from c3p.settings import Settings
from tests.conftest import LiveServer
from tests.support.credits import OPERATOR, Registry, create_issuance, create_registry

BLOCK = "JCM-JPN-VNM-VN007-001-{:012d}-{:012d}"
ISSUED = BLOCK.format(1, 700)


@pytest.fixture(scope="module")
def history_server(backend: str, new_database_url, tmp_path_factory) -> Iterator[tuple[LiveServer, Registry]]:  # type: ignore[no-untyped-def]
    """700 credits issued to Japan's government, 10 of them (101-110) moved on, 5 of those (103-107)
    retired after the issuance was authorized under Article 6.2."""
    from c3p.web.app import create_app

    database = Database(new_database_url(backend))
    init_database(database)
    registry = create_registry(database)
    create_issuance(registry, {registry.jp_gov: 700, registry.jp_pp: 100}, authorized=False)
    with database.unit_of_work() as session:
        service.transfer(session, OPERATOR, registry.jp_gov, registry.jp_pp, serial=BLOCK.format(101, 110))
    with database.unit_of_work() as session:
        service.authorize(session, OPERATOR, "JC-VN-001", "authorized")
    with database.unit_of_work() as session:
        service.retire(session, OPERATOR, registry.jp_pp, "NDC", "Acme", serial=BLOCK.format(103, 107))
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), database_url=database.url)
    server = LiveServer(create_app(settings, database), settings.data_dir).start()
    yield server, registry
    server.stop()
    database.dispose()


def _leaves(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [leaf for n in nodes for leaf in (_leaves(n["children"]) if n["children"] else [n])]


def _events(node: dict[str, Any]) -> list[str]:
    return [node["event"], *(e for child in node["children"] for e in _events(child))]


def test_the_history_of_a_block_ends_where_each_credit_is(history_server) -> None:  # type: ignore[no-untyped-def]
    server, registry = history_server
    with httpx.Client(base_url=server.url + "/api/v1/registry") as api:
        found = api.get(f"/history/{ISSUED}").json()
    assert found["issued_credits"] == 700 and found["issuance"] == "JC-VN-001"
    leaves = [
        (leaf["serials"][-25:], leaf["account"], leaf["state"], leaf["authorized"]) for leaf in _leaves(found["roots"])
    ]
    assert leaves == [
        (BLOCK.format(1, 100)[-25:], registry.jp_gov, "held", True),
        (BLOCK.format(101, 102)[-25:], registry.jp_pp, "held", True),
        (BLOCK.format(103, 107)[-25:], leaves[2][1], "retired", True),
        (BLOCK.format(108, 110)[-25:], registry.jp_pp, "held", True),
        (BLOCK.format(111, 700)[-25:], registry.jp_gov, "held", True),
    ]
    assert leaves[2][1].startswith("JPN-R-")
    root = found["roots"][0]
    assert (root["event"], root["credits"], root["authorized"]) == ("issuance", 700, False)
    assert [c["event"] for c in root["children"]] == ["split", "transfer", "split"]
    assert _events(root).count("authorization") == 3


def test_one_credit_has_one_line_of_history(history_server) -> None:  # type: ignore[no-untyped-def]
    server, _registry = history_server
    with httpx.Client(base_url=server.url + "/api/v1/registry") as api:
        found = api.get("/history/JCM-JPN-VNM-VN007-001-000000000105").json()
    path, node = [], found["roots"][0]
    while True:
        path.append((node["event"], node["credits"]))
        if not node["children"]:
            break
        (node,) = node["children"]
    assert path == [("issuance", 1), ("transfer", 1), ("authorization", 1), ("retirement", 1)]
    assert node["state"] == "retired"


@pytest.mark.parametrize(
    ("serial", "status", "said"),
    [
        ("JCM-JPN-VNM-VN007-001-000000090000", 404, "no credit"),
        ("JCM-JPN-VNM-VN007-001-000000000700-000000000900", 404, "no credit"),
        ("JCM-JPN-VNM-VN099-001-000000000001", 422, "names"),
        ("JCM-XYZ", 422, "is not a credit serial"),
    ],
)
def test_a_serial_that_names_nothing_is_refused_clearly(history_server, serial: str, status: int, said: str) -> None:  # type: ignore[no-untyped-def]
    server, _ = history_server
    with httpx.Client(base_url=server.url) as web:
        answer = web.get(f"/api/v1/registry/history/{serial}")
        assert answer.status_code == status and answer.headers["content-type"] == "application/problem+json"
        assert said in answer.json()["detail"]
        page = web.get("/credits/history", params={"serial": serial, "lang": "en"})
        assert page.status_code == status and 'id="history-form"' in page.text and "history-tree" not in page.text


def test_the_public_page_shows_the_tree_in_both_languages(history_server) -> None:  # type: ignore[no-untyped-def]
    server, _registry = history_server
    with httpx.Client(base_url=server.url) as web:
        english = web.get("/credits/history", params={"serial": ISSUED, "lang": "en"}).text
        japanese = web.get("/credits/history", params={"serial": ISSUED, "lang": "ja"}).text
        twin = web.get("/credits/history", params={"serial": ISSUED, "format": "json"}).json()
        api = web.get(f"/api/v1/registry/history/{ISSUED}").json()
        retirements = web.get("/credits/retirements", params={"lang": "en"}).text
    assert english.count('class="history-node history-leaf"') == 5 and "Retired" in english
    assert "償却" in japanese and "履歴" in japanese
    assert twin == api and twin["issued_credits"] == 700
    assert f"/credits/history?serial={BLOCK.format(103, 107)}" in retirements


def test_the_cli_prints_the_same_history(history_server) -> None:  # type: ignore[no-untyped-def]
    _server, registry = history_server
    url = registry.database.url
    result = CliRunner().invoke(app, ["registry", "history", ISSUED, "--format", "json", "--db", url])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["issued_credits"] == 700
    table = CliRunner().invoke(app, ["registry", "history", ISSUED, "--db", url], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "retirement" in table.output and "103-107" in table.output
    refused = CliRunner().invoke(app, ["registry", "history", "JCM-JPN-VNM-VN007-001-000000090000", "--db", url])
    assert isinstance(refused.exception, NotFound) and "no credit" in refused.exception.detail
