"""The whole chain in a real browser, each person signing in for their own step and finding it in "my tasks".

A JCM project registered in the pipeline gets its TPE from the secretariat; the participant
uploads monitoring data, sees the engine's reductions and submits them; the TPE raises a
corrective action request and verifies; the Joint Committee cannot issue until the participant
has responded and the TPE has closed the request; then it notifies the issuance with its
allocation; a holder transfers and retires, and a transfer above the registry's threshold
waits until a second representative approves it from "my tasks"; the public totals show the project's credits and
link back to it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest

from c3p.credits import queries, service
from c3p.db.database import Database
from c3p.program.seed_loader import init_database
from c3p.settings import Settings
from tests.conftest import LiveServer
from tests.e2e.test_program_cycle_browser import sign_in
from tests.support.credits import (
    OPERATOR,
    TPE,
    Registry,
    create_jcm_project,
    create_registry,
    name_representative,
)
from tests.support.workflow import Person, create_person

pytestmark = pytest.mark.browser

SLUG = "vn-cantho-rooftop-pv"
DAY = dt.date(2025, 3, 1)
PARAMS = {"EF_RE,i": {"value": 1, "unit": "tCO2/MWh"}, "PC_i": {"value": 1e9, "unit": "kW"}}


@pytest.fixture(scope="module")
def chain_site(new_database_url, tmp_path_factory) -> Iterator[tuple[LiveServer, Registry, dict[str, Person]]]:  # type: ignore[no-untyped-def]
    from c3p.web.app import create_app

    database = Database(new_database_url("sqlite"))
    init_database(database)
    settings = Settings(data_dir=tmp_path_factory.mktemp("chain"), database_url=database.url)
    registry = create_registry(database, settings)
    create_jcm_project(database, settings, slug=SLUG, serial_code=None, tpe=None)  # registered, no TPE yet
    people = {
        "secretariat": create_person(database, "secretariat", organization="moej-secretariat"),
        "participant": create_person(database, "project_participant", SLUG, organization="acme-vn"),
        "tpe": create_person(database, "tpe", organization=TPE),
        "jc": create_person(database, "joint_committee_member", "VNM", organization="vn-jc"),
        "holder": create_person(database, None, organization="moej"),
    }
    server = LiveServer(create_app(settings, database), settings.data_dir).start()
    yield server, registry, people
    server.stop()
    database.dispose()


def take_task(page, site: LiveServer, words: str) -> None:  # type: ignore[no-untyped-def]
    """Open "my tasks" and follow the task whose title has ``words``."""
    page.goto(site.url + "/account/tasks?lang=en")
    page.click(f"#tasks a:has-text('{words}')")
    page.wait_for_load_state()


def test_the_chain_from_monitoring_data_to_public_totals(chain_site, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    site, registry, people = chain_site

    # the secretariat assigns the TPE
    context, page = sign_in(browser, site, people["secretariat"].email)
    take_task(page, site, f"Assign the TPE that verifies JCM project {SLUG}")
    page.fill("#verifier-tpe", TPE)
    page.click("#verifier-submit")
    page.wait_for_selector("#recorded")
    assert page.locator("#assigned-tpe").inner_text() == TPE
    context.close()

    # the participant uploads monitoring data, sees the engine's result, submits it
    data = tmp_path / "monitoring-2025-03.csv"
    data.write_text(f'site_id,timestamp,parameter,value,unit\nS1,{DAY} 00:00,"EG_i,p",1000,MWh\n', encoding="utf-8")
    context, page = sign_in(browser, site, people["participant"].email)
    take_task(page, site, f"Submit the first monitoring report of JCM project {SLUG}")
    page.set_input_files("#check-monitoring", str(data))
    page.fill("#check-period_start", str(DAY))
    page.fill("#check-period_end", str(DAY))
    page.fill("#check-params", json.dumps(PARAMS))
    page.click("#check-submit")
    page.wait_for_selector("#checked")
    assert page.locator("#checked-reductions").inner_text() == "1,000"
    assert page.locator("#checked-period").inner_text() == f"{DAY} – {DAY}"
    page.click("#submit-report")
    page.wait_for_selector("#report-claimed")
    assert page.locator("#report-claimed").inner_text() == "1,000"
    report_url = page.url.split("?")[0]
    context.close()

    # the TPE raises a corrective action request and verifies
    context, page = sign_in(browser, site, people["tpe"].email)
    take_task(page, site, "Verify monitoring report")
    page.select_option("#finding-kind", "corrective_action_request")
    page.fill("#finding-text", "The meter's calibration certificate is missing.")
    page.click("#finding-submit")
    page.wait_for_selector("#findings .finding-text")
    page.fill("#verification-verified_tco2", "1,200")  # more than claimed: refused by its field
    page.fill("#verification-opinion", "Reasonable assurance.")
    page.click("#verification-submit")
    page.wait_for_selector("#verification-verified_tco2-error")
    assert page.input_value("#verification-opinion") == "Reasonable assurance."
    page.fill("#verification-verified_tco2", "990")
    page.click("#verification-submit")
    page.wait_for_selector("#report-verified")
    assert page.locator("#report-verified").inner_text() == "990"
    context.close()

    # the Joint Committee cannot issue while the request is open
    context, page = sign_in(browser, site, people["jc"].email)
    page.goto(report_url + "?lang=en")
    assert page.locator("#issuance-form").count() == 0
    context.close()

    # the participant responds; the TPE closes
    context, page = sign_in(browser, site, people["participant"].email)
    take_task(page, site, "Respond to finding")
    page.fill("[id^=response-][id$=-response]", "Certificate of 2025-02-20 attached to the PDD.")
    page.click("[id^=response-][id$=-submit]")
    page.wait_for_selector(".finding-response")
    context.close()
    context, page = sign_in(browser, site, people["tpe"].email)
    take_task(page, site, "Close finding")
    page.click("[id^=close-][id$=-submit]")
    page.wait_for_selector("#recorded")
    assert "Closed" in page.locator("#findings .finding-status").inner_text()
    context.close()

    # the Joint Committee notifies the issuance with its allocation
    context, page = sign_in(browser, site, people["jc"].email)
    take_task(page, site, "Notify the issuance")
    page.fill("#issuance-notification_ref", "JC-VN-2026-007")
    page.fill("#issuance-credits", "990")
    page.fill("#issuance-account_1", registry.jp_gov)
    page.fill("#issuance-credits_1", "500")
    page.fill("#issuance-account_2", registry.vn_pp)
    page.fill("#issuance-credits_2", "490")
    page.click("#issuance-submit")
    page.wait_for_selector("#report-issued")
    assert page.locator("#report-issued").inner_text() == "990"
    page.goto(report_url + "?lang=ja")
    assert "クレジット発行済み" in page.locator("#report-status").inner_text()
    context.close()

    # a holder transfers and retires
    with site.server.config.app.state.database.reading() as session:
        before = queries.account(session, registry.jp_gov).balance_credits
    # membership of the holding organization alone only reads: the registry names its representative
    name_representative(site.server.config.app.state.database, registry.jp_gov, people["holder"].email)
    context, page = sign_in(browser, site, people["holder"].email)
    page.goto(f"{site.url}/credits/accounts/{registry.jp_gov}?lang=en")
    page.fill("#transfer-to_account", registry.jp_pp)
    page.fill("#transfer-credits", "100")
    page.click("#transfer-submit")
    page.wait_for_selector("#recorded")
    page.fill("#retire-purpose", "Japan's NDC (FY2030)")
    page.fill("#retire-beneficiary", "Government of Japan")
    page.fill("#retire-credits", "200")
    page.click("#retire-submit")
    page.wait_for_selector("#recorded")
    assert page.locator("#account-balance").inner_text() == f"{before - 300:,}"

    # above Japan's threshold a transfer waits for a second representative, who approves it from "my tasks"
    database = site.server.config.app.state.database
    with database.unit_of_work() as session:
        service.configure_registry(session, OPERATOR, "JPN", 150)
    page.fill("#transfer-to_account", registry.jp_pp)
    page.fill("#transfer-credits", "160")
    page.click("#transfer-submit")
    page.wait_for_load_state()
    assert page.locator("#account-balance").inner_text() == f"{before - 300:,}"  # proposed: nothing moved
    page.goto(site.url + "/credits/proposals?lang=en")
    assert page.locator("#proposals tbody tr").count() == 1
    assert page.locator("#proposals button").count() == 0  # the proposer never approves their own
    context.close()
    second = create_person(database, "account_representative", registry.jp_gov, organization="moej")
    context, page = sign_in(browser, site, second.email)
    take_task(page, site, "Approve or refuse transfer")
    page.locator("#proposals button:has-text('Approve')").click()
    page.wait_for_selector("#recorded")
    assert page.locator("#account-balance").inner_text() == f"{before - 460:,}"
    context.close()
    with database.unit_of_work() as session:
        service.configure_registry(session, OPERATOR, "JPN", None)

    # the public totals show the project's credits and link back to it
    page = browser.new_page()
    page.goto(site.url + "/credits/projects?lang=en")
    row = page.locator(f"#project-{SLUG}")
    assert row.inner_text().split("\t")[-3:] == ["990", "200", "0"]
    row.locator("a").click()
    page.wait_for_url(f"**/jcm-projects/{SLUG}")
    page.click("#reports-link")
    page.wait_for_selector("#reports")
    assert "990" in page.locator("#reports tbody tr").first.inner_text()
    page.close()
