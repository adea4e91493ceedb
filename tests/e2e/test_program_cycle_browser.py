"""One whole program cycle in a real browser (Debian's Chromium), each step by the person who takes it.

The secretariat opens a call, a proposer drafts, attaches the application form and submits;
the Japanese local government named on it reads the submitted proposal and comments; a
reviewer scores, the secretariat closes the review, adopts and publishes, and the adopted
project then appears on the public /projects pages (and not before); the partner city's
official records a site visit on the project's tracking page and marks it done with its report.
"""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest

from tests.support.workflow import PASSWORD, PDF, create_person

pytestmark = pytest.mark.browser


def sign_in(browser, live_server, email: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(live_server.url + "/sign-in?lang=en")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#sign-in-submit")
    page.wait_for_load_state()
    page.goto(live_server.url + "/calls?lang=en")  # the account's language is Japanese; read the pages in English
    return context, page


def test_open_apply_review_adopt_publish(live_server, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = live_server_database(live_server)
    year = 2040 + uuid.uuid4().int % 50
    secretariat = create_person(database, "secretariat")
    proposer = create_person(database, "proposer", kind="company")
    reviewer = create_person(database, "reviewer", f"{year}-1")
    city_hall = create_person(
        database, "japanese_government_staff", organization="yokohama", kind="japanese_government"
    )
    partner_city = create_person(database, "partner_city_official", organization="bangkok", kind="partner_place")
    closes = (dt.date.today() + dt.timedelta(days=20)).isoformat()

    context, page = sign_in(browser, live_server, secretariat.email)
    page.goto(live_server.url + "/calls")
    page.fill("#fiscal_year", str(year))
    page.fill("#title_en", "Browser call")
    page.fill("#closes_at", f"{closes}T17:00")  # Japan time
    page.click("#open-call-submit")
    page.wait_for_url(f"**/calls/{year}-1")
    assert page.locator("#call-state").inner_text().strip() == "Open"
    context.close()

    context, page = sign_in(browser, live_server, proposer.email)
    page.goto(live_server.url + f"/calls/{year}-1")
    page.fill("#new-title-ja", "ブラウザ案件")
    page.click("#start-application")
    page.wait_for_url("**/applications/*")
    application_url = page.url
    page.fill("#draft-title_en", "Browser project for Bangkok")
    page.fill("#draft-summary_ja", "省エネ設備の導入調査。")
    page.fill("#draft-plan", "Feasibility study, then a JCM Model Project application.")
    page.check("input[name=fields][value=energy-efficiency]")
    page.select_option("#draft-japanese_governments", ["yokohama"])
    page.select_option("#draft-partner_places", ["bangkok"])
    page.fill("#draft-plan_years", "1")
    page.fill("#draft-budget_jpy_by_year", "15000000")
    page.click("#save-draft")
    page.wait_for_selector("#saved")
    form = tmp_path / "form.pdf"
    form.write_bytes(PDF)
    page.set_input_files("#file", str(form))
    page.click("#upload-submit")
    page.wait_for_selector("#attachments li >> text=form.pdf")
    assert page.locator("#eligible").inner_text().strip() == "Eligible"
    page.click("#submit-application")
    page.wait_for_load_state()
    assert page.locator("#application-state").inner_text().strip() == "Submitted"
    context.close()

    project_title = "Browser project for Bangkok"
    assert project_title not in httpx.get(live_server.url + f"/projects?fiscal_year={year}&lang=en").text

    context, page = sign_in(browser, live_server, city_hall.email)  # Yokohama, named on the application
    page.goto(application_url + "?lang=en")
    assert "Feasibility study, then a JCM Model Project application." in page.locator("#proposal-plan").inner_text()
    assert page.locator("#proposal-budget-total").inner_text().strip() == "15,000,000"
    assert page.locator("#draft-form").count() == 0  # only the lead edits
    page.fill("#comment-body", "Yokohama will host the workshop in May.")
    page.click("#comment-submit")
    page.wait_for_selector("#comments >> text=Yokohama will host the workshop in May.")
    context.close()

    context, page = sign_in(browser, live_server, secretariat.email)
    page.goto(live_server.url + f"/calls/{year}-1")
    page.click("#advance-call")  # close submissions, start the review
    page.wait_for_load_state()
    assert page.locator("#call-state").inner_text().strip() == "Reviewing"
    context.close()

    context, page = sign_in(browser, live_server, reviewer.email)
    page.goto(live_server.url + f"/calls/{year}-1/review")
    for field in page.locator("form[id^=score-form] input[type=number]").all():
        field.fill("4")
    page.locator("button[id^=score-submit]").first.click()
    page.wait_for_selector(".scores li")
    context.close()

    context, page = sign_in(browser, live_server, secretariat.email)
    page.goto(live_server.url + f"/calls/{year}-1")
    page.click("#advance-call")  # close the review
    page.wait_for_selector("#adopt-form")
    page.locator("#adopt-form input[name=application]").first.check()
    page.click("#adopt-submit")
    page.wait_for_selector("#publish-submit")
    assert project_title not in httpx.get(live_server.url + f"/projects?fiscal_year={year}&lang=en").text
    page.click("#publish-submit")
    page.wait_for_selector("#published")
    context.close()

    context, page = sign_in(browser, live_server, partner_city.email)  # Bangkok records its own step
    page.goto(application_url + "?lang=en")
    page.click("#adopted-project")
    page.wait_for_selector("#activity-form")
    page.select_option("#activities-kind", "site_visit")
    page.fill("#activities-title", "Site visit to the pilot building")
    page.click("#activity-submit")
    page.wait_for_selector("#activities >> text=Site visit to the pilot building")
    item = page.locator("#activities li", has_text="Site visit to the pilot building")
    item.locator("summary").click()
    item.locator("select[name=state]").select_option("done")
    item.locator("textarea[name=note]").fill("Chiller load measured; report attached.")
    item.locator("button[type=submit]").click()
    page.wait_for_selector("#activities >> text=Chiller load measured; report attached.")
    assert "Done" in page.locator("#activities li", has_text="Site visit to the pilot building").inner_text()
    context.close()

    public = browser.new_context(locale="en-US")
    page = public.new_page()
    page.goto(live_server.url + f"/projects?fiscal_year={year}&lang=en")
    page.click(f"text={project_title}")
    page.wait_for_load_state()
    assert project_title in page.locator("h1").inner_text()
    public.close()
    assert application_url


def live_server_database(live_server):  # type: ignore[no-untyped-def]
    return live_server.server.config.app.state.database
