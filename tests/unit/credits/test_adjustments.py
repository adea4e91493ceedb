"""Corresponding adjustments under each method, worked by hand to the tonne, and their invariants."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from c3p.credits.adjustments import load_choices
from c3p.credits.rules.adjustments import (
    Basis,
    Contributions,
    Itmos,
    Method,
    NdcPeriod,
    choice_for,
    contributions_due,
    due_adjustments,
    parse_choices,
)
from c3p.errors import DataFileError, InvalidInput, NotFound


def period(method: str, first: int = 2021, last: int = 2025, target: int | None = None) -> NdcPeriod:
    return NdcPeriod(
        first_year=first, last_year=last, target_year=target or last, method=Method(method), source="test", assumed=True
    )


# A host country's first transfers (and, to test subtraction, a few uses) in 2021-2025.
HOST = {2021: Itmos(100), 2022: Itmos(250), 2024: Itmos(40, 15), 2025: Itmos(11)}


@pytest.mark.parametrize("method", ["trajectory", "multi_year"])
def test_annual_methods_apply_each_years_itmos(method: str) -> None:
    due = due_adjustments(period(method), HOST, as_of_year=2024)
    # 2021: +100; 2022: +250; 2023: nothing moved, 0; 2024: +40 first transferred, -15 used = 25
    assert [(a.year, a.credits) for a in due] == [(2021, 100), (2022, 250), (2023, 0), (2024, 25)]
    assert {a.basis for a in due} == {Basis.annual}
    assert (due[3].addition_credits, due[3].subtraction_credits) == (40, 15)


def test_averaging_over_the_whole_period() -> None:
    due = due_adjustments(period("averaging"), HOST, as_of_year=2025)
    # first transferred 100 + 250 + 0 + 40 + 11 = 401 over 5 years: 80.2, rounded up to 81
    # used 15 over 5 years: 3 exactly
    assert [(a.year, a.addition_credits, a.subtraction_credits) for a in due] == [(y, 81, 3) for y in range(2021, 2026)]
    assert due[-1].credits == 78  # applied to the target year 2025: 81 - 3
    assert {a.basis for a in due} == {Basis.average}


def test_averaging_counts_only_the_years_elapsed() -> None:
    due = due_adjustments(period("averaging"), HOST, as_of_year=2023)
    # by 2023: 100 + 250 + 0 = 350 over 3 years = 116.67, rounded up to 117; no use yet
    assert [(a.year, a.credits) for a in due] == [(2021, 117), (2022, 117), (2023, 117)]


def test_averaging_rounds_a_subtraction_down() -> None:
    # an acquiring country used 10 in 2021, 0 in 2022, 7 in 2023: 17 / 3 = 5.67, rounded down to 5
    used = {2021: Itmos(0, 10), 2023: Itmos(0, 7)}
    due = due_adjustments(period("averaging", last=2030), used, as_of_year=2023)
    assert [a.credits for a in due] == [-5, -5, -5]


def test_nothing_is_due_before_the_period_begins() -> None:
    assert due_adjustments(period("averaging", first=2031, last=2035), HOST, as_of_year=2026) == []
    assert due_adjustments(period("trajectory", first=2031, last=2035), HOST, as_of_year=2026) == []


def test_contributions_only_when_a_country_opts_in() -> None:
    assert contributions_due(None, 1234) is None
    shares = Contributions(
        omge_cancellation_pct=Decimal(2), share_of_proceeds_pct=Decimal("2.5"), source="test", assumed=True
    )
    owed = contributions_due(shares, 1234)
    # 2% of 1234 = 24.68, up to 25; 2.5% of 1234 = 30.85, up to 31
    assert owed is not None and (owed.omge_cancellation_credits, owed.share_of_proceeds_credits) == (25, 31)
    exact = contributions_due(shares, 200)  # 2% of 200 = 4 and 2.5% = 5 exactly: no rounding
    assert exact is not None and (exact.omge_cancellation_credits, exact.share_of_proceeds_credits) == (4, 5)
    nothing = contributions_due(shares, 0)
    assert nothing is not None and (nothing.omge_cancellation_credits, nothing.share_of_proceeds_credits) == (0, 0)


def test_a_percentage_written_as_a_yaml_float_is_exact() -> None:
    # YAML reads 0.1 as a float; as a binary fraction it is a hair above 0.1, and rounding up would
    # then owe 2 tonnes on 1,000 instead of exactly 1 (0.1% of 1,000)
    records = [
        {
            **GOOD,
            "contributions": {
                "omge_cancellation_pct": 0.1,
                "share_of_proceeds_pct": 0.7,
                "source": "s",
                "assumed": True,
            },
        }
    ]
    owed = contributions_due(parse_choices(records, "f")["VNM"].contributions, 1000)
    assert owed is not None and (owed.omge_cancellation_credits, owed.share_of_proceeds_credits) == (1, 7)


def test_an_unknown_country_and_a_year_outside_the_period_are_named() -> None:
    choices = load_choices()
    with pytest.raises(NotFound, match="FRA has no NDC period"):
        choice_for(choices, "FRA")
    with pytest.raises(InvalidInput, match="2019 is outside the NDC periods of VNM"):
        choices["VNM"].period_of(2019)
    assert choices["JPN"].period_of(2033).target_year == 2035


def test_every_built_in_record_says_where_it_comes_from() -> None:
    for choice in load_choices().values():
        assert all(p.source.strip() and (p.assumed or "http" in p.source) for p in choice.periods)


GOOD = {"country": "VNM", "periods": [{**period("averaging").model_dump(), "method": "averaging"}]}


@pytest.mark.parametrize(
    ("records", "reason"),
    [
        ({"country": "VNM"}, "expected a list"),
        ([GOOD, GOOD], "VNM is listed twice"),
        ([{**GOOD, "periods": [{**GOOD["periods"][0], "method": "budget"}]}], "record 1: periods.0.method"),
        ([{**GOOD, "periods": [{**GOOD["periods"][0], "target_year": 2031}]}], "target_year <= last_year"),
        ([{**GOOD, "periods": GOOD["periods"] * 2}], "overlaps"),
        ([{**GOOD, "periods": [{**GOOD["periods"][0], "assumed": None}]}], "assumed"),
        ([{**GOOD, "country": "vn"}], "country"),
        ([{**GOOD, "contributions": {"omge_cancellation_pct": -2, "source": "s", "assumed": True}}], "omge"),
        ([{**GOOD, "contributions": {"omge_cancellation_pct": "NaN", "source": "s", "assumed": True}}], "finite"),
        ([{**GOOD, "contributions": {"share_of_proceeds_pct": "2,5", "source": "s", "assumed": True}}], "decimal"),
        ([{**GOOD, "contributions": {"share_of_proceeds_pct": 101, "source": "s", "assumed": True}}], "share"),
    ],
)
def test_a_bad_methods_file_is_refused_by_record_and_field(records: object, reason: str) -> None:
    with pytest.raises(DataFileError, match=reason):
        parse_choices(records, "ndc_methods.yaml")


def test_a_reviewed_file_that_is_missing_or_not_yaml_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="cannot be read"):
        load_choices(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("- country: VNM\n  periods: [\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"broken\.yaml.*not valid YAML"):
        load_choices(broken)


years = st.integers(min_value=1, max_value=15)
amounts = st.integers(min_value=0, max_value=10**12)


@given(years, st.lists(st.tuples(amounts, amounts), min_size=15, max_size=15))
def test_over_a_finished_period_the_methods_account_for_every_itmo(length: int, annual: list[tuple[int, int]]) -> None:
    itmos = {2021 + i: Itmos(first, used) for i, (first, used) in enumerate(annual[:length])}
    first, used = sum(i.first_transferred for i in itmos.values()), sum(i.used for i in itmos.values())
    last = 2020 + length
    for method in ("trajectory", "multi_year"):
        due = due_adjustments(period(method, last=last), itmos, as_of_year=last)
        assert sum(a.addition_credits for a in due) == first and sum(a.subtraction_credits for a in due) == used
    averaged = due_adjustments(period("averaging", last=last), itmos, as_of_year=last + 5)
    target = averaged[-1]
    # the average applied to the target year, times the years, covers the ITMOs within the rounding,
    # which never flatters the country: additions up, subtractions down
    assert len(averaged) == length and target.year == last
    assert 0 <= target.addition_credits * length - first < length
    assert 0 <= used - target.subtraction_credits * length < length
    assert {(a.addition_credits, a.subtraction_credits) for a in averaged} == {
        (target.addition_credits, target.subtraction_credits)
    }
