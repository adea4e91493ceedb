"""Article 6.2 labels on the public pages, over real HTTP on each backend and in both languages.

Viet Nam issues 100 credits and authorizes only the first 40 of them for use towards NDCs; 20
credits straddling that bound go to Japan's registry (the authorized half is first transferred
there) and are retired. The issuances list says "authorized in part" with the record's terms in
words, the retirement and the credits' history carry the labels, and the open-data dump, the
pages' JSON twins and the HTML all tell the same counts, which the tests derive from the
seeded ranges and the database, never from fixed totals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from c3p.credits import service
from c3p.credits.rules.serials import DEFAULT_FORMAT
from c3p.credits.tables import CorrespondingAdjustment
from tests.integration.web.conftest import CreditSite
from tests.integration.web.test_public_text import english_words
from tests.support.credits import OPERATOR, create_issuance

REF = "JC-VN-LABELS"
ISSUED = 100
#: the authorized range and the moved range, as offsets into the issued serials
AUTHORIZED = (0, 39)
MOVED = (30, 49)
DECISION = "VNM-2026-LB"


@dataclass(frozen=True)
class Seeded:
    site: CreditSite
    issuance_id: int
    first: int  # the first issued unit number
    serial: str  # the whole issuance's serial range
    retirement_seq: int

    def units(self, offsets: tuple[int, int]) -> tuple[int, int]:
        return self.first + offsets[0], self.first + offsets[1]


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]) + 1)


def _block(view_serial: str, start: int, end: int) -> str:
    parsed = DEFAULT_FORMAT.parse(view_serial)
    return DEFAULT_FORMAT.block(parsed.registry, parsed.host, parsed.project, parsed.period, start, end)


@pytest.fixture(scope="module")
def seeded(credit_site: CreditSite) -> Seeded:
    registry = credit_site.registry
    issued = create_issuance(registry, {registry.vn_pp: ISSUED}, ref=REF, authorized=False, model_project=False)
    serial = issued.serials[0]
    first = DEFAULT_FORMAT.parse(serial).start
    low, high = first + AUTHORIZED[0], first + AUTHORIZED[1]
    with credit_site.database.unit_of_work() as session:
        service.authorize_range(
            session, OPERATOR, REF, f"{low}-{high}", ["ndc"], ["acme-jp"], DECISION, "2026-01-15", registry="VNM"
        )
    moved = _block(serial, first + MOVED[0], first + MOVED[1])
    with credit_site.database.unit_of_work() as session:
        key = service.transfer(session, OPERATOR, registry.vn_pp, registry.jp_pp, serial=moved).key
    with credit_site.database.unit_of_work() as session:
        service.resolve_pending(session, OPERATOR, key, True)
    with credit_site.database.unit_of_work() as session:
        retired = service.retire(session, OPERATOR, registry.jp_pp, "NDC", "Labels Co.", serial=moved)
    return Seeded(credit_site, issued.id, first, serial, retired.seq)


def _public(seeded: Seeded, lang: str) -> httpx.Client:
    return httpx.Client(base_url=seeded.site.server.url, timeout=30, params={"lang": lang})


def _json(client: httpx.Client, path: str, **params: str) -> Any:
    answer = client.get(path, params={**params, "format": "json"}, headers={"accept": "application/json"})
    assert answer.status_code == 200, answer.text[:500]
    return answer.json()


def _page_and_twin(seeded: Seeded, lang: str, path: str) -> tuple[httpx.Response, Any]:
    """A public page in ``lang`` and its JSON twin."""
    with _public(seeded, lang) as client:
        page = client.get(path, headers={"accept": "text/html"})
        assert page.status_code == 200
        return page, _json(client, path)


def _row(html: str, row_id: str) -> str:
    found = re.search(rf'<tr id="{row_id}">(.*?)</tr>', html, re.S)
    assert found, row_id
    return found.group(1)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _labels_read_as(lang: str, html: str) -> None:
    """A Japanese page says its labels and their explanation in Japanese (codes and acronyms aside)."""
    if lang == "ja":
        help_text = re.search(r'<details class="a6-help".*?</details>', html, re.S)
        assert help_text
        labels = re.findall(r'<(?:td|li)[^>]* class="a6-[^"]*"[^>]*>(.*?)</(?:td|li)>', html, re.S)
        assert labels
        assert english_words(_text(help_text.group(0) + " ".join(labels))) == set()


WORDS = {
    "en": {
        "partial": "Authorized in part: {a} of {n} credits",
        "ndc": "towards nationally determined contributions (NDC) only",
        "definition": "first transferred when they first leave the host country's registry for another country's",
        "authorized": "Article 6.2 authorized: {a} of {n} credits",
        "first": "First transferred: {f}",
        "adjusted": "Correspondingly adjusted: {c}",
        "help": "What do these labels mean?",
        "badge": "Correspondingly adjusted",
    },
    "ja": {
        "partial": "一部承認：{n} クレジットのうち {a} クレジット",
        "ndc": "国別削減目標（NDC）への使用のみのため",
        "definition": "ホスト国の登録簿から他国の登録簿へ初めて移るときに初回移転となります",
        "authorized": "6条2項承認済み：{n} クレジットのうち {a} クレジット",
        "first": "初回移転済み：{f}",
        "adjusted": "相当調整済み：{c}",
        "help": "これらのラベルの意味",
        "badge": "相当調整済み",
    },
}


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_issuance_says_how_much_is_authorized_and_on_what_terms(seeded: Seeded, lang: str) -> None:
    words = WORDS[lang]
    page, data = _page_and_twin(seeded, lang, "/credits/issuances")
    mine = next(i for i in data["items"] if i["notification_ref"] == REF)
    authorized = sum(r["credits"] for r in mine["authorizations"])
    assert authorized == AUTHORIZED[1] - AUTHORIZED[0] + 1
    assert (mine["authorized_credits"], mine["authorization_scope"]) == (authorized, "partial")
    cell = _text(_row(page.text, f"issuance-{seeded.issuance_id}"))
    assert words["partial"].format(a=authorized, n=mine["credits"]) in cell
    assert words["ndc"] in cell and words["definition"] in cell
    assert DECISION in cell and "2026-01-15" in cell
    assert "first_international_transfer" not in page.text and "use_or_cancellation" not in page.text
    assert words["help"] in page.text
    _labels_read_as(lang, page.text)
    others = [i for i in data["items"] if i["notification_ref"] != REF]
    assert all(i["authorization_scope"] == "full" for i in others)  # the site's first issuance: authorized whole


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_retirement_carries_its_labels(seeded: Seeded, lang: str) -> None:
    words = WORDS[lang]
    page, data = _page_and_twin(seeded, lang, "/credits/retirements")
    mine = next(r for r in data["items"] if r["seq"] == seeded.retirement_seq)
    expected = _overlap(AUTHORIZED, MOVED)  # authorized, and first transferred when they reached Japan
    assert (mine["authorized_credits"], mine["first_transferred_credits"]) == (expected, expected)
    assert mine["adjusted_credits"] == expected and mine["purposes"] == ["ndc"]
    assert mine["credits"] == MOVED[1] - MOVED[0] + 1
    cell = _text(_row(page.text, f"retirement-{seeded.retirement_seq}"))
    assert words["authorized"].format(a=expected, n=mine["credits"]) in cell
    assert words["first"].format(f=expected) in cell and words["adjusted"].format(c=expected) in cell
    assert words["help"] in page.text
    _labels_read_as(lang, page.text)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_history_labels_each_range_as_the_authorization_and_first_transfer_left_it(
    seeded: Seeded, lang: str
) -> None:
    with _public(seeded, lang) as client:
        page = client.get("/credits/history", params={"serial": seeded.serial}, headers={"accept": "text/html"})
        data = _json(client, "/credits/history", serial=seeded.serial)  # the page's twin is the history itself
    nodes = data["nodes"]
    parents = {n["parent"] for n in nodes}
    leaves = [n for n in nodes if n["id"] not in parents]
    assert sum(n["credits"] for n in leaves) == data["issued_credits"] == ISSUED
    authorized = seeded.units(AUTHORIZED)
    for leaf in leaves:
        inside = _overlap((leaf["start"], leaf["end"]), authorized)
        assert inside in (0, leaf["credits"]), leaf  # the record's bounds cut the ranges
        assert leaf["authorized"] is bool(inside) and leaf["purposes"] == (["ndc"] if inside else [])
        moved = _overlap((leaf["start"], leaf["end"]), seeded.units(MOVED)) > 0
        assert leaf["first_transferred"] is (bool(inside) and moved)
        assert leaf["correspondingly_adjusted"] is leaf["first_transferred"]
        assert leaf["state"] == ("retired" if moved else "held")
    adjusted = sum(1 for n in nodes if n["correspondingly_adjusted"])
    assert adjusted > 0
    assert page.text.count(f'data-label="adjusted">{WORDS[lang]["badge"]}') == adjusted
    assert WORDS[lang]["help"] in page.text


def test_the_open_data_tells_the_same_labels(seeded: Seeded) -> None:
    with _public(seeded, "en") as client:
        dump = client.get("/api/v1/registry/open-data").json()
        retirements = _json(client, "/credits/retirements")["items"]
    issuance = next(i for i in dump["issuances"] if i["notification_ref"] == REF)
    assert (issuance["authorized_credits"], issuance["authorization_scope"]) == (
        AUTHORIZED[1] - AUTHORIZED[0] + 1,
        "partial",
    )
    mine = [b for b in dump["blocks"] if b["project"] == issuance["project"] and b["status"] == "retired"]
    retired = [b for b in mine if DEFAULT_FORMAT.parse(b["serial"]).period == issuance["period_number"]]
    adjusted = sum(b["credits"] for b in retired if "correspondingly_adjusted" in b["labels"])
    retirement = next(r for r in retirements if r["seq"] == seeded.retirement_seq)
    assert adjusted == retirement["adjusted_credits"] > 0
    assert all("authorized_for_ndc" in b["labels"] for b in retired if "article6_authorized" in b["labels"])


def test_the_label_needs_the_hosts_recorded_adjustments(seeded: Seeded) -> None:
    """Correspondingly adjusted follows the recorded adjustments: the host's cover its first transfers."""
    with seeded.site.database.reading() as session:
        recorded = session.scalar(
            select(func.sum(CorrespondingAdjustment.credits)).where(
                CorrespondingAdjustment.country == "VNM", CorrespondingAdjustment.kind == "first_transfer"
            )
        )
    with _public(seeded, "en") as client:
        dump = client.get("/api/v1/registry/open-data").json()
    hosted = {i["notification_ref"]: i for i in dump["issuances"] if i["host_country"] == "VNM"}
    first = sum(b["credits"] for b in dump["blocks"] if "first_transferred" in b["labels"])
    assert hosted and recorded is not None and int(recorded) >= first > 0
    assert all("correspondingly_adjusted" in b["labels"] for b in dump["blocks"] if "first_transferred" in b["labels"])
