"""The shipped seed dataset is complete and consistent, and broken files are refused precisely."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from c3p.errors import DataFileError
from c3p.program.rules.citations import citations
from c3p.program.seed import SEED_DIR, read_seed

REFERENCE = Path(__file__).resolve().parents[3].parent / "shared" / "reference"
BROCHURE_JCM_PARTNERS = 31  # brochure BOX 1: 31 countries as of August 2025
BROCHURE_FY2025_PROJECTS = 25  # brochure: 2025年度 採択案件一覧, numbered 01–25


@pytest.fixture(scope="module")
def dataset():  # type: ignore[no-untyped-def]
    return read_seed()


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    target = tmp_path / "seed"
    shutil.copytree(SEED_DIR, target)
    return target


def _reference_rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_place_of_the_gazetteer_is_in_the_seed(dataset) -> None:  # type: ignore[no-untyped-def]
    if not REFERENCE.exists():
        pytest.skip("shared/reference is not beside the checkout")
    gazetteer = {(row["name_ja"], row["country_iso3"]) for row in _reference_rows("partner_places.csv")}
    # the gazetteer keeps the table's spellings; the seed names a place as the brochure's project
    # pages spell it and keeps the table's spelling as an alias (バタヤ市 → パタヤ市)
    spellings = {
        item.record.slug: {(name, item.record.country_iso3) for name in _names(item.record)}
        for item in dataset.partner_places
    }
    assert all(names & gazetteer for names in spellings.values())
    assert set().union(*spellings.values()) >= gazetteer
    governments = {row["name_ja"] for row in _reference_rows("japan_local_governments.csv")}
    assert {item.record.name_ja for item in dataset.japanese_governments} == governments


def _names(place: object) -> list[str]:
    return [place.name_ja, *filter(None, place.aliases_ja.split("|"))]  # type: ignore[attr-defined]


def test_the_brochure_table_rows_are_all_partnerships(dataset) -> None:  # type: ignore[no-untyped-def]
    if not REFERENCE.exists():
        pytest.skip("shared/reference is not beside the checkout")
    rows = {
        int(r["brochure_source"].split()[-1])
        for r in _reference_rows("c3p_place_pairings.csv")
        if r["brochure_source"].startswith("table row")
    }
    assert {item.record.table_row for item in dataset.partnerships} == rows


def test_fy2025_projects_and_jcm_partners(dataset) -> None:  # type: ignore[no-untyped-def]
    fy2025 = [item.record for item in dataset.projects if item.record.fiscal_year == 2025]
    assert sorted(p.number for p in fy2025) == list(range(1, BROCHURE_FY2025_PROJECTS + 1))
    assert all(p.title_en and p.summary_en and p.organizations for p in fy2025)
    assert sum(item.record.jcm_partner_order is not None for item in dataset.countries) == BROCHURE_JCM_PARTNERS
    assert all(any(o.role == "proposer" for o in p.organizations) for p in fy2025)


def _edit_csv(path: Path, line: int, column: str, value: str) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[line - 2][column] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_a_bad_value_names_file_line_and_field(seed_copy: Path) -> None:
    _edit_csv(seed_copy / "partner_places.csv", 5, "lat", "north")
    with pytest.raises(DataFileError) as caught:
        read_seed(seed_copy)
    assert caught.value.path.endswith("partner_places.csv")
    assert caught.value.line == 5
    assert "lat" in caught.value.reason


def test_an_unknown_reference_is_refused(seed_copy: Path) -> None:
    _edit_csv(seed_copy / "partner_places.csv", 3, "country_iso3", "XXX")
    with pytest.raises(DataFileError) as caught:
        read_seed(seed_copy)
    assert caught.value.line == 3
    assert "XXX" in caught.value.reason


def test_a_duplicate_slug_is_refused(seed_copy: Path) -> None:
    with (seed_copy / "japanese_governments.csv").open(encoding="utf-8") as handle:
        first_slug = next(iter(csv.DictReader(handle)))["slug"]
    _edit_csv(seed_copy / "japanese_governments.csv", 4, "slug", first_slug)
    with pytest.raises(DataFileError, match="duplicate slug"):
        read_seed(seed_copy)


def test_a_missing_file_and_broken_yaml_are_refused(seed_copy: Path) -> None:
    (seed_copy / "events.yaml").write_text("- slug: x\n  starts_on: [unclosed\n", encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        read_seed(seed_copy)
    assert caught.value.path.endswith("events.yaml")
    (seed_copy / "events.yaml").unlink()
    with pytest.raises(DataFileError, match="file is missing"):
        read_seed(seed_copy)


def test_an_unknown_column_is_refused(seed_copy: Path) -> None:
    path = seed_copy / "countries.csv"
    text = path.read_text(encoding="utf-8").splitlines()
    text[0] += ",colour"
    text[1] += ",green"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="colour"):
        read_seed(seed_copy)


def test_each_jcm_signing_date_says_what_it_rests_on(dataset) -> None:  # type: ignore[no-untyped-def]
    """Issue 15, point 7: a date checked against an official page names it; one not checked says so
    (the country page shows the mark and the page)."""
    partners = [item.record for item in dataset.countries if item.record.jcm_partner_order is not None]
    assert len(partners) == BROCHURE_JCM_PARTNERS
    for country in partners:
        if country.jcm_signed_verification == "confirmed":
            assert country.jcm_signed_source.startswith("https://"), country.iso3
            # the country page names the page's publisher, never a bare address
            assert citations(country.jcm_signed_source), (country.iso3, country.jcm_signed_source)
            assert country.jcm_signed_year is None, country.iso3  # a full date replaces the year
        else:  # partly checked (the year, not the day) or not checked: the note says what was not
            assert country.jcm_signed_verification in ("partial", "unverified"), country.iso3
            assert " not " in country.note, country.iso3
    philippines = next(country for country in partners if country.iso3 == "PHL")
    assert str(philippines.jcm_signed_on) == "2017-01-12" and philippines.jcm_signed_verification == "confirmed"
