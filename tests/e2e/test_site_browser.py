"""Nothing broken in a browser: one page of every route the crawl reaches, in both languages, as
the public, as an administrator and as each other role for the pages only it reaches, loads in
Chromium without a console error or a script error."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.integration.web.test_page_contexts import NOT_PAGES
from tests.integration.web.test_site_crawl import (
    VISITORS,
    CrawlSite,
    crawl,
    route_of,
    route_patterns,
    running_site,
    visitor,
)
from tests.support.accounts import sign_in_browser

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(new_database_url, tmp_path_factory) -> Iterator[CrawlSite]:  # type: ignore[no-untyped-def]
    with running_site(new_database_url("sqlite"), tmp_path_factory.mktemp("browse")) as running:
        yield running


def one_page_per_route(site: CrawlSite, who: str) -> list[str]:
    """The pages the HTTP crawl reads for ``who``, one per route pattern (pages, not JSON or downloads)."""
    client = visitor(site, who, "en")
    try:
        read = crawl(site, client).read
    finally:
        client.close()
    patterns = route_patterns(site.app)
    chosen: dict[str, str] = {}
    for url in read:
        route = route_of(patterns, urlsplit(url).path) or url
        if not route.startswith("/api/") and "format=" not in url and route not in NOT_PAGES:
            chosen.setdefault(route, urlsplit(url).path + (f"?{urlsplit(url).query}" if urlsplit(url).query else ""))
    return sorted(chosen.values())


def pages_by_visitor(site: CrawlSite) -> dict[str, list[str]]:
    """Every route the crawl reaches, once: the public's and the administrator's pages, then for each
    other role the pages only it reaches (a credit account's statement, the registry's pending list)."""
    found: dict[str, list[str]] = {}
    covered: set[str] = set()
    patterns = route_patterns(site.app)
    for who in VISITORS:
        pages = one_page_per_route(site, who)
        routes = {page: route_of(patterns, urlsplit(page).path) or page for page in pages}
        chosen = pages if who in ("public", "administrator") else [p for p in pages if routes[p] not in covered]
        covered |= set(routes.values())
        if chosen:
            found[who] = chosen
    return found


@pytest.fixture(scope="module")
def pages_of(site: CrawlSite) -> dict[str, list[str]]:
    return pages_by_visitor(site)


@pytest.mark.parametrize("who", VISITORS)
@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_kind_of_page_loads_without_a_console_error(  # type: ignore[no-untyped-def]
    site: CrawlSite, pages_of: dict[str, list[str]], browser, who: str, language: str
) -> None:
    if who not in pages_of:
        pytest.skip(f"{who} reaches no page the others do not")
    paths = pages_of[who]
    context = browser.new_context(locale="ja-JP" if language == "ja" else "en-US")
    page = context.new_page()
    errors: list[str] = []
    current = {"path": ""}
    page.on("console", lambda m: errors.append(f"{current['path']}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{current['path']}: {e}"))
    try:
        if who != "public":
            sign_in_browser(page, site.server.url, site.emails[who])
        page.goto(f"{site.server.url}/?lang={language}")
        for path in paths:
            current["path"] = path
            response = page.goto(site.server.url + path, wait_until="load")
            assert response is not None and response.status < 400, path
            if path != "/docs":  # the API reference is Swagger UI's own page, in English
                assert page.locator("html").get_attribute("lang") == language, path
    finally:
        context.close()
    assert errors == []
    assert len(paths) >= 15 or who not in ("public", "administrator")
