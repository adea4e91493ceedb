"""The brochure's account of the program is in the portal, in Japanese and in English.

Its overview, who may apply, target countries and fields, the merits of taking part, the JCM,
its Model Projects, C2P2, examples and the contact are each a section of the program page in
both languages. The Japanese text is the brochure's own (checked against the brochure where it
sits beside the checkout), the English page says every point in English, and a section given
in one language only is refused when the file is read.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import httpx
import pytest

from c3p.program.overview import OVERVIEW_FILE, parse_overview, program_overview

SECTIONS = (
    "overview",
    "eligibility",
    "merits-local-governments",
    "merits-companies",
    "merits-partner-cities",
    "jcm",
    "model-projects",
    "c2p2",
    "examples",
    "contact",
)
#: sections whose Japanese is the brochure's text word for word (the others summarize, and say so)
VERBATIM = ("overview", "eligibility", "merits-local-governments", "merits-companies", "jcm", "model-projects", "c2p2")
BROCHURE = Path(__file__).resolve().parents[3].parent / "shared" / "seeds" / "000_6a3690ab6057efaa.txt"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def section_html(html: str, slug: str) -> str:
    found = re.search(rf'<section class="program-section" id="{slug}".*?</section>', html, re.S)
    assert found, slug
    return found.group(0)


def visible(html: str) -> str:
    text = re.sub(r"<[^>]+>", " ", re.sub(r"(?s)<details.*?</details>", " ", html))
    return re.sub(r"\s+", "", unescape(text))


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_brochure_section_is_on_the_program_page(api_server, language: str) -> None:  # type: ignore[no-untyped-def]
    html = httpx.get(api_server.url + "/about", params={"lang": language}, timeout=30).text
    for section in program_overview():
        text = visible(section_html(html, section.slug))
        assert re.sub(r"\s", "", getattr(section, f"heading_{language}")) in text
        for point in getattr(section, f"paragraphs_{language}") + getattr(section, f"items_{language}"):
            assert re.sub(r"\s", "", point) in text, (section.slug, point[:40])
    assert {s.slug for s in program_overview()} >= set(SECTIONS)


def test_the_english_sections_are_in_english(api_server) -> None:  # type: ignore[no-untyped-def]
    html = httpx.get(api_server.url + "/about", params={"lang": "en"}, timeout=30).text
    for slug in SECTIONS:
        assert not JAPANESE.search(visible(section_html(html, slug))), slug


def test_the_japanese_text_is_the_brochures() -> None:
    if not BROCHURE.exists():
        pytest.skip("the seed brochure is not beside the checkout")
    brochure = re.sub(r"\s|\^\{\*\}", "", BROCHURE.read_text(encoding="utf-8"))  # ^{*}: a footnote mark
    for section in program_overview():
        if section.slug not in VERBATIM:
            continue
        for point in section.paragraphs_ja + section.items_ja:
            body = re.sub(r"\s", "", point.split("：", 1)[-1] if section.slug in ("eligibility",) else point)
            assert body in brochure, (section.slug, point[:40])


def test_a_section_in_one_language_only_is_refused() -> None:
    text = OVERVIEW_FILE.read_text(encoding="utf-8")
    broken = text.replace("    - 新しい営業チャンネルを獲得できる。\n", "", 1)
    with pytest.raises(ValueError, match="merits-companies"):
        parse_overview(broken)
    with pytest.raises(ValueError, match="non-empty list"):
        parse_overview("")
