"""The credit registry in a real browser: a reader follows the navigation from the home page to
the issuances and retirements, in Japanese and in English; a holder transfers with the form
and finds the transaction on the account page and on the statement."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from c3p.credits import queries, service
from c3p.db.database import Database
from c3p.program.seed_loader import init_database
from c3p.settings import Settings
from tests.conftest import LiveServer
from tests.e2e.test_program_cycle_browser import live_server_database, sign_in
from tests.support.credits import OPERATOR, create_issuance, create_registry, name_representative
from tests.support.workflow import create_person

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def credits_site(new_database_url, tmp_path_factory) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    from c3p.web.app import create_app

    database = Database(new_database_url("sqlite"))
    init_database(database)
    registry = create_registry(database)
    create_issuance(registry, {registry.jp_gov: 1200, registry.vn_pp: 800})
    with database.unit_of_work() as session:
        service.retire(session, OPERATOR, registry.jp_gov, "Japan's NDC (FY2030)", "Government of Japan", 250)
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), database_url=database.url)
    server = LiveServer(create_app(settings, database), settings.data_dir).start()
    yield server
    server.stop()
    database.dispose()


def test_a_reader_finds_issuances_and_retirements(credits_site, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(credits_site.url + "/?lang=ja")
    page.hover("#nav-section-jcm")
    page.click("#nav-credits")
    page.wait_for_url("**/credits")
    assert page.locator("h1").inner_text() == "JCMクレジット登録簿"
    assert page.locator("#figure-issued").inner_text() == "2,000"
    assert page.locator("#figure-retired").inner_text() == "250"

    page.click("#credits-nav-issuances")
    page.wait_for_url("**/credits/issuances")
    row = page.locator("#issuances tbody tr").first
    assert "JC-VN-001" in row.inner_text()
    assert "JCM-JPN-VNM-VN007-001-000000000001-000000001200" in row.inner_text()
    assert "全量承認" in row.inner_text()  # authorized as a whole by its notification

    page.click("#credits-nav-retirements")
    page.wait_for_url("**/credits/retirements")
    retirement = page.locator("#retirements tbody tr").first
    assert "Government of Japan" in retirement.inner_text()
    assert "250" in retirement.inner_text()
    page.click("#labels-help summary")
    assert page.locator("#labels-help dd").first.is_visible()

    page.click("#lang-switch-en")
    page.wait_for_url("**/credits/retirements?lang=en")
    assert page.locator("h1").inner_text() == "Retirements"
    page.click("#credits-nav-projects")
    assert page.locator("#project-vn-007").inner_text().split("\t")[-3:] == ["2,000", "250", "0"]


def test_a_representative_transfers_with_the_form_and_finds_it_on_the_statement(credits_site, browser) -> None:  # type: ignore[no-untyped-def]
    database = live_server_database(credits_site)
    with database.reading() as session:
        sender, receiver = (queries.accounts(session, holder=h)[0].number for h in ("moej", "acme-jp"))
        before = queries.account(session, sender).balance_credits
    holder = create_person(database, None, organization="moej")
    name_representative(database, sender, holder.email)  # membership of the holder alone only reads
    context, page = sign_in(browser, credits_site, holder.email)
    page.goto(credits_site.url + "/credits?lang=en")
    page.click("#credits-nav-accounts")
    page.click(f"#account-{sender} a")
    page.wait_for_selector("#transfer-form")

    page.fill("#transfer-to_account", receiver)
    page.fill("#transfer-credits", "x40")  # a typo: refused, what was typed kept, nothing moved
    page.click("#transfer-submit")
    page.wait_for_selector("#transfer-credits-error")
    assert page.input_value("#transfer-to_account") == receiver
    assert page.locator("#account-balance").inner_text() == f"{before:,}"

    page.fill("#transfer-credits", "40")
    page.click("#transfer-submit")
    page.wait_for_selector("#recorded")
    assert page.locator("#account-balance").inner_text() == f"{before - 40:,}"
    newest = page.locator("#account-transactions tbody tr").first
    assert "Transfer" in newest.inner_text() and receiver in newest.inner_text()
    seq = newest.get_attribute("id")

    page.click("#statement-link")
    page.wait_for_selector("#statement-lines")
    line = page.locator(f"#statement-lines #{seq}")
    assert "40" in line.inner_text() and f"{before - 40:,}" in line.inner_text()
    assert page.locator("#statement-closing").inner_text() == f"{before - 40:,}"
    context.close()


def test_a_reader_follows_a_retirement_to_its_history_and_its_certificate(credits_site, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(credits_site.url + "/credits/retirements?lang=ja")
    retirement = page.locator("#retirements tbody tr").first
    retirement.locator("td.serials a").first.click()
    page.wait_for_url("**/credits/history?serial=*")
    assert page.locator("h1").inner_text() == "クレジットの履歴"
    assert page.locator("#history-issued").inner_text() == "250"
    assert [s.inner_text() for s in page.locator(".history-leaf .history-state").all()] == ["償却済み"]
    page.fill("#history-serial", "JCM-JPN-VNM-VN007-001-000099999999")
    page.click("#history-submit")
    page.wait_for_selector("#history-serial-error")
    assert page.locator("#history-tree").count() == 0
    page.goto(credits_site.url + "/credits/retirements?lang=en")
    with page.expect_download() as download:
        page.locator("#retirements tbody tr").first.locator("a[download]").click()
    assert download.value.suggested_filename.startswith("retirement-certificate-")
