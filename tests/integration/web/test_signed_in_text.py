"""Signed-in pages speak Japanese too: each role's Japanese pages show English only in names and codes.

``test_public_text`` reads what an anonymous reader meets; here the same rule reads what each
role meets after signing in: the staff views of applications, the change history, the ledger
and the accounts. Words people typed (a proposal's title, an organization's or a person's name)
are names, marked ``translate="no"`` as on the public pages.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from tests.integration.web.test_public_text import japanese_page_english, site  # noqa: F401
from tests.integration.web.test_site_crawl import CrawlSite, crawl, visitor
from tests.support.accounts import ROLE_SCOPES


@pytest.mark.parametrize("role", ROLE_SCOPES)
def test_signed_in_japanese_pages_show_english_only_in_names_and_codes(site: CrawlSite, role: str) -> None:  # noqa: F811
    found: dict[str, set[str]] = defaultdict(set)
    client = visitor(site, role, "ja")
    try:
        read = crawl(site, client).read
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
