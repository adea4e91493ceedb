"""What the API fuzzer found, each pinned over real HTTP so it cannot come back unnoticed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from c3p.db.database import Database
from c3p.settings import Settings
from c3p.web.errors import PROBLEM_JSON
from tests.conftest import LiveServer
from tests.support.accounts import create_token, create_user

TIMEOUT = 60
SCHEMAS = "#/components/schemas/"


def validator(document: dict[str, Any], path: str, method: str, status: int, media_type: str) -> Draft202012Validator:
    schema = document["paths"][path][method]["responses"][str(status)]["content"][media_type]["schema"]
    return Draft202012Validator({**schema, "components": document["components"]})


@pytest.fixture(scope="module")
def document(live_server: LiveServer) -> dict[str, Any]:
    return httpx.get(live_server.url + "/api/v1/openapi.json", timeout=TIMEOUT).json()


@pytest.mark.parametrize("layer", ["partnerships", "countries"])
def test_a_map_layer_is_documented_as_the_geojson_it_sends(
    live_server: LiveServer, document: dict[str, Any], layer: str
) -> None:
    path = f"/api/v1/map/{layer}.geojson"
    response = httpx.get(live_server.url + path, timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    schema = document["paths"][path]["get"]["responses"]["200"]["content"]["application/geo+json"]["schema"]
    assert schema == {"$ref": SCHEMAS + "FeatureCollection"}
    body = response.json()
    assert body["features"], "the layer has features to check"
    validator(document, path, "get", 200, "application/geo+json").validate(body)


def test_a_body_that_is_not_text_is_refused_as_documented_invalid_input(
    live_server: LiveServer, document: dict[str, Any]
) -> None:
    path = "/api/v1/mrv/methodologies/MN_AM003/estimate"
    response = httpx.post(
        live_server.url + path, content=b"\x80{}", headers={"Content-Type": "application/json"}, timeout=TIMEOUT
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "body" in response.json()["detail"]
    validator(document, "/api/v1/mrv/methodologies/{methodology_id}/estimate", "post", 422, PROBLEM_JSON).validate(
        response.json()
    )


def test_an_oversized_body_is_a_documented_problem(live_server: LiveServer, document: dict[str, Any]) -> None:
    path = "/api/v1/mrv/methodologies/MN_AM003/estimate"
    response = httpx.post(
        live_server.url + path, content=b"[" + b"1," * 600_000 + b"1]", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    validator(document, "/api/v1/mrv/methodologies/{methodology_id}/estimate", "post", 413, PROBLEM_JSON).validate(
        response.json()
    )


@pytest.fixture(scope="module")
def strict_server(new_database_url, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """A server that lets a stranger make two API requests a minute."""
    from c3p.web.app import create_app

    data_dir = tmp_path_factory.mktemp("strict")
    database = Database(new_database_url("sqlite"))
    database.upgrade()
    settings = Settings(data_dir=data_dir, database_url=database.url, rate_limit_anonymous="2/minute")
    server = LiveServer(create_app(settings, database), data_dir)
    server.start()
    yield server
    server.stop()
    database.dispose()


def test_a_rate_limited_answer_is_documented_with_its_retry_after(
    strict_server: LiveServer, document: dict[str, Any]
) -> None:
    with httpx.Client(base_url=strict_server.url, timeout=TIMEOUT) as client:
        limited = [client.get("/api/v1/mrv/methodologies") for _ in range(3)][-1]
    assert limited.status_code == 429
    documented = document["paths"]["/api/v1/mrv/methodologies"]["get"]["responses"]["429"]
    assert documented["headers"]["Retry-After"]["schema"]["type"] == "integer"
    assert int(limited.headers["Retry-After"]) >= 1
    validator(document, "/api/v1/mrv/methodologies", "get", 429, PROBLEM_JSON).validate(limited.json())


def test_every_operation_documents_rate_limits_and_writes_document_storage_failures(
    document: dict[str, Any],
) -> None:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            statuses = set(operation["responses"])
            assert "429" in statuses, (method, path)
            if method != "get":
                assert "503" in statuses, (method, path)
            if "requestBody" in operation:
                assert "413" in statuses, (method, path)


def test_times_in_the_api_carry_their_time_zone(accounts_server: LiveServer) -> None:
    database: Database = accounts_server.database  # type: ignore[attr-defined]
    create_user(database, "zoned@example.org", "secretariat")
    token = create_token(database, "zoned@example.org", "tokens.*", "users.*")
    headers = {"Authorization": f"Bearer {token}"}
    me = httpx.get(accounts_server.url + "/api/v1/me", headers=headers, timeout=TIMEOUT)
    tokens = httpx.get(accounts_server.url + "/api/v1/tokens", headers=headers, timeout=TIMEOUT)
    assert me.status_code == 200 and tokens.status_code == 200
    times = [me.json()["user"]["created_at"]] + [t[key] for t in tokens.json() for key in ("created_at", "expires_at")]
    for value in times:
        parsed = dt.datetime.fromisoformat(value)
        assert parsed.utcoffset() == dt.timedelta(0), value
