"""The OpenAPI document is the API's contract: every success body is typed, every error is the
problem+json the app really sends, and a real error response matches its documented schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openapi_spec_validator
import pytest
from fastapi import FastAPI
from jsonschema import Draft202012Validator

from c3p.settings import Settings
from c3p.web.auth import COMPUTATIONS, all_routes, route_action
from c3p.web.errors import PROBLEM_JSON
from tests.support.accounts import create_token, create_user

SCHEMAS = "#/components/schemas/"
PROBLEM_SCHEMAS = {SCHEMAS + "Problem", SCHEMAS + "ValidationProblem"}
TIMEOUT = 60  # seconds: the machine running the suite may be busy


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    from c3p.web.app import create_app

    folder = tmp_path_factory.mktemp("openapi")
    return create_app(Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'unused.sqlite3'}"))


@pytest.fixture(scope="module")
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].removeprefix(SCHEMAS)]
    return schema


def is_typed(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A schema that says what the body is: not ``{}`` and not an object of unnamed members."""
    schema = resolve(document, schema)
    if schema.get("type") == "array":
        return is_typed(document, schema.get("items", {}))
    if schema.get("type") == "object" or "properties" in schema:
        return bool(schema.get("properties"))
    return schema.get("type") in {"string", "integer", "number", "boolean"}


def test_every_operation_names_its_success_body(document: dict[str, Any]) -> None:
    untyped = []
    for path, method, operation in operations(document):
        successes = {status: r for status, r in operation["responses"].items() if status.startswith("2")}
        assert successes, f"{method} {path} documents no success"
        for status, response in successes.items():
            contents = response.get("content", {})
            if not contents or not all(is_typed(document, c.get("schema", {})) for c in contents.values()):
                untyped.append(f"{method.upper()} {path} {status}")
    assert not untyped, untyped


def test_every_error_is_documented_as_problem_json(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            if not status.startswith(("4", "5")):
                continue
            assert list(response["content"]) == [PROBLEM_JSON], (method, path, status)
            schema = response["content"][PROBLEM_JSON]["schema"]
            refs = {s["$ref"] for s in schema.get("anyOf", [schema])}
            assert refs <= PROBLEM_SCHEMAS and refs, (method, path, status, schema)


def test_the_statuses_a_route_can_meet_are_documented(app: FastAPI, document: dict[str, Any]) -> None:
    checked = 0
    for path, methods, route in all_routes(app):
        if path not in document["paths"]:
            continue
        for method in methods:
            statuses = set(document["paths"][path][method.lower()]["responses"])
            if route_action(route, path) and path not in COMPUTATIONS:
                assert {"401", "403"} <= statuses, (method, path)
            if "{" in path:
                assert "404" in statuses, (method, path)
            if route.dependant.query_params or route.dependant.path_params or route.body_field:
                assert "422" in statuses, (method, path)
            checked += 1
    assert checked == sum(1 for _ in operations(document))
    transfer = document["paths"]["/api/v1/registry/transfers"]["post"]["responses"]
    assert {"201", "401", "403", "404", "409", "413", "422", "429", "503"} == set(transfer)


def test_fastapis_validation_schema_is_gone(document: dict[str, Any]) -> None:
    text = json.dumps(document)
    assert "HTTPValidationError" not in text
    assert SCHEMAS + "ValidationError" not in text
    assert {"Problem", "ValidationProblem", "ParameterProblem"} <= set(document["components"]["schemas"])


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    openapi_spec_validator.validate(document)


# ---- real responses against the documented schemas ----


def schema_of(document: dict[str, Any], path: str, method: str, status: int) -> Draft202012Validator:
    response = document["paths"][path][method]["responses"][str(status)]
    schema = response["content"][PROBLEM_JSON]["schema"]
    return Draft202012Validator({**schema, "components": document["components"]})


@pytest.fixture(scope="module")
def served_document(live_server) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return httpx.get(live_server.url + "/api/v1/openapi.json", timeout=TIMEOUT).json()


def test_a_validation_error_matches_the_documented_problem(live_server, served_document) -> None:  # type: ignore[no-untyped-def]
    response = httpx.get(
        live_server.url + "/api/v1/projects", params={"per_page": "many", "colour": "red"}, timeout=TIMEOUT
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    schema_of(served_document, "/api/v1/projects", "get", 422).validate(body)
    Draft202012Validator({"$ref": SCHEMAS + "ValidationProblem", **served_document}).validate(body)
    assert {"per_page", "colour"} <= set(body["parameters"])
    assert {e["in"] for e in body["errors"]} == {"query"}


def test_other_errors_match_their_documented_problems(live_server, served_document, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url + "/api/v1"
    missing = httpx.get(base + "/mrv/methodologies/XX_AM999", timeout=TIMEOUT)
    assert missing.status_code == 404
    schema_of(served_document, "/api/v1/mrv/methodologies/{methodology_id}", "get", 404).validate(missing.json())
    anonymous = httpx.post(base + "/registry/transfers", json={"from_account": "a", "to_account": "b"}, timeout=TIMEOUT)
    assert anonymous.status_code == 401
    schema_of(served_document, "/api/v1/registry/transfers", "post", 401).validate(anonymous.json())
    database = live_server.server.config.app.state.database
    create_user(database, "openapi-member@example.org")
    token = create_token(database, "openapi-member@example.org", "mrv.*")
    refused = httpx.post(
        base + "/mrv/methodologies/MN_AM003/calculate",
        files={"monitoring": ("d.csv", b"site_id\n", "text/csv")},
        data={"params": "{not json"},
        headers={"authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )
    assert refused.status_code == 422 and "parameters" not in refused.json()
    schema_of(served_document, "/api/v1/mrv/methodologies/{methodology_id}/calculate", "post", 422).validate(
        refused.json()
    )


# ---- response models keep the bodies the builders make ----


def test_mrv_bodies_are_the_documents_the_builders_make(live_server) -> None:  # type: ignore[no-untyped-def]
    from c3p.mrv import catalog, engine, monitoring_report
    from c3p.mrv.params import CalculationParams

    base = live_server.url + "/api/v1/mrv"
    listed = httpx.get(base + "/methodologies", timeout=TIMEOUT).json()
    assert listed == [monitoring_report.methodology_summary(m) for m in catalog.search_methodologies(None, None, None)]
    detail = monitoring_report.methodology_detail(catalog.get_methodology("MN_AM003"))
    assert httpx.get(base + "/methodologies/MN_AM003", timeout=TIMEOUT).json() == json.loads(json.dumps(detail))
    params = {"EG_i,p": {"value": 100, "unit": "MWh"}, "EF_RE,i": {"factor": "MNG-grid"}}
    estimated = httpx.post(base + "/methodologies/MN_AM003/estimate", json=params, timeout=TIMEOUT).json()
    expected = engine.estimate(catalog.get_methodology("MN_AM003"), CalculationParams.from_mapping(params))
    expected_body = expected.model_dump(mode="json")
    assert estimated.keys() == expected_body.keys()
    for body in (estimated, expected_body):
        body["provenance"].pop("computed_at")
    assert estimated == expected_body
