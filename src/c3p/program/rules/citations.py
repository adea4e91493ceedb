"""Sources as a reader can check them: the curators' source notes turned into public citations.

Every record's ``source`` is written for the people who keep the data: it names brochure
sections, the gazetteer files it was copied from and the fact sheet's sections. A reader needs
the document and the place in it, or the official page, never the working files. This module
reads a source note and keeps what a reader can check: the brochure with its section and
rows, official pages by their publisher, and GeoNames entries for coordinates. Working files
(``reference/…``, ``….csv``, the fact sheet) are dropped; their own citations are kept.

>>> [c.title_en for c in citations("brochure BOX 1 (JCM partner list); reference/jcm-facts.md §6 row 1")]
['City-to-City Collaboration Program for Zero-Carbon Society, FY2025 brochure (Ministry of the Environment, Japan)']
>>> citations("brochure BOX 1")[0].part_ja
'BOX 1'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

BROCHURE_TITLE_JA = "「脱炭素社会実現のための都市間連携事業 2025年度」（環境省）"
BROCHURE_TITLE_EN = (
    "City-to-City Collaboration Program for Zero-Carbon Society, FY2025 brochure (Ministry of the Environment, Japan)"
)
BROCHURE_URL = "https://www.env.go.jp/earth/coop/lowcarbon-asia/"

#: The brochure's sections, as it titles them, and their English names.
SECTIONS = {
    "2013–2025年度 都市間連携事業の参画都市": "the table of participating cities, FY2013–2025",
    "2025年度 都市間連携事業の採択案件一覧": "the list of adopted projects, FY2025",
    "関連ウェブサイト": "related websites",
    "地域脱炭素の取組や政策を世界に発信": "the events page",
    "これまでに世界14カ国から67都市・地域、日本から25の自治体が参画しています。": "the table page's summary",
}

#: Publishers of the official and reference pages the data cites, by web address.
PUBLISHERS = {
    "env.go.jp": ("環境省", "Ministry of the Environment, Japan"),
    "carbon-markets.go.jp": (
        "環境省 市場メカニズム情報プラットフォーム",
        "Ministry of the Environment, Japan: carbon markets",
    ),
    "mofa.go.jp": ("外務省", "Ministry of Foreign Affairs of Japan"),
    "meti.go.jp": ("経済産業省", "Ministry of Economy, Trade and Industry"),
    "gec.jp": ("公益財団法人地球環境センター（GEC）", "Global Environment Centre Foundation (GEC)"),
    "worldjpn.net": (
        "データベース「世界と日本」（政策研究大学院大学・東京大学、外務省資料）",
        '"The World and Japan" database (GRIPS and the University of Tokyo, from MOFA)',
    ),
    "jcm.go.jp": (
        "二国間クレジット制度（JCM）ウェブサイト（日本国政府）",
        "Joint Crediting Mechanism website (Government of Japan)",
    ),
    "et.emb-japan.go.jp": ("在エチオピア日本国大使館", "Embassy of Japan in Ethiopia"),
    "tenbou.nies.go.jp": ("国立環境研究所 環境展望台", "National Institute for Environmental Studies: Kankyo Tenbodai"),
    "ieei.or.jp": ("国際環境経済研究所", "International Environment and Economy Institute"),
    "japaninspection.org": ("ジャパン・インスペクション（報道）", "Japan Inspection (news report)"),
    "jprsi.go.jp": ("環境インフラ海外展開プラットフォーム", "Japan Platform for Redesign: Sustainable Infrastructure"),
}
GEONAMES = ("GeoNames（地名データベース、CC BY 4.0）", "GeoNames gazetteer (CC BY 4.0)")
COMPUTED = ("このサイトの登録データから集計", "Computed from this site's records")

URL = re.compile(r"https?://[^\s;,()]+[^\s;,().]")
QUOTED = re.compile(r"「([^」]+)」")
ROWS = re.compile(r"\brows? ((?:\d+(?:, | and )?)+)")
BOX = re.compile(r"\bBOX (\d)")
PROJECTS = re.compile(r"\b(?:project pages?|projects?|no\.) ((?:\d{2}(?:, | and )?)+)")
GEONAME_ID = re.compile(r"geonameids? ((?:\d+(?:, )?)+)")
BROCHURE_WORDS = ("brochure", "BOX", "table", "project page", "overview", "FY2025 project", "「")
WORKING_FILES = re.compile(
    r"reference/|\.csv\b|\.md\b|\.ya?ml\b|GLOSSARY|of this dataset|^basis:|^the organisation itself"
)


@dataclass(frozen=True)
class Citation:
    """One document or page a reader can look up, and where in it (both languages)."""

    title_ja: str
    title_en: str
    part_ja: str = ""
    part_en: str = ""
    url: str = ""


def citations(source: str, coord_source: str = "") -> tuple[Citation, ...]:
    """The public citations of a record's source note (and of its coordinates' source)."""
    found: list[Citation] = []
    brochure_ja: list[str] = []
    brochure_en: list[str] = []
    for segment in _segments(source):
        found.extend(_pages(segment))
        if segment.startswith("computed from"):
            found.append(Citation(*COMPUTED))
        elif not WORKING_FILES.search(segment) and any(word in segment for word in BROCHURE_WORDS):
            part_ja, part_en = brochure_part(segment)
            brochure_ja += [part_ja] if part_ja and part_ja not in brochure_ja else []
            brochure_en += [part_en] if part_en and part_en not in brochure_en else []
    if brochure_ja or any(word in source for word in ("brochure", "BOX")):
        found.insert(
            0,
            Citation(
                BROCHURE_TITLE_JA, BROCHURE_TITLE_EN, "、".join(brochure_ja), "; ".join(brochure_en), BROCHURE_URL
            ),
        )
    found.extend(_geonames(coord_source))
    return tuple(dict.fromkeys(found))


def brochure_part(segment: str) -> tuple[str, str]:
    """Where in the brochure a source note points: section, rows, BOX or project pages."""
    parts_ja: list[str] = []
    parts_en: list[str] = []
    for title in QUOTED.findall(segment):
        if title in SECTIONS:
            parts_ja.append(f"「{title}」")
            parts_en.append(SECTIONS[title])
    if rows := ROWS.search(segment):
        numbers = _numbers(rows.group(1))
        parts_ja.append(f"{'・'.join(numbers)}行目")
        parts_en.append(f"row{'s' if len(numbers) > 1 else ''} {', '.join(numbers)}")
    if box := BOX.search(segment):
        parts_ja.append(f"BOX {box.group(1)}")
        parts_en.append(f"BOX {box.group(1)}")
    if projects := PROJECTS.search(segment):
        numbers = _numbers(projects.group(1))
        parts_ja.append(f"採択案件 {'・'.join(numbers)} のページ")
        parts_en.append(
            f"page{'s' if len(numbers) > 1 else ''} of project{'s' if len(numbers) > 1 else ''} {', '.join(numbers)}"
        )
    if "overview" in segment:
        parts_ja.append("「都市間連携事業の概要」")
        parts_en.append("the program overview")
    return " ".join(parts_ja), ", ".join(parts_en)


def _segments(source: str) -> list[str]:
    return [part.strip() for part in re.split(r";\s+", source or "") if part.strip()]


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+", text)


def _pages(segment: str) -> list[Citation]:
    pages = []
    for url in URL.findall(segment):
        host = urlsplit(url).hostname or ""
        publisher = next(
            (names for domain, names in PUBLISHERS.items() if host == domain or host.endswith("." + domain)), None
        )
        if publisher is not None:
            pages.append(
                Citation(
                    publisher[0],
                    publisher[1],
                    url=url.replace("http://", "https://", 1) if host.endswith("go.jp") else url,
                )
            )
    return pages


def _geonames(coord_source: str) -> list[Citation]:
    ids = GEONAME_ID.search(coord_source or "")
    if ids is None:
        return []
    return [Citation(*GEONAMES, url=f"https://www.geonames.org/{number}") for number in _numbers(ids.group(1))]
