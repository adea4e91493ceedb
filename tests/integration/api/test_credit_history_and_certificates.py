"""A credit's full history and a retirement's certificate on both backends: the hand case through the
API, the CLI and the public page, the certificate's round trip and tampering, and clear refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from c3p.cli import app
from c3p.credits import certificates, history, service
from c3p.credits.rules import certificates as certificate_rules
from c3p.db.database import Database
from c3p.errors import Conflict, InvalidInput, NotFound
from c3p.program.seed_loader import init_database
from c3p.settings import Settings
from tests.conftest import LiveServer
from tests.support.credits import OPERATOR, Registry, create_issuance, create_registry
from tests.support.tampering import reseal_from

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
    """The final states: the nodes no other node names as its parent."""
    parents = {n["parent"] for n in nodes}
    return [n for n in nodes if n["id"] not in parents]


def _children(nodes: list[dict[str, Any]], parent: int) -> list[dict[str, Any]]:
    return [n for n in nodes if n["parent"] == parent]


def test_the_history_of_a_block_ends_where_each_credit_is(history_server) -> None:  # type: ignore[no-untyped-def]
    server, registry = history_server
    with httpx.Client(base_url=server.url + "/api/v1/registry") as api:
        found = api.get(f"/history/{ISSUED}").json()
    nodes = found["nodes"]
    assert found["issued_credits"] == 700 and found["issuance"] == "JC-VN-001"
    leaves = [(leaf["serials"][-25:], leaf["account"], leaf["state"], leaf["authorized"]) for leaf in _leaves(nodes)]
    assert leaves == [
        (BLOCK.format(1, 100)[-25:], registry.jp_gov, "held", True),
        (BLOCK.format(101, 102)[-25:], registry.jp_pp, "held", True),
        (BLOCK.format(103, 107)[-25:], leaves[2][1], "retired", True),
        (BLOCK.format(108, 110)[-25:], registry.jp_pp, "held", True),
        (BLOCK.format(111, 700)[-25:], registry.jp_gov, "held", True),
    ]
    assert leaves[2][1].startswith("JPN-R-")
    root = nodes[0]
    assert (root["event"], root["credits"], root["authorized"], root["parent"], root["depth"]) == (
        "issuance",
        700,
        False,
        None,
        0,
    )
    assert [c["event"] for c in _children(nodes, root["id"])] == ["split", "transfer", "split"]
    assert [n["event"] for n in nodes].count("authorization") == 3
    assert all(nodes[n["parent"]]["depth"] == n["depth"] - 1 for n in nodes[1:])


def test_one_credit_has_one_line_of_history(history_server) -> None:  # type: ignore[no-untyped-def]
    server, _registry = history_server
    with httpx.Client(base_url=server.url + "/api/v1/registry") as api:
        found = api.get("/history/JCM-JPN-VNM-VN007-001-000000000105").json()
    path = [(n["event"], n["credits"], n["parent"]) for n in found["nodes"]]
    assert path == [("issuance", 1, None), ("transfer", 1, 0), ("authorization", 1, 1), ("retirement", 1, 2)]
    assert [n["state"] for n in found["nodes"]] == ["", "", "", "retired"]


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
    assert english.count("history-node history-leaf ") == 5 and "Retired" in english
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
    assert table.exit_code == 0 and f"{ISSUED}: 700 credits issued (JC-VN-001)" in table.output
    refused = CliRunner().invoke(app, ["registry", "history", "JCM-JPN-VNM-VN007-001-000000090000", "--db", url])
    assert isinstance(refused.exception, NotFound) and "no credit" in refused.exception.detail


# ---------------------------------------------------------------- retirement certificates


def _retirement(server: LiveServer) -> int:
    with httpx.Client(base_url=server.url + "/api/v1/registry") as api:
        (retired,) = api.get("/retirements").json()
    return int(retired["seq"])


def _verify(registry: Registry, given: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["registry", "verify-certificate", str(given), "--db", registry.database.url], env={"COLUMNS": "200"}
    )
    return result.exit_code, result.output


def test_a_certificate_round_trip_holds_and_names_its_facts(history_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server, registry = history_server
    seq = _retirement(server)
    with httpx.Client(base_url=server.url) as web:
        answer = web.get(f"/api/v1/registry/retirements/{seq}/certificate.pdf")
        signed = web.get(f"/api/v1/registry/retirements/{seq}/certificate").json()
        checked = web.get(f"/api/v1/registry/certificates/{signed['code']}").json()
        page = web.get("/credits/retirements", params={"lang": "ja"}).text
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert f"/api/v1/registry/retirements/{seq}/certificate.pdf" in page and "償却証明書" in page
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(answer.content)
    text = PdfReader(pdf).pages[0].extract_text()
    assert "償却証明書" in text and "Retirement certificate" in text and "Acme" in text and signed["code"] in text
    facts = signed["facts"]
    assert (facts["beneficiary"], facts["purpose"], facts["credits"], facts["account"]) == (
        "Acme",
        "NDC",
        5,
        registry.jp_pp,
    )
    (retired,) = facts["ranges"]
    assert retired["serials"] == BLOCK.format(103, 107) and retired["authorized"] and retired["host_country"] == "VNM"
    assert retired["use_adjusted"] and retired["first_transferred"]  # VNM credits used in Japan's registry
    assert checked == {"ok": True, "code": signed["code"], "retirement": seq, "problems": []}
    assert _verify(registry, pdf) == (0, f"OK: certificate {signed['code']} matches retirement {seq} in the journal\n")
    assert _verify(registry, signed["code"])[0] == 0


@pytest.mark.parametrize(
    ("fact", "value", "named"),
    [("beneficiary", "Acmf", "beneficiary"), ("credits", 6, "credits"), ("retired_at", "2020-01-01", "retired_at")],
)
def test_a_tampered_certificate_is_refused_naming_what_differs(
    history_server, tmp_path: Path, fact: str, value: Any, named: str
) -> None:  # type: ignore[no-untyped-def]
    server, registry = history_server
    with httpx.Client(base_url=server.url) as web:
        signed = web.get(f"/api/v1/registry/retirements/{_retirement(server)}/certificate").json()
    signed["facts"][fact] = value
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(signed))
    status, said = _verify(registry, forged)
    assert status == 1 and "bad signature" in said and f"{named}: the certificate says" in said
    with registry.database.reading() as session:  # the same facts typeset again: the PDF is refused alike
        again = certificates.pdf(session, certificate_rules.parse(signed))
    (tmp_path / "forged.pdf").write_bytes(again)
    status, said = _verify(registry, tmp_path / "forged.pdf")
    assert status == 1 and f"{named}: the certificate says" in said


def test_one_changed_byte_of_the_signed_text_breaks_the_signature(history_server) -> None:  # type: ignore[no-untyped-def]
    server, registry = history_server
    with httpx.Client(base_url=server.url) as web:
        signed = certificate_rules.parse(
            web.get(f"/api/v1/registry/retirements/{_retirement(server)}/certificate").json()
        )
    text = json.dumps(signed.facts).replace('"NDC"', '"NDD"')
    tampered = certificate_rules.Certificate(json.loads(text), signed.public_key, signed.signature)
    with registry.database.reading() as session:
        found = certificates.check(session, tampered)
    assert not found.ok and found.problems == [
        "bad signature: the facts are not those the registry signed",
        "purpose: the certificate says 'NDD', the journal 'NDC'",
    ]


@pytest.mark.parametrize(
    ("given", "status", "said"),
    [
        ("JPN-1-AAAA-AAAA-AAAA", 200, "unknown retirement"),
        ("VNM-{seq}-AAAA-AAAA-AAAA", 200, "registry: the code says VNM"),
        ("JPN-{seq}-AAAA-AAAA-AAAA", 200, "does not match"),
        ("not-a-code", 422, "is not a verification code"),
    ],
)
def test_a_wrong_code_is_refused_clearly(history_server, given: str, status: int, said: str) -> None:  # type: ignore[no-untyped-def]
    server, _ = history_server
    code = given.format(seq=_retirement(server))
    with httpx.Client(base_url=server.url + "/api/v1/registry") as api:
        answer = api.get(f"/certificates/{code}")
    assert answer.status_code == status
    body = answer.json()
    assert said in (body["detail"] if status != 200 else " ".join(body["problems"]))
    assert status != 200 or body["ok"] is False


def test_what_is_no_certificate_is_refused_clearly(history_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server, registry = history_server
    with httpx.Client(base_url=server.url + "/api/v1/registry") as api:
        assert api.get("/retirements/1/certificate.pdf").status_code == 404  # entry 1 opened an account
    for name, content, said in (
        ("empty.pdf", b"", "not a readable PDF"),
        ("other.pdf", b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n", "PDF"),
        ("edited.json", b'{"facts": {"format": "c3p-retirement-certificate-1", "retirement": 0}}', "no journal entry"),
    ):
        (tmp_path / name).write_bytes(content)
        result = CliRunner().invoke(
            app, ["registry", "verify-certificate", str(tmp_path / name), "--db", registry.database.url]
        )
        assert isinstance(result.exception, InvalidInput) and said in result.exception.detail, (name, result.output)


def test_a_journal_rewritten_behind_the_ledger_is_caught_by_the_history_and_the_certificate(
    fresh_database: Database,
) -> None:
    init_database(fresh_database)
    registry = create_registry(fresh_database)
    create_issuance(registry, {registry.jp_gov: 700, registry.jp_pp: 100})
    with fresh_database.unit_of_work() as session:
        retired = service.retire(session, OPERATOR, registry.jp_gov, "NDC", "Acme", credits=5)
        moved = service.transfer(session, OPERATOR, registry.jp_gov, registry.jp_pp, serial=BLOCK.format(1, 10))
    with fresh_database.reading() as session:
        signed = certificates.certificate(session, retired.seq)

    def other_beneficiary(entry: dict[str, Any]) -> None:
        entry["details"] = {**entry["details"], "beneficiary": "Someone else"}  # type: ignore[dict-item]

    reseal_from(fresh_database, retired.seq, other_beneficiary)
    with fresh_database.reading() as session:
        found = certificates.check(session, signed)
    assert found.problems == ["beneficiary: the certificate says 'Acme', the journal 'Someone else'"]

    def from_another_account(entry: dict[str, Any]) -> None:
        entry["moves"][0][3] = entry["moves"][0][4]  # type: ignore[index]  # the receiver "sends" them

    reseal_from(fresh_database, moved.seq, from_another_account)
    with fresh_database.reading() as session, pytest.raises(Conflict, match="does not replay"):
        history.credit_history(session, BLOCK.format(1, 700))
