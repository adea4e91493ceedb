"""Corresponding adjustments in a real browser: Viet Nam's registry administrator finds the page from
the accounts page, mistypes a year and is told so next to the field, then reads the year's
adjustment due beside the one recorded, in English and in Japanese, with no serious barrier."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe

from c3p.db.database import Database
from c3p.program.seed_loader import init_database
from c3p.settings import Settings
from tests.conftest import LiveServer
from tests.e2e.test_program_cycle_browser import sign_in
from tests.support.credits import create_issuance, create_registry
from tests.support.workflow import create_person

pytestmark = pytest.mark.browser
THIS_YEAR = dt.datetime.now(dt.UTC).year


@pytest.fixture(scope="module")
def adjustments_site(new_database_url, tmp_path_factory) -> Iterator[tuple[LiveServer, str]]:  # type: ignore[no-untyped-def]
    from c3p.web.app import create_app

    database = Database(new_database_url("sqlite"))
    init_database(database)
    registry = create_registry(database)
    create_issuance(registry, {registry.jp_gov: 1200, registry.vn_pp: 800})  # 1,200 first transferred to Japan
    admin = create_person(database, "registry_administrator", "VNM", organization="vn-mone")
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), database_url=database.url)
    server = LiveServer(create_app(settings, database), settings.data_dir).start()
    yield server, admin.email
    server.stop()
    database.dispose()


def test_an_administrator_reads_the_gap_of_its_registry(adjustments_site, browser) -> None:  # type: ignore[no-untyped-def]
    server, email = adjustments_site
    context, page = sign_in(browser, server, email)
    page.goto(server.url + "/credits/accounts?lang=en")
    page.click("#adjustments-link")
    page.wait_for_selector("#adjustment-gap")
    assert page.input_value("#adjustments-country") == "VNM"

    page.fill("#adjustments-year", "20x6")  # a typo: refused next to the field, what was typed kept
    page.click("#adjustments-submit")
    page.wait_for_selector("#adjustments-year-error")
    assert "four digits" in page.locator("#adjustments-year-error").inner_text()
    assert page.input_value("#adjustments-year") == "20x6"

    page.fill("#adjustments-year", str(THIS_YEAR))
    page.click("#adjustments-submit")
    page.wait_for_selector(f"#adjustment-{THIS_YEAR}")
    cells = page.locator(f"#adjustment-{THIS_YEAR} td").all_inner_texts()
    assert cells == ["1,200", "0", "+1,200", "+1,200", "0"]  # first transferred, used, due, recorded, difference
    violations = [v["id"] for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert violations == []

    page.goto(server.url + f"/credits/adjustments?country=VNM&year={THIS_YEAR}&lang=ja")
    assert page.locator("h1").inner_text() == "相当調整"
    assert "仮定" in page.locator("#adjustment-periods").inner_text()
    violations = [v["id"] for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert violations == []
    context.close()
