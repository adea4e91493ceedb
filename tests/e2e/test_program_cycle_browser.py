"""One whole program cycle in a real browser (Debian's Chromium), each step by the person who takes it.

The secretariat opens a call and sets all its terms and documents in the portal (deadline in
Japan time, countries with a JCM candidate given priority, fields, attachments, the scoring
sheet); anyone reads who can apply and downloads the guidelines; a proposer drafts, attaches
the application form and submits; the secretariat returns it for correction and the proposer
submits it again; the Japanese local government named on it reads the submitted proposal and
comments; the secretariat rules on its eligibility with a reason; a reviewer scores; the
secretariat closes the review, downloads the committee's workbook, adopts with the grant
decision and publishes, and the adopted project then appears on the public /projects pages
(and not before); the partner city's official records a site visit on the project's tracking
page and marks it done with its report. The company then starts the JCM project from its
project (everything the application said is filled in), saves its subsidy calculation and
applies as a Model Project; the secretariat records the adoption, the company's participant the
installation and the PDD; the TPE finds the validation in "my tasks" and records it; the Joint
Committee finds the registration in its tasks and registers the project.

Screenshots of each role's step go to ``C3P_SCREENSHOTS_DIR`` when it is set
(``scripts/screenshots`` sets it to docs/screenshots, which docs/workflow.md shows), else to a
temporary folder, so a normal run leaves the checkout clean.
"""

from __future__ import annotations

import datetime as dt
import uuid
from io import BytesIO
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from tests.support.workflow import PASSWORD, PDF, create_person

pytestmark = pytest.mark.browser


def shoot(page, folder: Path, name: str, selector: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """One screen of the walk-through (the part ``selector`` shows, else the window), as PNG."""
    target = folder / f"workflow-{name}.png"
    if selector:
        page.locator(selector).first.scroll_into_view_if_needed()
    page.screenshot(path=str(target))


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


def test_a_whole_program_year_each_role_in_the_browser(live_server, browser, tmp_path, screenshots) -> None:  # type: ignore[no-untyped-def]
    database = live_server_database(live_server)
    year = 2040 + uuid.uuid4().int % 50
    secretariat = create_person(database, "secretariat")
    proposer = create_person(database, "proposer", kind="company")
    reviewers = [create_person(database, "reviewer", f"{year}-1") for _ in range(2)]
    tpe = create_person(database, "tpe", organization=f"tpe-{year}")
    joint_committee = create_person(database, "joint_committee_member", "THA", organization=f"th-jc-{year}")
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
    set_up_the_call(page, tmp_path)
    context.close()

    public = browser.new_context(locale="en-US")
    page = public.new_page()
    page.goto(live_server.url + f"/calls/{year}-1?lang=en")
    assert f"{closes} 17:00" in page.locator("#call-deadline").inner_text()
    assert "Thailand" in page.locator("#eligible-countries").inner_text()
    assert "Malaysia (JCM candidate)" in page.locator("#priority-countries").inner_text()
    assert page.locator("#sign-in-to-apply").is_visible()
    shoot(page, screenshots, "1-public-call", "#call-deadline")
    with page.expect_download() as download:
        page.locator("#call-documents a").first.click()
    assert download.value.suggested_filename == "guidelines.pdf"
    public.close()

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
    page.select_option("#draft-methodology_id", "TH_AM001")  # solar PV in Thailand
    page.click("#save-draft")
    page.wait_for_selector("#saved")
    page.fill("#draft-estimate-EG_i_p", "1,200")  # MWh a year
    page.fill("#draft-estimate-EF_RE_i", "0,5")  # a decimal comma: refused, never read as 5
    page.click("#save-draft")
    page.wait_for_selector("#estimate-error-EF_RE_i")
    assert page.input_value("#draft-estimate-EG_i_p") == "1,200"  # what was typed is kept
    page.fill("#draft-estimate-EF_RE_i", "0.5")
    page.click("#save-draft")
    page.wait_for_selector("#saved")
    assert page.locator("#proposal-reductions").inner_text().strip() == "600"  # the engine's estimate
    shoot(page, screenshots, "2-application-estimate", "#proposal-estimate")
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
    application_id = application_url.rstrip("/").rsplit("/", 1)[-1]

    context, page = sign_in(browser, live_server, secretariat.email)
    page.goto(live_server.url + f"/calls/{year}-1")
    due = (dt.date.today() + dt.timedelta(days=25)).isoformat()
    page.fill(f"#return-{application_id}-message", "Add the partner city's letter to the plan.")
    page.fill(f"#return-{application_id}-due_at", f"{due}T12:00")
    page.click(f"#return-submit-{application_id}")
    page.wait_for_load_state()
    context.close()

    context, page = sign_in(browser, live_server, proposer.email)
    page.goto(application_url)
    assert "partner city's letter" in page.locator("#correction").inner_text()
    page.fill("#draft-plan", "Feasibility study with the partner city's letter, then a JCM Model Project.")
    page.click("#save-draft")
    page.wait_for_selector("#saved")
    page.click("#submit-application")
    page.wait_for_load_state()
    assert page.locator("#application-state").inner_text().strip() == "Submitted"
    context.close()

    context, page = sign_in(browser, live_server, secretariat.email)
    page.goto(live_server.url + f"/calls/{year}-1")
    page.select_option(f"#ruling-{application_id}-ruling", "eligible")
    page.fill(f"#ruling-{application_id}-reason", "Checked with the partner city by telephone.")
    page.click(f"#ruling-submit-{application_id}")
    page.wait_for_load_state()
    assert "Checked with the partner city" in page.locator(f"#tools-{application_id}").inner_text()
    context.close()

    project_title = "Browser project for Bangkok"
    assert project_title not in httpx.get(live_server.url + f"/projects?fiscal_year={year}&lang=en").text

    context, page = sign_in(browser, live_server, city_hall.email)  # Yokohama, named on the application
    page.goto(application_url + "?lang=en")
    assert "with the partner city's letter" in page.locator("#proposal-plan").inner_text()  # as corrected
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

    for points, reviewer in zip(("4", "3"), reviewers, strict=True):  # each reviewer scores on their own
        context, page = sign_in(browser, live_server, reviewer.email)
        page.goto(live_server.url + "/account/tasks?lang=en")
        page.click(f"#tasks a:has-text('Score application {application_id}')")
        page.wait_for_load_state()
        review_url = page.url
        page.click(f"a[href='/applications/{application_id}']")  # the reviewer reads the whole proposal
        assert "with the partner city's letter" in page.locator("#proposal-plan").inner_text()
        page.goto(review_url)
        for field in page.locator("form[id^=score-form] input[type=number]").all():
            field.fill(points)
        page.locator("form[id^=score-form] textarea").first.fill(f"Reviewer {points}: a sound plan.")
        if points == "4":
            shoot(page, screenshots, "3-review", "form[id^=score-form]")
        page.locator("button[id^=score-submit]").first.click()
        page.wait_for_selector(".scores li")
        context.close()

    context, page = sign_in(browser, live_server, secretariat.email)
    page.goto(live_server.url + f"/calls/{year}-1")
    page.click("#advance-call")  # close the review
    page.wait_for_selector("#adopt-form")
    with page.expect_download() as download:
        page.click("#scores-export")
    workbook = load_workbook(BytesIO(download.value.path().read_bytes()))
    rows = list(workbook["Scores"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in rows] == [int(application_id)] * len(reviewers)  # one row per reviewer
    page.locator("#adopt-form input[name=application]").first.check()
    page.fill(f"#adopt-grant_{application_id}", "12,000,000")
    page.fill("#adopt-decided_on", dt.date.today().isoformat())
    shoot(page, screenshots, "4-adoption", "#adopt-form")
    page.click("#adopt-submit")
    page.wait_for_selector("#publish-submit")
    assert project_title not in httpx.get(live_server.url + f"/projects?fiscal_year={year}&lang=en").text
    page.goto(application_url)
    assert "12,000,000" in page.locator("#grant").inner_text()
    page.goto(live_server.url + f"/calls/{year}-1")
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
    shoot(page, screenshots, "5-tracking", "#activities")
    project_url = page.url.split("?")[0]
    context.close()

    jcm_url = the_jcm_project_to_registration(
        browser, live_server, screenshots, tmp_path, project_url, proposer, secretariat, tpe, joint_committee
    )
    assert "Registration" in httpx.get(jcm_url + "?lang=en").text

    public = browser.new_context(locale="en-US")
    page = public.new_page()
    page.goto(live_server.url + f"/projects?fiscal_year={year}&lang=en")
    page.click(f"text={project_title}")
    page.wait_for_load_state()
    assert project_title in page.locator("h1").inner_text()
    public.close()
    assert application_url


def the_jcm_project_to_registration(  # type: ignore[no-untyped-def]
    browser, live_server, screenshots, tmp_path, project_url, proposer, secretariat, tpe, joint_committee
) -> str:
    """From the adopted project to a registered JCM project, each step by its own role; the JCM page's address."""
    context, page = sign_in(browser, live_server, proposer.email)
    page.goto(project_url + "?lang=en")
    page.click("#start-jcm-link")
    page.wait_for_selector("#jcm-form")
    assert page.input_value("#jcm-methodology_id") == "TH_AM001"  # from the application, not typed again
    assert page.input_value("#jcm-expected_reductions_tco2_per_year") == "600"
    assert page.input_value("#jcm-country_iso3") == "THA"
    page.fill("#jcm-tpe_slug", tpe.organization)
    page.fill("#jcm-initial_investment_jpy", "80,000,000")
    page.fill("#jcm-legal_durable_years", "17")
    page.click("#jcm-submit")
    page.wait_for_selector("#jcm-state")
    jcm_url = page.url.split("?")[0]
    slug = jcm_url.rsplit("/", 1)[-1]
    page.click("#subsidy-calculate")
    page.wait_for_selector("#subsidy-jpy")
    page.click("#subsidy-save")
    page.wait_for_selector("#saved-subsidy-jpy")
    move(page, "feasibility_study")
    attach(page, tmp_path, "model_project_application")
    move(page, "model_project_application")
    context.close()

    context, page = sign_in(browser, live_server, secretariat.email)
    page.goto(jcm_url + "?lang=en")
    attach(page, tmp_path, "grant_decision")
    move(page, "adopted")
    context.close()

    # the company's engineer on site is the project's participant (an account the administrator opens)
    participant = create_person(
        live_server_database(live_server), "project_participant", slug, organization=proposer.organization
    )
    context, page = sign_in(browser, live_server, participant.email)
    page.goto(jcm_url + "?lang=en")
    attach(page, tmp_path, "commissioning_report")
    move(page, "installed")
    attach(page, tmp_path, "pdd")
    move(page, "pdd")
    context.close()

    context, page = sign_in(browser, live_server, tpe.email)
    page.goto(live_server.url + "/account/tasks?lang=en")
    shoot(page, screenshots, "6-tasks-tpe")
    page.click(f"#tasks a[href='/jcm-projects/{slug}']")
    page.wait_for_selector("#jcm-state")
    attach(page, tmp_path, "validation_report")
    move(page, "validation")
    context.close()

    context, page = sign_in(browser, live_server, joint_committee.email)
    page.goto(live_server.url + "/account/tasks?lang=en")
    page.click(f"#tasks a[href='/jcm-projects/{slug}']")
    page.wait_for_selector("#jcm-state")
    move(page, "registration")
    shoot(page, screenshots, "7-jcm-registered", "#pipeline")
    context.close()
    return jcm_url


def attach(page, tmp_path, kind: str) -> None:  # type: ignore[no-untyped-def]
    """Attach a document of ``kind`` on the JCM project's page."""
    document = tmp_path / f"{kind}.pdf"
    document.write_bytes(PDF)
    page.select_option("#doc-kind", kind)
    page.set_input_files("#doc-file", str(document))
    page.click("form[action$='/documents'] button[type=submit]")
    page.wait_for_selector("#jcm-state")


def move(page, state: str) -> None:  # type: ignore[no-untyped-def]
    """Take the JCM project's next step ``state`` on its page."""
    page.select_option("#move-to_state", state)
    page.fill("#move-occurred_on", dt.date.today().isoformat())
    page.click("#move-submit")
    page.wait_for_selector("#jcm-state")
    assert page.locator("#move-form .error-summary").count() == 0, page.locator("main").inner_text()


def set_up_the_call(page, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The secretariat sets every term of the open call on its page and publishes the guidelines."""
    page.fill("#settings-title_ja", "ブラウザ公募")
    page.fill("#settings-max_budget_jpy_per_year", "20,000,000")
    page.select_option("#settings-target_countries", ["THA", "VNM", "MYS"])
    page.select_option("#settings-priority_countries", ["MYS"])
    page.check("#settings-target_fields input[value=energy-efficiency]")
    page.check("#settings-target_fields input[value=renewable-energy]")
    page.check("#settings-required_attachments input[value=application_form]")
    page.fill(
        "#settings-rubric",
        "effect | 脱炭素効果 | Decarbonization effect | 5 | 3\nplan | 計画の妥当性 | Soundness of the plan | 5 | 1",
    )
    page.click("#settings-submit")
    page.wait_for_load_state()
    assert page.locator("#settings-form .error-summary").count() == 0
    guidelines = tmp_path / "guidelines.pdf"
    guidelines.write_bytes(PDF)
    page.select_option("#document-kind", "guidelines")
    page.set_input_files("#document-file", str(guidelines))
    page.click("#document-submit")
    page.wait_for_selector("#call-documents li")


def live_server_database(live_server):  # type: ignore[no-untyped-def]
    return live_server.server.config.app.state.database
