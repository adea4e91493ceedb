"""The breaks of issue #11 at every edge, on both backends: the API answers problem+json, the CLI
says the problem, the page shows it, and nothing changes.

The rules themselves are tested on the services (tests/integration/credits/test_chain_rules.py);
these tests make sure each edge passes the refusal on clearly: a serial whose descriptive part
names other credits, an absurd amount, an authorization withdrawn after a first transfer, a
member of the holder organization moving its credits, a TPE verifying a project it is not
assigned to, and a rejected transfer whose sender was
closed meanwhile (which is not refused: the credits go to the returns account, and each edge
says so).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from c3p.cli import app
from c3p.credits import monitoring_reports, queries, service
from c3p.errors import C3PError, Conflict, Forbidden, InvalidInput
from c3p.workflow.service import jcm
from tests.integration.web.conftest import CreditSite
from tests.support.accounts import create_token
from tests.support.credits import OPERATOR, PDF, PIPELINE, create_report
from tests.support.workflow import create_person

runner = CliRunner()
HUGE = 9 * 10**18


def api(site: CreditSite, who: str) -> httpx.Client:
    token = create_token(site.database, site.people[who].email, "credits.*", "mrv.*")
    return httpx.Client(
        base_url=site.server.url + "/api/v1/registry", headers={"authorization": f"Bearer {token}"}, timeout=30
    )


def cli(site: CreditSite, who: str, *args: str) -> Any:
    return runner.invoke(app, ["--as", site.people[who].email, "registry", *args, "--db", site.database.url])


def problem(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return str(response.json()["detail"])


def forged_serial(site: CreditSite, part: int, replacement: str) -> str:
    with site.database.reading() as session:
        pieces = queries.blocks_of(session, site.registry.jp_pp)[0].split("-")
    pieces[part] = replacement
    return "-".join(pieces)


@pytest.mark.parametrize(
    ("part", "replacement"), [(2, "THA"), (3, "XX999"), (4, "002")], ids=["country", "project", "period"]
)
def test_a_serial_naming_other_credits_is_refused_on_every_edge(site: CreditSite, part: int, replacement: str) -> None:
    registry, forged = site.registry, forged_serial(site, part, replacement)
    said = f"serial {forged} names"
    before = site.state()
    with api(site, "holder") as client:
        body = {"from_account": registry.jp_pp, "to_account": registry.jp_gov, "serial": forged}
        assert said in problem(client.post("/transfers", json=body), 422)
    result = cli(site, "holder", "transfer", registry.jp_pp, registry.jp_gov, "--serial", forged)
    assert isinstance(result.exception, InvalidInput) and said in result.exception.detail
    page = site.browsers["holder"].post(
        f"/credits/accounts/{registry.jp_pp}/transfer", {"to_account": registry.jp_gov, "serial": forged}
    )
    assert page.status_code == 422 and said in page.text
    assert site.state() == before


def test_absurd_amounts_are_refused_on_every_edge(site: CreditSite) -> None:
    registry = site.registry
    before = site.state()
    with api(site, "holder") as client:
        body = {"from_account": registry.jp_pp, "to_account": registry.jp_gov, "credits": HUGE}
        assert problem(client.post("/transfers", json=body), 422)
        past_the_end = "JCM-JPN-VNM-VN007-001-9" + "0" * 17
        body = {"from_account": registry.jp_pp, "to_account": registry.jp_gov, "serial": past_the_end}
        assert "serial numbers end at" in problem(client.post("/transfers", json=body), 422)
    result = cli(site, "holder", "transfer", registry.jp_pp, registry.jp_gov, "-n", str(HUGE))
    assert result.exit_code == 2 and "--credits" in result.output
    page = site.browsers["holder"].post(
        f"/credits/accounts/{registry.jp_pp}/transfer", {"to_account": registry.jp_gov, "credits": str(HUGE)}
    )
    assert page.status_code == 422 and "at most" in page.text
    assert site.state() == before


def test_an_authorization_is_not_withdrawn_after_a_first_transfer(site: CreditSite) -> None:
    """The credit site's issuance is authorized and was allocated into Japan's registry: first transferred."""
    said = "were already first transferred"
    before = site.state()
    with api(site, "vn_admin") as client:
        answer = client.post("/issuances/JC-VN-001/authorization", json={"status": "not_authorized"})
        assert said in problem(answer, 409)
    result = cli(site, "vn_admin", "authorize", "JC-VN-001", "--status", "not_authorized")
    assert isinstance(result.exception, Conflict) and said in result.exception.detail
    with site.database.reading() as session:
        assert [i.authorization for i in queries.issuances(session)] == ["authorized"]
    assert site.state() == before


def test_a_member_of_the_holder_moves_nothing_on_any_edge(site: CreditSite) -> None:
    registry = site.registry
    before = site.state()
    with api(site, "member") as client:
        body = {"from_account": registry.jp_pp, "to_account": registry.jp_gov, "credits": 1}
        assert "transfer credits from an account" in problem(client.post("/transfers", json=body), 403)
    result = cli(site, "member", "transfer", registry.jp_pp, registry.jp_gov, "-n", "1")
    assert isinstance(result.exception, Forbidden)
    page = site.browsers["member"].post(
        f"/credits/accounts/{registry.jp_pp}/transfer", {"to_account": registry.jp_gov, "credits": "1"}
    )
    assert page.status_code == 403
    assert site.state() == before


def test_a_rejected_transfer_into_a_closed_sender_says_where_the_credits_went(site: CreditSite) -> None:
    registry = site.registry
    with site.database.unit_of_work() as session:
        leaving = service.open_account(session, OPERATOR, "JPN", "participant_holding", "acme-jp").number
        service.transfer(session, OPERATOR, registry.jp_gov, leaving, 3)
    with site.database.unit_of_work() as session:
        keys = [service.transfer(session, OPERATOR, leaving, registry.vn_pp, 1).key for _ in range(3)]
    with site.database.unit_of_work() as session:
        service.set_account_status(session, OPERATOR, leaving, "closed")

    with api(site, "vn_admin") as client:
        answer = client.post(f"/pending/{keys[0]}/reject")
        assert answer.status_code == 200, answer.text
        returns = answer.json()["details"]["returned_to"]
        assert answer.json()["to_account"] == returns and answer.json()["details"]["sender_status"] == "closed"
    result = cli(site, "vn_admin", "reject", keys[1])
    assert result.exit_code == 0, result.output
    assert f"the credits went to the registry's returns account {returns}" in " ".join(result.output.split())
    page = site.browsers["vn_admin"].post(f"/credits/pending/{keys[2]}/reject")
    assert page.status_code == 303 and f"returned_to={returns}" in page.headers["location"]
    shown = site.browsers["vn_admin"].get("/credits/pending", rejected="1", returned_to=returns).text
    notice = re.search(r'id="recorded"[^>]*>(.*?)</p>', shown, re.S)
    assert notice and f"returns account {returns}" in notice.group(1)
    assert site.balance(returns) == 3 and site.balance(leaving) == 0


def test_a_tpe_not_assigned_to_the_project_verifies_nothing_on_any_edge(site: CreditSite) -> None:
    """The page refuses it too (tests/integration/web/test_chain_pages.py); here the API and the CLI."""
    report_id = create_report(site.registry, 50, verify=False)
    site.people["other_tpe"] = create_person(site.database, "tpe", organization="another-tpe")
    before = site.state()
    with api(site, "other_tpe") as client:
        answer = client.post(f"/reports/{report_id}/verification", json={"verified_tco2": 50, "opinion": "fair"})
        assert "does not cover organization TPE-VN" in problem(answer, 403)  # by its registered name
    result = cli(site, "other_tpe", "report-verify", str(report_id), "--verified", "50", "--opinion", "fair")
    assert isinstance(result.exception, Forbidden) and "does not cover organization tpe-vn" in result.exception.detail
    with site.database.reading() as session:
        assert monitoring_reports.report_row(session, report_id).status == "submitted"
    assert site.state() == before


def test_a_bad_serial_code_is_refused_when_the_project_is_registered(site: CreditSite) -> None:
    """The registry's project is the pipeline's JCM project: its serial code is checked at registration
    (the page assigns the next free code itself, so only the API and the CLI can name one)."""
    slug = "vn-cantho-rooftop-pv"
    with site.database.unit_of_work() as session:
        jcm.create_jcm_project(session, OPERATOR, jcm.NewJcmProject(slug=slug, title_en=slug, country_iso3="VNM"))
        for state, document in PIPELINE[:-1]:
            if document:
                jcm.add_document(session, OPERATOR, site.registry.settings, slug, document, f"{document}.pdf", PDF)
            jcm.move(session, OPERATOR, slug, state)
        jcm.add_document(session, OPERATOR, site.registry.settings, slug, "validation_report", "v.pdf", PDF)
    site.people["jc"] = create_person(site.database, "joint_committee_member", "VNM", organization="vn-jc")
    token = create_token(site.database, site.people["jc"].email, "jcm.*")
    move = f"{site.server.url}/api/v1/jcm-projects/{slug}/move"
    for code, status, said in (
        ("vn-001", 422, "upper-case letters"),
        ("X" * 17, 422, "1-16"),
        ("VN007", 409, "belongs to another JCM project"),
    ):
        body = {"to_state": "registration", "serial_code": code}
        answer = httpx.post(move, json=body, headers={"authorization": f"Bearer {token}"}, timeout=30)
        assert said in problem(answer, status)
        command = ["pipeline", "move", slug, "registration", "--serial-code", code, "--db", site.database.url]
        result = runner.invoke(app, ["--as", site.people["jc"].email, *command])
        assert isinstance(result.exception, C3PError) and said in result.exception.detail
    with site.database.reading() as session:
        found = jcm.jcm_by_slug(session, slug)
        assert (found.state, found.serial_code) == ("validation", None)


@pytest.fixture
def site(credit_site: CreditSite) -> CreditSite:
    return credit_site
