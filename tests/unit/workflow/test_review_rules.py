"""Scoring sheet, conflicts of interest, visibility of scores and the ranking."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c3p.workflow.rules.review import (
    Criterion,
    ReviewRefused,
    Rubric,
    default_rubric,
    ensure_may_score,
    rank,
    scores_visible,
)

RUBRIC = Rubric((Criterion("effect", "", "", 5, 3), Criterion("plan", "", "", 5, 1)))


def test_total_is_the_weighted_sum() -> None:
    assert RUBRIC.total({"effect": 4, "plan": 5}) == 17
    assert RUBRIC.max_total == 20


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ({"effect": 4}, "missing: plan"),
        ({"effect": 6, "plan": 1}, "from 0 to 5"),
        ({"effect": -1, "plan": 1}, "from 0 to 5"),
        ({"effect": 1, "plan": 1, "extra": 1}, "Unknown criteria: extra"),
        ({"effect": 1.5, "plan": 1}, "whole number"),
    ],
)
def test_bad_scores_are_refused(points: dict[str, int], message: str) -> None:
    with pytest.raises(ReviewRefused, match=message):
        RUBRIC.total(points)


def test_default_rubric_is_data_with_its_source() -> None:
    rubric = default_rubric()
    assert rubric.criteria and "not found" in rubric.source
    assert Rubric.from_data(rubric.as_data()) == rubric


def test_a_conflicted_reviewer_may_not_score() -> None:
    ensure_may_score(1, [2, 3], "reviewing")
    with pytest.raises(ReviewRefused, match="conflict of interest"):
        ensure_may_score(2, [2, 3], "reviewing")
    with pytest.raises(ReviewRefused, match="while the call is reviewing"):
        ensure_may_score(1, [], "open")


def test_others_scores_stay_hidden_until_the_review_closes() -> None:
    assert not scores_visible(1, 2, call_state="reviewing", sees_all=False)
    assert scores_visible(1, 1, call_state="reviewing", sees_all=False)
    assert scores_visible(1, 2, call_state="reviewing", sees_all=True)
    assert scores_visible(1, 2, call_state="reviewed", sees_all=False)


def test_ranking_by_exact_average_with_shared_ranks() -> None:
    ranked = rank({10: [30, 31], 11: [40], 12: [61, 0], 13: []})
    assert [(r.application_id, r.rank) for r in ranked] == [(11, 1), (10, 2), (12, 2), (13, 4)]
    assert ranked[1].average_total == Fraction(61, 2) and ranked[1].average_display == "30.50"


@settings(deadline=None)
@given(st.dictionaries(st.integers(1, 50), st.lists(st.integers(0, 100), max_size=4), max_size=12))
def test_ranking_is_order_independent_and_monotone(totals: dict[int, list[int]]) -> None:
    ranked = rank(totals)
    assert rank(dict(reversed(list(totals.items())))) == ranked
    scored = [r for r in ranked if r.scores]
    assert all(a.average_total >= b.average_total for a, b in itertools.pairwise(scored))
    assert all(a.rank <= b.rank for a, b in itertools.pairwise(ranked))
