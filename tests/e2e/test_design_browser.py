"""The portal as people meet it in Chromium: axe-core finds no serious barrier on any kind of page,
a keyboard alone signs in, fills a form and reaches the map's text alternative, no page scrolls
sideways on a phone, and the screenshots in docs/screenshots/ are taken from the real pages
(by ``scripts/screenshots``; a normal run writes them to a temporary folder)."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.test_site_browser import pages_by_visitor
from tests.integration.web.test_site_crawl import VISITORS, CrawlSite, running_site
from tests.support.accounts import PASSWORD, sign_in_browser

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
#: the pages shown in the docs: (file name, path)
MAIN_PAGES = [
    ("home", "/"),
    ("map", "/map"),
    ("partnerships", "/partnerships"),
    ("projects", "/projects"),
    ("stats", "/stats"),
    ("credits", "/credits"),
]
BLOCKING = ("serious", "critical")
#: tables that would need a sideways scroll of their own (a phone shows them as cards instead)
SCROLLING_TABLES = """[...document.querySelectorAll('.table-wrap, table')]
  .filter(box => box.scrollWidth > box.clientWidth + 1)
  .map(box => (box.querySelector('table') || box).id
    || (box.querySelector('caption') || box).textContent.slice(0, 40))"""


@pytest.fixture(scope="module")
def site(new_database_url, tmp_path_factory) -> Iterator[CrawlSite]:  # type: ignore[no-untyped-def]
    with running_site(new_database_url("sqlite"), tmp_path_factory.mktemp("design")) as running:
        yield running


@pytest.fixture(scope="module")
def pages_of(site: CrawlSite) -> dict[str, list[str]]:
    """One page of every route: the public's and the administrator's (who sees the staff pages), and
    for each other role the pages only it reaches."""
    return pages_by_visitor(site)


def pages_for(pages_of: dict[str, list[str]], who: str) -> list[str]:
    if who not in pages_of:
        pytest.skip(f"{who} reaches no page the others do not")
    return portal_pages(pages_of[who])


@contextmanager
def opened(browser, site: CrawlSite, who: str, language: str, viewport: dict[str, int]) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """A browser page of ``who`` reading in ``language`` on a screen of ``viewport``, at home."""
    context = browser.new_context(locale="ja-JP" if language == "ja" else "en-US", viewport=viewport)
    page = context.new_page()
    try:
        if who != "public":
            sign_in_browser(page, site.server.url, site.emails[who])
        page.goto(f"{site.server.url}/?lang={language}")
        yield page
    finally:
        context.close()


def portal_pages(paths: list[str]) -> list[str]:
    """The portal's own pages (the API reference is Swagger UI's page, not ours)."""
    return [path for path in paths if path != "/docs"]


def wait_for_map(page) -> None:  # type: ignore[no-untyped-def]
    if page.locator("#map[data-geojson]").count():
        page.wait_for_selector("#map[data-loaded='true']", timeout=20_000)


@pytest.mark.parametrize("who", VISITORS)
@pytest.mark.parametrize("language", ["ja", "en"])
def test_axe_finds_no_serious_violation_on_any_kind_of_page(  # type: ignore[no-untyped-def]
    site: CrawlSite, pages_of: dict[str, list[str]], browser, who: str, language: str
) -> None:
    axe = Axe()
    found: list[str] = []
    with opened(browser, site, who, language, DESKTOP) as page:
        for path in pages_for(pages_of, who):
            page.goto(site.server.url + path, wait_until="load")
            wait_for_map(page)
            results = axe.run(page)
            for violation in results.response["violations"]:
                if violation["impact"] in BLOCKING:
                    targets = [node["target"] for node in violation["nodes"][:3]]
                    found.append(f"{path}: {violation['id']} ({violation['impact']}) {targets}")
    assert found == []
    assert len(pages_of[who]) >= 15 or who not in ("public", "administrator")


@pytest.mark.parametrize("who", VISITORS)
@pytest.mark.parametrize("language", ["ja", "en"])
def test_no_page_scrolls_sideways_on_a_phone(  # type: ignore[no-untyped-def]
    site: CrawlSite, pages_of: dict[str, list[str]], browser, who: str, language: str
) -> None:
    too_wide: list[str] = []
    with opened(browser, site, who, language, PHONE) as page:
        for path in pages_for(pages_of, who):
            page.goto(site.server.url + path, wait_until="load")
            wait_for_map(page)
            width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if width > viewport:
                too_wide.append(f"{path}: {width} px in {viewport} px")
            too_wide += [f"{path}: a table scrolls sideways: {t}" for t in page.evaluate(SCROLLING_TABLES)]
    assert too_wide == []


def test_a_list_table_becomes_labelled_cards_on_a_phone(site: CrawlSite, browser) -> None:  # type: ignore[no-untyped-def]
    with opened(browser, site, "public", "ja", PHONE) as page:
        page.goto(site.server.url + "/partnerships")
        first_row = page.locator("#results tbody tr").first
        cells = first_row.locator("td")
        assert cells.first.get_attribute("data-label") == "行"
        assert (
            not page.locator("#results thead").is_visible()
            or page.locator("#results thead").bounding_box()["height"] <= 1
        )
        # the cells stack: each starts at the row's left edge, one under the other
        boxes = [cells.nth(i).bounding_box() for i in range(3)]
        assert boxes[0]["x"] == boxes[1]["x"] == boxes[2]["x"]
        assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"]
        label = page.evaluate("el => getComputedStyle(el, '::before').content", cells.nth(1).element_handle())
        assert label == '"国"'


def tab_until(page, selector: str, limit: int = 120) -> int:  # type: ignore[no-untyped-def]
    """Press Tab until ``selector`` has the focus; how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return presses
    raise AssertionError(f"{selector} never received the keyboard focus in {limit} presses of Tab")


def test_signing_in_with_the_keyboard_alone(site: CrawlSite, browser) -> None:  # type: ignore[no-untyped-def]
    with opened(browser, site, "public", "en", DESKTOP) as page:
        page.goto(site.server.url + "/sign-in")
        tab_until(page, "input[name=email]")
        page.keyboard.type(site.emails["secretariat"])
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.name") == "password"
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        assert page.locator("#user-menu-account").inner_text() == site.emails["secretariat"]
        assert page.locator("html").get_attribute("lang") == "en"


def test_the_first_tab_offers_the_skip_link_and_the_menu_opens_by_keyboard(site: CrawlSite, browser) -> None:  # type: ignore[no-untyped-def]
    with opened(browser, site, "public", "ja", DESKTOP) as page:
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        tab_until(page, "#nav-partnerships")  # a section's pages open as the focus enters them
        box = page.locator("#nav-partnerships").bounding_box()
        on_top = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y).closest('a') === document.activeElement",
            [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
        )
        assert on_top
        page.keyboard.press("Enter")
        page.wait_for_url("**/partnerships")


def test_the_phone_menu_opens_without_script(site: CrawlSite, browser) -> None:  # type: ignore[no-untyped-def]
    with opened(browser, site, "public", "ja", PHONE) as page:
        assert not page.locator("nav.site-nav").is_visible()
        tab_until(page, "#nav-toggle")
        page.keyboard.press("Space")
        assert page.locator("nav.site-nav").is_visible()
        tab_until(page, "#nav-projects")
        page.keyboard.press("Enter")
        page.wait_for_url("**/projects")


def test_filtering_a_list_with_the_keyboard_alone(site: CrawlSite, browser) -> None:  # type: ignore[no-untyped-def]
    with opened(browser, site, "public", "en", DESKTOP) as page:
        page.goto(site.server.url + "/projects")
        tab_until(page, "#filter-q")
        page.keyboard.type("Viet")
        tab_until(page, "#filter-submit")
        page.keyboard.press("Enter")
        page.wait_for_url("**/projects?*q=Viet*")
        assert page.locator("#result-count").is_visible()


def test_the_map_text_alternative_is_reached_by_keyboard(site: CrawlSite, browser) -> None:  # type: ignore[no-untyped-def]
    with opened(browser, site, "public", "ja", DESKTOP) as page:
        page.goto(site.server.url + "/map")
        wait_for_map(page)
        tab_until(page, ".map-alt a")
        page.keyboard.press("Enter")
        page.wait_for_url("**/partnerships")
        assert page.locator("#results tbody tr").count() > 0


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", header[16:24])


@pytest.mark.parametrize(("device", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_of_the_main_pages(
    site: CrawlSite, browser, device: str, viewport: dict[str, int], screenshots: Path
) -> None:  # type: ignore[no-untyped-def]
    """<page>-<device>-<language>.png, the first screen of each main page (docs/screenshots/ by scripts/screenshots)."""
    for language in ("ja", "en"):
        with opened(browser, site, "public", language, viewport) as page:
            for name, path in MAIN_PAGES:
                page.goto(site.server.url + path, wait_until="load")
                wait_for_map(page)
                target = screenshots / f"{name}-{device}-{language}.png"
                page.screenshot(path=str(target))
                assert png_size(target) == (viewport["width"], viewport["height"])
                assert target.stat().st_size < 1_500_000, target
