"""Fiscal years and plan positions, as specifications."""

from __future__ import annotations

import datetime as dt
import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st

from c3p.program.rules import fiscal_years
from c3p.program.rules.fiscal_years import PlanPosition, fiscal_year_of, fiscal_year_span


def test_doctests() -> None:
    assert doctest.testmod(fiscal_years).failed == 0


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_every_day_lies_in_the_span_of_its_fiscal_year(day: dt.date) -> None:
    first, last = fiscal_year_span(fiscal_year_of(day))
    assert first <= day <= last
    assert (last - first).days in (364, 365)


def test_a_plan_year_must_lie_inside_the_plan() -> None:
    with pytest.raises(ValueError, match="outside"):
        PlanPosition(4, 3)
    assert PlanPosition(3, 3).is_final_year
    assert not PlanPosition(1, 3).is_final_year
