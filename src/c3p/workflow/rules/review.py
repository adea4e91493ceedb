"""Review: the scoring sheet (rubric), one reviewer's score, conflicts of interest and the ranking.

A rubric is a list of criteria, each scored 0…``max_points`` and counted ``weight`` times;
a score's total is the weighted sum (integers, so totals are exact). The ranking averages the
totals of the reviewers who scored an application (exactly, as fractions), orders by that
average, and gives tied applications the same rank (1, 2, 2, 4). A reviewer who declared a
conflict of interest on an application may not score it, and others' scores stay hidden from
reviewers until the call's review closes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from importlib.resources import files
from typing import Any

import yaml

from c3p.messages import N_, Message, Refused


class ReviewRefused(Refused):
    """A score or declaration that the rules refuse (the service turns it into 409/422)."""


@dataclass(frozen=True)
class Criterion:
    key: str
    name_ja: str
    name_en: str
    max_points: int
    weight: int = 1


@dataclass(frozen=True)
class Rubric:
    criteria: tuple[Criterion, ...]
    source: str = ""
    note: str = ""

    @property
    def max_total(self) -> int:
        return sum(c.max_points * c.weight for c in self.criteria)

    def total(self, points: Mapping[str, int]) -> int:
        """The weighted total of ``points`` after checking every criterion is scored within range.

        >>> rubric = Rubric((Criterion("a", "", "", 5, 3), Criterion("b", "", "", 5, 1)))
        >>> rubric.total({"a": 4, "b": 2}), rubric.max_total
        (14, 20)
        """
        keys = {c.key for c in self.criteria}
        unknown = sorted(set(points) - keys)
        if unknown:
            raise ReviewRefused(Message(N_("Unknown criteria: %(criteria)s."), {"criteria": ", ".join(unknown)}))
        missing = [c.key for c in self.criteria if c.key not in points]
        if missing:
            raise ReviewRefused(
                Message(N_("Score every criterion; missing: %(missing)s."), {"missing": ", ".join(missing)})
            )
        for criterion in self.criteria:
            value = points[criterion.key]
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= criterion.max_points:
                refusal = N_("%(criterion)s: give a whole number from 0 to %(max)s (got %(value)s).")
                raise ReviewRefused(
                    Message(refusal, {"criterion": criterion.key, "max": criterion.max_points, "value": repr(value)})
                )
        return sum(points[c.key] * c.weight for c in self.criteria)

    def as_data(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "note": self.note,
            "criteria": [c.__dict__ for c in self.criteria],
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Rubric:
        criteria = tuple(Criterion(**item) for item in data.get("criteria", ()))
        if not criteria:
            raise ReviewRefused(N_("A rubric needs at least one criterion."))
        if len({c.key for c in criteria}) != len(criteria):
            raise ReviewRefused(N_("Rubric criteria need distinct keys."))
        if any(c.max_points < 1 or c.weight < 1 for c in criteria):
            raise ReviewRefused(N_("Rubric maxima and weights must be at least 1."))
        return cls(criteria, str(data.get("source", "")), str(data.get("note", "")))


@lru_cache
def default_rubric() -> Rubric:
    text = files("c3p.workflow").joinpath("data/rubric_default.yaml").read_text(encoding="utf-8")
    return Rubric.from_data(yaml.safe_load(text))


def ensure_may_score(reviewer_id: int, conflicted_reviewers: Iterable[int], call_state: str) -> None:
    """Refuse a score from a conflicted reviewer, or outside the review phase."""
    if call_state != "reviewing":
        refusal = N_("Scores are given while the call is reviewing; it is %(state)s.")
        raise ReviewRefused(Message(refusal, {"state": call_state}))
    if reviewer_id in set(conflicted_reviewers):
        refusal = N_("You declared a conflict of interest on this application, so you may not score it.")
        raise ReviewRefused(refusal)


def scores_visible(viewer_id: int | None, score_owner_id: int, *, call_state: str, sees_all: bool) -> bool:
    """Whether a viewer may see one reviewer's score: one's own always, others' once review closed.

    >>> scores_visible(1, 2, call_state="reviewing", sees_all=False)
    False
    >>> scores_visible(1, 2, call_state="reviewed", sees_all=False)
    True
    >>> scores_visible(1, 1, call_state="reviewing", sees_all=False)
    True
    """
    return sees_all or viewer_id == score_owner_id or call_state in ("reviewed", "decided")


@dataclass(frozen=True)
class Ranked:
    application_id: int
    rank: int
    average_total: Fraction
    scores: int

    @property
    def average_display(self) -> str:
        return f"{float(self.average_total):.2f}"


def rank(totals: Mapping[int, list[int]]) -> list[Ranked]:
    """Rank applications by the average of their totals; ties share a rank; unscored come last.

    >>> [(r.application_id, r.rank) for r in rank({1: [10, 12], 2: [11], 3: [11, 11], 4: []})]
    [(1, 1), (2, 1), (3, 1), (4, 4)]
    """
    averages = {
        application: (Fraction(sum(values), len(values)) if values else None) for application, values in totals.items()
    }
    order = sorted(averages, key=lambda a: (averages[a] is None, -(averages[a] or 0), a))
    ranked: list[Ranked] = []
    for position, application in enumerate(order, 1):
        average = averages[application]
        previous = ranked[-1] if ranked else None
        same = previous is not None and previous.average_total == (average or Fraction(0)) and average is not None
        ranked.append(
            Ranked(
                application,
                previous.rank if same and previous else position,
                average if average is not None else Fraction(0),
                len(totals[application]),
            )
        )
    return ranked
