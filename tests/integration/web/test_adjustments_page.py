"""The registry administrators' page of corresponding adjustments, over real HTTP on both backends.

The site's issuance put 1,000 authorized credits of Viet Nam into Japan's registry this year
(700 + 300: a first transfer) and 200 into Viet Nam's own (no transfer).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.integration.web.conftest import CreditSite
from tests.integration.web.test_chain_pages import problem_of

THIS_YEAR = dt.datetime.now(dt.UTC).year


def row(html: str, year: int) -> str:
    found = re.search(rf'<tr id="adjustment-{year}">(.*?)</tr>', html, re.S)
    assert found, html
    return found.group(1)


def test_an_administrator_sees_the_adjustments_of_the_registry_it_administers(credit_site: CreditSite) -> None:
    page = credit_site.browsers["vn_admin"].get("/credits/adjustments")
    assert page.status_code == 200
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row(page.text, THIS_YEAR))
    assert cells == ["1,000", "0", "+1,000", "+1,000", "0"]  # first transferred, used, due, recorded, difference
    assert 'class="badge">assumed' in page.text  # Viet Nam's method is not from a published source
    assert '<option value="VNM" selected>' in page.text and '<option value="JPN"' not in page.text
    japanese = credit_site.browsers["vn_admin"].get("/credits/adjustments", lang="ja").text
    assert '<h1 id="page-heading">相当調整</h1>' in japanese and "必要な相当調整" in japanese
    twin = credit_site.browsers["vn_admin"].get("/credits/adjustments", format="json").json()
    assert twin["country"] == "VNM" and any(r["due_credits"] == 1000 for r in twin["rows"])


@pytest.mark.parametrize(
    ("person", "query", "status", "message"),
    [
        ("jp_admin", {"country": "VNM"}, 403, "does not cover country Viet Nam"),
        ("vn_admin", {"country": "VNM", "year": "2019"}, 422, "2019 is outside the NDC periods of VNM"),
        ("vn_admin", {"year": "20x6"}, 422, "four digits"),
    ],
)
def test_a_refused_question_comes_back_on_the_page(
    credit_site: CreditSite, person: str, query: dict[str, str], status: int, message: str
) -> None:
    page = credit_site.browsers[person].get("/credits/adjustments", **query)
    assert page.status_code == status
    assert message in page.text and 'id="adjustments-form"' in page.text and 'id="adjustment-gap"' not in page.text


def test_people_who_administer_no_registry_are_refused(credit_site: CreditSite) -> None:
    assert credit_site.browsers["member"].get("/credits/adjustments").status_code == 403
    assert credit_site.browsers["public"].get("/credits/adjustments").status_code != 200
    accounts = credit_site.browsers["jp_admin"].get("/credits/accounts").text
    assert 'id="adjustments-link"' in accounts


def test_a_refusal_on_the_form_names_the_country_in_the_readers_language(credit_site: CreditSite) -> None:
    """The form says which grant does not cover what by names, as the 403 page does (issue 15)."""
    for language, held, asked in (("ja", "日本", "ベトナム"), ("en", "Japan", "Viet Nam")):
        page = credit_site.browsers["jp_admin"].get("/credits/adjustments", country="VNM", lang=language)
        problem = problem_of(page.text, "adjustments")
        assert page.status_code == 403 and held in problem and asked in problem, language
        assert "country VNM" not in problem and "JPN" not in problem, problem
