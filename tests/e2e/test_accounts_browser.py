"""Accounts in a real browser: sign in through the page, change something, see it in the history.

The live server keeps its default of Secure cookies: Chromium treats the loopback address as
a secure origin, so this also proves the cookie flags work in a browser.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from c3p.db.database import Database
from c3p.settings import Settings
from tests.conftest import LiveServer
from tests.support.accounts import PASSWORD, create_user

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(new_database_url, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """The real app on its own schema-only SQLite database, with the default Secure cookies."""
    from c3p.web.app import create_app

    database = Database(new_database_url("sqlite"))
    database.upgrade()
    data_dir = tmp_path_factory.mktemp("browser-accounts")
    server = LiveServer(create_app(Settings(data_dir=data_dir, database_url=database.url), database), data_dir)
    server.start()
    server.database = database  # type: ignore[attr-defined]
    yield server
    server.stop()
    database.dispose()


@pytest.fixture
def admin_email(live_server) -> str:  # type: ignore[no-untyped-def]
    email = f"admin-{uuid.uuid4().hex[:6]}@example.org"
    create_user(live_server.database, email, "administrator", organization="browser-test-org")
    return email


def sign_in(page, url: str, email: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto(url + "/sign-in")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#sign-in-submit")


def test_sign_in_change_language_and_see_it_in_the_history(live_server, page, admin_email: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server.url, "nobody-" + admin_email, "a wrong password here")
    assert "パスワードが正しくありません" in page.locator("#sign-in-error").inner_text()

    sign_in(page, live_server.url, admin_email)
    page.wait_for_url("**/account")
    assert page.locator("#account-email").inner_text() == admin_email
    assert page.locator("html").get_attribute("lang") == "ja"

    page.select_option("#language", "en")
    page.click("#language-save")
    page.wait_for_url("**/account?saved=language")
    assert page.locator("html").get_attribute("lang") == "en"
    latest = page.locator(".history-entry").first
    assert admin_email in latest.inner_text()
    assert "Language: ja → en" in latest.inner_text()  # the field by its label, in the reader's language


def test_admin_edits_an_organization_and_sees_the_change(live_server, page, admin_email: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server.url, admin_email)
    page.wait_for_url("**/account")
    page.goto(live_server.url + "/admin")
    page.click("#organization-browser-test-org")
    page.fill("#name_en", "Browser Test Organization")
    page.click("#organization-save")
    page.wait_for_url("**/member-organizations/*?saved=1")
    assert page.locator("#organization-name-en").inner_text() == "Browser Test Organization"
    latest = page.locator(".history-entry").first.inner_text()
    assert admin_email in latest and "Browser Test Organization" in latest

    # a forged form from another page is refused and changes nothing
    page.evaluate(
        """() => { const f = document.getElementById('organization-form');
                   f.querySelector('[name=csrf_token]').value = 'forged';
                   f.querySelector('[name=name_en]').value = 'Forged'; }"""
    )
    with page.expect_navigation():
        page.click("#organization-save")
    assert "セキュリティトークン" in page.locator("#refusal-detail").inner_text()
    page.goto(live_server.url + "/account/organization")
    assert page.locator("#organization-name-en").inner_text() == "Browser Test Organization"


def test_a_second_administrator_refuses_a_grant_with_a_reason_on_the_approvals_page(live_server, browser) -> None:  # type: ignore[no-untyped-def]
    asker, decider = (f"{who}-{uuid.uuid4().hex[:6]}@example.org" for who in ("asker", "decider"))
    for email in (asker, decider):
        create_user(live_server.database, email, "administrator", organization="browser-test-org")
    target = create_user(live_server.database, f"target-{uuid.uuid4().hex[:6]}@example.org")
    pages = []
    for email in (asker, decider):
        page = browser.new_context(locale="en-US").new_page()
        sign_in(page, live_server.url, email)
        page.wait_for_url("**/account")
        pages.append(page)
    asking, deciding = pages

    asking.goto(live_server.url + "/admin")
    row = asking.locator(f"#user-{target}")
    row.locator("select[name=role]").select_option("registry_administrator")
    row.locator("input[name=scope]").fill("JPN")
    row.get_by_role("button", name="Grant").click()
    asking.wait_for_url("**/admin?saved=grant")
    asking.click("#approvals-link")
    waiting = asking.locator("#waiting tbody tr")
    assert waiting.count() == 1
    assert "another administrator decides" in waiting.inner_text()
    assert waiting.locator("button", has_text="Approve").count() == 0  # the asker cannot approve

    deciding.goto(live_server.url + "/admin/approvals")
    grant = deciding.locator("#waiting tbody tr").first
    grant_id = (grant.get_attribute("id") or "").removeprefix("grant-")
    grant.locator(f"#refuse-{grant_id}").click()  # no reason: the form says so and nothing changes
    assert "reason for the refusal" in deciding.locator(f"#grant-{grant_id}-reason-error").inner_text()
    assert deciding.locator(f"#grant-{grant_id}").count() == 1
    deciding.fill(f"#grant-{grant_id}-reason", "Two registry administrators are enough for Japan.")
    deciding.click(f"#refuse-{grant_id}")
    deciding.wait_for_url("**/admin/approvals?saved=refused")
    assert deciding.locator("#nothing-waiting").is_visible()

    deciding.goto(live_server.url + f"/history/role_grants/{grant_id}")
    history = deciding.locator(".history-table").inner_text()
    assert "Two registry administrators are enough for Japan." in history and decider in history
    for page in pages:
        page.context.close()
