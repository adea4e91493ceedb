"""Signed-in pages speak Japanese too: each role's Japanese pages show English only in names and codes.

``test_public_text`` reads what an anonymous reader meets; here the same rule reads what each
role meets after signing in: the staff views of applications, the change history, the ledger
and the accounts. Words people typed (a proposal's title, an organization's or a person's name)
are names, marked ``translate="no"`` as on the public pages.

The crawl reads a few pages of each route; the program year of the site (``program_year``) gives
the pages with records their records, and those pages are read by every role whatever the
crawl sampled: a call in review with its scores, a tracked project, a JCM project and its
subsidy, the outcomes, and the subsidy calculator with each of its notes. A page a role may
not read is read too: its refusal speaks Japanese.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from tests.integration.web.test_public_text import japanese_page_english, site  # noqa: F401
from tests.integration.web.test_site_crawl import CrawlSite, crawl, visitor
from tests.support.accounts import ROLE_SCOPES
from tests.support.program_year import pages_with_records


@pytest.mark.parametrize("role", ROLE_SCOPES)
def test_signed_in_japanese_pages_show_english_only_in_names_and_codes(site: CrawlSite, role: str) -> None:  # noqa: F811
    found: dict[str, set[str]] = defaultdict(set)
    client = visitor(site, role, "ja")
    try:
        read = crawl(site, client).read + [site.server.url + path for path in pages_with_records(site.year)]
        for url in read:
            response = client.get(url, headers={"accept": "text/html"})
            if "text/html" not in response.headers.get("content-type", ""):
                continue
            for word in japanese_page_english(response.text):
                found[word].add(url.removeprefix(site.server.url))
    finally:
        client.close()
    assert len(read) >= 20
    assert not found, "\n".join(f"{word}: {sorted(urls)[:3]}" for word, urls in sorted(found.items()))
