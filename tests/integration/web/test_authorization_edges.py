"""Authorizing a serial range through the API and the CLI: the host country's registry
administrator records it; another country's administrator or an account representative is
refused; a bad input is a problem+json (API) or a clean message (CLI), and nothing changes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from c3p.cli import app
from c3p.errors import Forbidden, InvalidInput
from tests.integration.web.conftest import CreditSite
from tests.support.accounts import create_token
from tests.support.credits import create_issuance

runner = CliRunner()
REF = "JC-VN-AUTH"


@pytest.fixture
def site(credit_site: CreditSite) -> CreditSite:
    """The credit site with one more issuance, not authorized, of 100 credits in Viet Nam's registry."""
    registry = credit_site.registry
    with credit_site.database.reading() as session:
        from c3p.credits.store import Store

        if Store(session).issuance_by_ref(REF) is None:
            create_issuance(registry, {registry.vn_pp: 100}, ref=REF, authorized=False, model_project=False)
    return credit_site


def api(site: CreditSite, who: str) -> httpx.Client:
    token = create_token(site.database, site.people[who].email, "credits.*")
    return httpx.Client(
        base_url=site.server.url + "/api/v1/registry", headers={"authorization": f"Bearer {token}"}, timeout=30
    )


def cli(site: CreditSite, who: str, *args: str) -> Any:
    return runner.invoke(app, ["--as", site.people[who].email, "registry", *args, "--db", site.database.url])


BODY = {"purposes": ["ndc"], "entities": ["acme-jp"], "decision_ref": "VNM-2026-7", "decided_on": "2026-01-15"}


def test_the_host_administrator_authorizes_a_range_by_api_and_cli(site: CreditSite) -> None:
    with api(site, "vn_admin") as client:
        answer = client.post(f"/issuances/{REF}/authorizations", json={**BODY, "serials": "201-210"})
    assert answer.status_code == 201, answer.text
    assert (answer.json()["credits"], answer.json()["version"]) == (10, 1)
    result = cli(
        site,
        "vn_admin",
        "authorize",
        "--issuance",
        REF,
        "--serials",
        "211-220",
        "--purpose",
        "ndc",
        "--purpose",
        "oimp",
        "--entity",
        "acme-vn",
        "--decision",
        "VNM-2026-8",
        "--date",
        "2026-02-01",
    )
    assert result.exit_code == 0, result.output
    assert "211-220: ndc, oimp (version 1)" in result.output


@pytest.mark.parametrize("who", ["jp_admin", "vn_holder"])
def test_others_are_refused_on_every_edge(site: CreditSite, who: str) -> None:
    before = site.state()
    with api(site, who) as client:
        answer = client.post(f"/issuances/{REF}/authorizations", json={**BODY, "serials": "251-260"})
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"
    result = cli(
        site,
        who,
        "authorize",
        REF,
        "--serials",
        "251-260",
        "--purpose",
        "ndc",
        "--decision",
        "D",
        "--date",
        "2026-01-01",
    )
    assert isinstance(result.exception, Forbidden)
    assert site.state() == before


def test_a_bad_input_is_named_on_every_edge(site: CreditSite) -> None:
    before = site.state()
    with api(site, "vn_admin") as client:
        answer = client.post(
            f"/issuances/{REF}/authorizations", json={**BODY, "serials": "261-270", "decided_on": "2999-01-01"}
        )
    assert answer.status_code == 422 and "in the future" in answer.json()["detail"]
    result = cli(site, "vn_admin", "authorize", REF, "--serials", "261-270", "--decision", "D", "--date", "2026-01-01")
    assert isinstance(result.exception, InvalidInput) and "at least one purpose" in result.exception.detail
    assert site.state() == before
