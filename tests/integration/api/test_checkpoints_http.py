"""Signed checkpoints over real HTTP on both backends: the public API, the public page and its
JSON twin; each checkpoint checked here with the documented format alone (no c3p code)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from c3p.credits.tables import JournalEntry
from c3p.db.database import Database
from c3p.program.seed_loader import init_database
from c3p.settings import Settings
from tests.conftest import LiveServer
from tests.support.credits import Registry, create_issuance, create_registry, create_report


@pytest.fixture(scope="module")
def signed_server(backend: str, new_database_url, tmp_path_factory) -> Iterator[tuple[LiveServer, Registry]]:  # type: ignore[no-untyped-def]
    from c3p.web.app import create_app

    database = Database(new_database_url(backend))
    init_database(database)
    registry = create_registry(database)
    create_issuance(registry, {registry.jp_gov: 700, registry.vn_pp: 300}, ref="JC-CP-1")
    create_issuance(registry, {registry.jp_gov: 50}, ref="JC-CP-2", report_id=create_report(registry, 50))
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), database_url=database.url)
    server = LiveServer(create_app(settings, database), settings.data_dir).start()
    yield server, registry
    server.stop()
    database.dispose()


def holds(checkpoint: dict[str, Any]) -> bool:
    """The documented check: Ed25519 over the canonical JSON of every field but the signature."""
    signed = {k: v for k, v in checkpoint.items() if k != "signature"}
    message = json.dumps(signed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(checkpoint["public_key"]))
    try:
        key.verify(bytes.fromhex(checkpoint["signature"]), message)
    except Exception:
        return False
    return True


def test_the_api_publishes_a_signed_checkpoint_at_each_issuance(signed_server) -> None:  # type: ignore[no-untyped-def]
    server, registry = signed_server
    with httpx.Client(base_url=server.url + "/api/v1/registry", timeout=30) as api:
        listed = api.get("/checkpoints")
        latest = api.get("/checkpoints/latest")
        refused = api.get("/checkpoints", params={"limit": 0})
    assert listed.status_code == 200 and latest.status_code == 200
    checkpoints = listed.json()
    assert len(checkpoints) == 2 and latest.json() == checkpoints[0]
    assert checkpoints[0]["head_seq"] > checkpoints[1]["head_seq"]
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    with registry.database.reading() as session:
        hashes = dict(session.execute(select(JournalEntry.seq, JournalEntry.hash)).all())
    for checkpoint in checkpoints:
        assert set(checkpoint) == {"format", "head_seq", "head_hash", "signed_at", "public_key", "signature"}
        assert checkpoint["format"] == "c3p-checkpoint-1" and holds(checkpoint)
        assert hashes[checkpoint["head_seq"]] == checkpoint["head_hash"]
        assert not holds({**checkpoint, "head_hash": hashes[1]})


def test_the_public_checkpoint_page_and_its_json_twin(signed_server) -> None:  # type: ignore[no-untyped-def]
    server, _registry = signed_server
    with httpx.Client(base_url=server.url, timeout=30) as web:
        published = web.get("/api/v1/registry/checkpoints").json()
        japanese = web.get("/credits/checkpoints", params={"lang": "ja"})
        english = web.get("/credits/checkpoints", params={"lang": "en"})
        twin = web.get("/credits/checkpoints", params={"format": "json"})
        overview = web.get("/credits").text
    assert japanese.status_code == 200 and "署名付きチェックポイント" in japanese.text
    assert english.status_code == 200 and "Signed checkpoints" in english.text
    for checkpoint in published:
        assert checkpoint["head_hash"] in english.text and checkpoint["signature"] in english.text
    assert 'href="/credits/checkpoints"' in overview
    assert twin.headers["content-type"] == "application/json"
    assert twin.json()["items"] == published
