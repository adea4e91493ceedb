"""The Article 6.2 annual report over real HTTP on both backends: the portal page in Japanese
and English, its JSON twin and workbook, submitting versions, the API routes, and who is refused."""

from __future__ import annotations

import datetime as dt

from tests.integration.web.conftest import CreditSite

YEAR = dt.datetime.now(dt.UTC).year
PAGE = f"/credits/article6/VNM/{YEAR}"
API = f"/api/v1/registry/article6/VNM/{YEAR}"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_the_administrator_reads_the_report_in_both_languages(credit_site: CreditSite) -> None:
    browser = credit_site.browsers["vn_admin"]
    english = browser.get(PAGE)
    assert english.status_code == 200, english.text[-2000:]
    assert 'id="first-transfers"' in english.text and 'id="check-mirror-JPN"' in english.text
    assert "JCM-JPN-VNM-VN007-001-" in english.text and "CA0000-JPN01-VNM-1-" in english.text
    japanese = credit_site.browsers["vn_admin"].get(PAGE, lang="ja")
    assert "パリ協定第6条2項の年次報告" in japanese.text and "初回移転" in japanese.text
    # no cooperative approach ID is on record for Viet Nam's partnership: a draft, said in both languages
    assert 'id="draft-notice"' in english.text and "stays a draft" in english.text
    assert 'id="draft-notice"' in japanese.text and "草案" in japanese.text
    twin = browser.get(PAGE, format="json").json()
    assert twin["country"] == "VNM" and all(check["passed"] for check in twin["checks"])
    assert twin["draft"] and twin["partners_without_approach_id"] == ["VNM"]
    first = [a for a in twin["actions"] if a["action_type"] == "First transfer"]
    assert sum(a["quantity_tco2e"] for a in first) == 700 + 300  # the fixture issues into two accounts of Japan
    workbook = browser.get(PAGE + ".xlsx")
    assert workbook.status_code == 200 and workbook.headers["content-type"] == XLSX


def test_submitting_from_the_page_keeps_versions(credit_site: CreditSite) -> None:
    browser = credit_site.browsers["vn_admin"]
    shown = browser.follow(browser.post(PAGE + "/submit"))
    assert 'id="version-1"' in shown.text and 'id="recorded"' in shown.text
    again = browser.follow(browser.post(PAGE + "/submit"))
    assert 'id="version-1"' in again.text and 'id="version-2"' not in again.text
    versions = browser.client.get(API + "/submissions").json()
    assert [v["version"] for v in versions] == [1] and versions[0]["consistent"]
    stored = browser.client.get(API + "/submissions/1").json()
    assert stored["intact"] and all(c["passed"] for c in stored["checks_now"])
    assert browser.client.get(API + "/submissions/1.xlsx").headers["content-type"] == XLSX


def test_the_api_routes(credit_site: CreditSite) -> None:
    browser = credit_site.browsers["jp_admin"]
    report = browser.client.get(f"/api/v1/registry/article6/JPN/{YEAR}")
    assert report.status_code == 200 and report.json()["country"] == "JPN"
    created = browser.client.post(
        f"/api/v1/registry/article6/JPN/{YEAR}/submissions", headers={"x-csrf-token": browser.csrf}
    )
    assert created.status_code == 201 and created.json()["version"] >= 1
    missing = browser.client.get(f"/api/v1/registry/article6/JPN/{YEAR}/submissions/99")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    bad = browser.client.get(f"/api/v1/registry/article6/JPN/{YEAR + 5}")
    assert bad.status_code == 422 and "year must be" in bad.json()["detail"]


def test_another_countrys_administrator_and_outsiders_are_refused(credit_site: CreditSite) -> None:
    before = credit_site.state()
    for name in ("jp_admin", "outsider", "holder"):
        browser = credit_site.browsers[name]
        assert browser.get(PAGE).status_code == 403, name
        assert browser.client.get(API).status_code == 403, name
        assert browser.post(PAGE + "/submit").status_code == 403, name
    public = credit_site.browsers["public"]
    assert public.get(PAGE).status_code in (401, 303)
    assert public.client.get(API).status_code == 401
    assert credit_site.state() == before


def test_the_administrator_finds_the_report_from_the_registry_pages(credit_site: CreditSite) -> None:
    choice = credit_site.browsers["vn_admin"].get("/credits/article6")
    assert 'id="credits-nav-article6"' in choice.text
    assert f'id="report-VNM-{YEAR}"' in choice.text and 'id="registry-JPN"' not in choice.text
    assert 'id="credits-nav-article6"' not in credit_site.browsers["holder"].get("/credits").text
    assert credit_site.browsers["outsider"].get("/credits/article6").status_code == 403
