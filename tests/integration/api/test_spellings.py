"""The brochure's own spellings are the names; the table's variants still find the record.

The brochure's participation table slips in a few names (バタヤ市 for パタヤ市, トゥエンホア区 where
the project pages write トゥアンホア区) and its proposer list spells 八千代エンジニアリング. A reader
may type either spelling: the search answers with the record under its main name, on each
backend, through the API and the page alike.
"""

from __future__ import annotations

import httpx
import pytest

from c3p.program.seed import read_seed

#: (list, query, the record it must find, that record's main name)
SPELLINGS = [
    ("/partner-places", "パタヤ", "pattaya", "パタヤ市"),
    ("/partner-places", "バタヤ", "pattaya", "パタヤ市"),
    ("/partner-places", "トゥアンホア", "hue-thuan-hoa", "フエ市トゥアンホア区"),
    ("/partner-places", "トゥエンホア", "hue-thuan-hoa", "フエ市トゥアンホア区"),
    ("/partner-places", "ラヨン市", "rayong-city", "ラヨーン市"),
    ("/partner-places", "テランガナ", "telangana", "テランガーナ州"),
    ("/organizations", "八千代エンジニアリング", "yachiyo-engineering", "八千代エンジニアリング株式会社"),
    ("/organizations", "八千代エンジニヤリング", "yachiyo-engineering", "八千代エンジニアリング株式会社"),
]


@pytest.mark.parametrize(("path", "query", "slug", "name"), SPELLINGS)
def test_either_spelling_finds_the_record(api: httpx.Client, path: str, query: str, slug: str, name: str) -> None:
    found = {item["slug"]: item for item in api.get(path, params={"q": query}).json()["items"]}
    assert slug in found
    assert found[slug]["name_ja"] == name


def test_a_spelling_no_source_uses_finds_nothing(api: httpx.Client) -> None:
    assert api.get("/partner-places", params={"q": "パタヤー"}).json()["items"] == []


def test_the_page_search_finds_the_table_spelling(api_server) -> None:  # type: ignore[no-untyped-def]
    page = httpx.get(api_server.url + "/partner-places", params={"q": "バタヤ", "lang": "ja"}, timeout=30)
    assert "/partner-places/pattaya" in page.text
    assert "パタヤ市" in page.text


def test_the_table_cells_keep_the_brochure_text() -> None:
    """The partnership row still reads as the table prints it; only the place's name is corrected."""
    rows = {item.record.slug: item.record for item in read_seed().partnerships}
    assert rows["osaka-pattaya-rayong"].partner_entry_ja == "バタヤ市・ラヨーン市"
    assert rows["shizuoka-hue-thuan-hoa"].partner_entry_ja == "フエ市トゥエンホア区"
