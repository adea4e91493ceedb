"""Which way each parameter moves the emission reductions, derived from the equations.

Conservativeness is not a label to trust: a substitution for missing data is conservative
only if it lowers ER, and that depends on where the parameter sits in the equations
(``EG_send`` raises reference emissions but also project losses). The sign analysis walks
the expression tree of ER, through intermediate equations, assuming every parameter with a
non-negative minimum is non-negative; a parameter that enters with both signs is ``mixed``
and settled numerically (:func:`numeric_direction`) at the methodology's design point.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from c3p.mrv import expressions as ex
from c3p.mrv.spec import Methodology

Direction = Literal["raises", "lowers", "none", "mixed"]
_SIGN_NAME: dict[int | None, Direction] = {1: "raises", -1: "lowers", 0: "none", None: "mixed"}
_UNKNOWN = None  # a sign or an effect that cannot be fixed from the tree alone


def _combine(a: int | None, b: int | None) -> int | None:
    """The effect of a sum of two terms: same signs agree, opposite signs are mixed."""
    if a == 0:
        return b
    if b == 0:
        return a
    return a if a == b else _UNKNOWN


def _times(effect: int | None, sign: int | None) -> int | None:
    if effect == 0 or sign == 0:
        return 0
    return _UNKNOWN if effect is None or sign is None else effect * sign


class _Analysis:
    """Sign and effect of every node of one methodology's equations."""

    def __init__(self, methodology: Methodology) -> None:
        self.methodology = methodology

    def sign(self, node: ex.Node) -> int | None:
        """+1, -1 or 0 when the value's sign is fixed for all admissible inputs."""
        if isinstance(node, ex.Num):
            return int(np.sign(node.value))
        if isinstance(node, ex.Sym):
            key = ex.symbol_key(node.name)
            if key in self.methodology.trees:
                return self.sign(self.methodology.trees[key])
            param = self.methodology.parameters.get(key)
            return 1 if param is not None and param.minimum is not None and param.minimum >= 0 else _UNKNOWN
        if isinstance(node, ex.Unary):
            inner = self.sign(node.operand)
            return None if inner is None else -inner
        if isinstance(node, ex.Bin):
            return self._bin_sign(node)
        if node.func == "exp":
            return 1
        signs = {self.sign(arg) for arg in node.args}
        return signs.pop() if len(signs) == 1 else _UNKNOWN

    def _bin_sign(self, node: ex.Bin) -> int | None:
        left, right = self.sign(node.left), self.sign(node.right)
        if node.op in "*/":
            return _UNKNOWN if left is None or right is None else left * right
        right = right if node.op == "+" or right is None else -right
        return _combine(left, right) if left != 0 and right != 0 else (left or right)

    def effect(self, node: ex.Node, key: str) -> int | None:
        """+1 if raising ``key`` raises the node, -1 if it lowers it, 0 if absent, None if mixed."""
        if isinstance(node, ex.Num):
            return 0
        if isinstance(node, ex.Sym):
            own = ex.symbol_key(node.name)
            if own == key:
                return 1
            return self.effect(self.methodology.trees[own], key) if own in self.methodology.trees else 0
        if isinstance(node, ex.Unary):
            inner = self.effect(node.operand, key)
            return None if inner is None else -inner
        if isinstance(node, ex.Bin):
            return self._bin_effect(node, key)
        effect: int | None = 0
        for arg in node.args:
            effect = _combine(effect, self.effect(arg, key))
        return effect

    def _bin_effect(self, node: ex.Bin, key: str) -> int | None:
        left, right = self.effect(node.left, key), self.effect(node.right, key)
        if node.op == "+":
            return _combine(left, right)
        if node.op == "-":
            return _combine(left, None if right is None else -right)
        if node.op == "*":
            return _combine(_times(left, self.sign(node.right)), _times(right, self.sign(node.left)))
        divisor_effect = None if right is None else -right
        return _combine(_times(left, self.sign(node.right)), _times(divisor_effect, self.sign(node.left)))


_CACHE: dict[str, dict[str, Direction]] = {}


def directions(methodology: Methodology) -> dict[str, Direction]:
    """Parameter key -> how raising it moves ER, from the equations alone.

    >>> from c3p.mrv.catalog import get_methodology
    >>> found = directions(get_methodology("MN_AM001"))
    >>> found["EG_recv_i_p"], found["LR_RE_i"], found["EG_send_i_p"]
    ('raises', 'raises', 'mixed')
    """
    if methodology.sha256 not in _CACHE:
        analysis = _Analysis(methodology)
        er_tree = methodology.trees[ex.symbol_key(methodology.spec.emission_reductions)]
        _CACHE[methodology.sha256] = {key: _SIGN_NAME[analysis.effect(er_tree, key)]
                                      for key in methodology.parameters}  # fmt: skip
    return _CACHE[methodology.sha256]


def numeric_direction(methodology: Methodology, key: str, columns: dict[str, float]) -> Direction:
    """How ER moves when ``key`` grows by 1% from ``columns`` (one design point), by evaluation."""
    from c3p.mrv.evaluate import evaluate_cells

    er_key = ex.symbol_key(methodology.spec.emission_reductions)
    base = float(evaluate_cells(methodology, columns, 1)[er_key][0])
    nudged = dict(columns, **{key: columns[key] * 1.01 + 1e-9})
    moved = float(evaluate_cells(methodology, nudged, 1)[er_key][0])
    scale = max(abs(base), 1e-12)
    if abs(moved - base) <= 1e-12 * scale:
        return "none"
    return "raises" if moved > base else "lowers"


def conservative_when_missing(methodology: Methodology, key: str) -> Literal["low", "high"]:
    """``low`` if counting the parameter as small lowers ER, else ``high`` (mixed counts as high)."""
    return "low" if directions(methodology)[key] in ("raises", "none") else "high"


def settled_sides(methodology: Methodology, point: dict[str, float]) -> dict[str, Literal["low", "high"]]:
    """For every parameter, the side that lowers ER; ``mixed`` ones settled at ``point``.

    ``point`` holds a typical value of every parameter (the project's own scalars and the
    mean monitored values), so that e.g. electricity sent over a line is judged with the
    line's actual loss rate.
    """
    sides: dict[str, Literal["low", "high"]] = {}
    for key, direction in directions(methodology).items():
        if direction == "mixed" and all(k in point for k in methodology.parameters if k in methodology.referenced):
            direction = numeric_direction(methodology, key, point)
        sides[key] = "low" if direction in ("raises", "none") else "high"
    return sides
