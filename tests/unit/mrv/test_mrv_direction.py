"""Each parameter's effect on ER is derived from the equations and agrees with evaluation."""

from __future__ import annotations

import random

import pytest

from c3p.mrv.catalog import all_methodologies, get_methodology
from c3p.mrv.direction import directions, numeric_direction

METHODOLOGIES = [m for m in all_methodologies()]


def test_transmission_line_directions():
    """ER = Σ send x LR x EF - Σ (send - recv) x EF: recv and LR raise it, send does both."""
    found = directions(get_methodology("MN_AM001"))
    assert found == {"EG_send_i_p": "mixed", "EG_recv_i_p": "raises", "LR_RE_i": "raises", "EF_grid": "mixed"}


def test_project_electricity_lowers_composting_credits():
    assert directions(get_methodology("VN_AM004"))["EC_PJ_i_p"] == "lowers"


@pytest.mark.parametrize("methodology", METHODOLOGIES, ids=lambda m: m.id)
def test_sign_analysis_agrees_with_evaluation(methodology):
    """At random positive points, nudging a parameter moves ER the way the tree says."""
    chance = random.Random(methodology.id)
    for _ in range(20):
        point = {key: chance.uniform(0.1, 3.0) for key in methodology.parameters}
        for key, direction in directions(methodology).items():
            if direction in ("raises", "lowers") and key in methodology.referenced:
                assert numeric_direction(methodology, key, point) in (direction, "none"), key
