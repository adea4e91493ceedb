"""A small, safe language for methodology equations.

Equations arrive as text in specification files written by people, so they are never
passed to ``eval``: a tokenizer and a recursive-descent parser build a tree of five node
types (number, symbol, unary minus, binary operator, function call) over a whitelist —
``+ - * /`` (and the document signs ``− × ·``), parentheses, ``sum``/``Σ`` over sites,
``min``, ``max`` and ``exp``. Symbols keep the methodology's notation: ``EG_i,p`` is one
symbol, because a comma that follows a subscript and is directly followed by a letter or
digit continues the subscript (write ``max(a, b)`` with a space after argument commas).

The same tree is evaluated for unit analysis (magnitude 1.0, pint units only) and for
calculation (numpy arrays of one value per site and month), so a specification that is
dimensionally consistent when loaded cannot become inconsistent when it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from c3p.mrv.units import format_unit, unit_registry

if TYPE_CHECKING:  # numpy arrives with the first evaluation, not with the parser
    import numpy as np
    import pint

FUNCTIONS = frozenset({"sum", "min", "max", "exp"})
_ALIASES = {"Σ": "sum", "−": "-", "×": "*", "·": "*"}


class ExpressionError(ValueError):
    """A problem in an equation, with the 0-based character position it refers to."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"at character {position + 1}: {reason}")
        self.position = position
        self.reason = reason


def symbol_key(symbol: str) -> str:
    """The spelling-independent key of a symbol: ``EG_i,p``, ``EG_{i,p}``, ``EG_i_p`` agree.

    >>> symbol_key("EC_{PJ,i,p}")
    'EC_PJ_i_p'
    """
    return "".join(symbol.split()).replace("{", "").replace("}", "").replace(",", "_")


@dataclass(frozen=True)
class Num:
    value: float
    pos: int


@dataclass(frozen=True)
class Sym:
    name: str
    pos: int


@dataclass(frozen=True)
class Unary:
    operand: Node
    pos: int


@dataclass(frozen=True)
class Bin:
    op: str
    left: Node
    right: Node
    pos: int


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Node, ...]
    pos: int


Node = Num | Sym | Unary | Bin | Call


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    """Split into (kind, text, position) tokens; kinds: num, name, op, end."""
    tokens: list[tuple[str, str, int]] = []
    i, n = 0, len(text)
    while i < n:
        ch = _ALIASES.get(text[i], text[i])
        if ch.isspace():
            i += 1
        elif ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            j = _scan_number(text, i)
            tokens.append(("num", text[i:j], i))
            i = j
        elif ch.isalpha():
            j = _scan_symbol(text, i)
            tokens.append(("name", text[i:j], i))
            i = j
        elif ch in "+-*/(),":
            tokens.append(("op", ch, i))
            i += 1
        else:
            raise ExpressionError(i, f"character {text[i]!r} is not allowed in an equation")
    tokens.append(("end", "", n))
    return tokens


def _scan_number(text: str, i: int) -> int:
    j = i
    while j < len(text) and (text[j].isdigit() or text[j] == "."):
        j += 1
    if j < len(text) and text[j] in "eE":
        k = j + 1
        if k < len(text) and text[k] in "+-":
            k += 1
        if k < len(text) and text[k].isdigit():
            j = k
            while j < len(text) and text[j].isdigit():
                j += 1
    return j


def _scan_symbol(text: str, i: int) -> int:
    j, in_subscript = i, False
    while j < len(text):
        ch = text[j]
        if ch.isalnum() or ch == "_":
            in_subscript = in_subscript or ch == "_"
            j += 1
        elif in_subscript and (ch in "{}" or (ch == "," and _alnum_at(text, j + 1))):
            j += 1
        else:
            break
    return j


def _alnum_at(text: str, index: int) -> bool:
    return index < len(text) and text[index].isalnum()


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.index = 0

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.index]

    def take(self) -> tuple[str, str, int]:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        kind, value, pos = self.take()
        if value != text or kind != "op":
            raise ExpressionError(pos, f"expected {text!r}, found {value or 'end of equation'!r}")

    def expression(self) -> Node:
        node = self.term()
        while self.peek()[1] in {"+", "-"} and self.peek()[0] == "op":
            _, op, pos = self.take()
            node = Bin(op, node, self.term(), pos)
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.peek()[1] in {"*", "/"} and self.peek()[0] == "op":
            _, op, pos = self.take()
            node = Bin(op, node, self.unary(), pos)
        return node

    def unary(self) -> Node:
        kind, value, pos = self.peek()
        if kind == "op" and value in {"-", "+"}:
            self.take()
            operand = self.unary()
            return Unary(operand, pos) if value == "-" else operand
        return self.atom()

    def atom(self) -> Node:
        kind, value, pos = self.take()
        if kind == "num":
            return Num(float(value), pos)
        if kind == "name":
            func = _ALIASES.get(value, value)
            if func in FUNCTIONS and self.peek()[1] == "(":
                return self.call(func, pos)
            return Sym(value, pos)
        if kind == "op" and value == "(":
            node = self.expression()
            self.expect(")")
            return node
        raise ExpressionError(pos, f"unexpected {value or 'end of equation'!r}")

    def call(self, func: str, pos: int) -> Call:
        self.expect("(")
        args = [self.expression()]
        while self.peek()[1] == ",":
            self.take()
            args.append(self.expression())
        self.expect(")")
        wanted = 1 if func in {"sum", "exp"} else None
        if (wanted and len(args) != wanted) or (func in {"min", "max"} and len(args) < 2):
            raise ExpressionError(pos, f"{func}() got {len(args)} argument(s)")
        return Call(func, tuple(args), pos)


def parse(text: str) -> Node:
    """Parse an equation's right-hand side into a tree.

    >>> [s.name for s in symbols(parse("sum(EG_i,p * EF_RE,i)"))]
    ['EG_i,p', 'EF_RE,i']
    """
    parser = _Parser(text)
    node = parser.expression()
    kind, value, pos = parser.peek()
    if kind != "end":
        raise ExpressionError(pos, f"unexpected {value!r} after the end of the equation")
    return node


def symbols(node: Node) -> list[Sym]:
    """Every symbol the tree refers to, in reading order."""
    if isinstance(node, Sym):
        return [node]
    if isinstance(node, Unary):
        return symbols(node.operand)
    if isinstance(node, Bin):
        return symbols(node.left) + symbols(node.right)
    if isinstance(node, Call):
        return [s for arg in node.args for s in symbols(arg)]
    return []


Value = tuple["np.ndarray | float", "pint.Unit"]
Lookup = Callable[[Sym], Value]


def evaluate(node: Node, lookup: Lookup) -> Value:
    """Evaluate with units: magnitudes are converted wherever terms are added or compared.

    ``sum`` is the identity here: values are per site and month, and the engine adds them
    up; :func:`check_period_use` guarantees that doing so equals the methodology's Σ.
    """
    if isinstance(node, Num):
        return node.value, unit_registry().dimensionless
    if isinstance(node, Sym):
        return lookup(node)
    if isinstance(node, Unary):
        magnitude, unit = evaluate(node.operand, lookup)
        return -magnitude, unit
    if isinstance(node, Bin):
        return _binary(node, evaluate(node.left, lookup), evaluate(node.right, lookup))
    values = [evaluate(arg, lookup) for arg in node.args]
    if node.func in {"min", "max"}:
        values = _zeros_take_unit(node.args, values)
    if node.func == "sum":
        return values[0]
    if node.func == "exp":
        import numpy as np

        magnitude, unit = _to_dimensionless(values[0], node.pos)
        return np.exp(magnitude), unit
    return _extreme(node, values)


def _is_zero(node: Node) -> bool:
    return isinstance(node, Num) and node.value == 0


def _zeros_take_unit(args: tuple[Node, ...], values: list[Value]) -> list[Value]:
    """A literal 0 (as in ``max(x, 0)``) is zero in whatever unit its neighbours have."""
    unit = next((v[1] for a, v in zip(args, values, strict=True) if not _is_zero(a)), None)
    return [(v[0], unit) if _is_zero(a) and unit is not None else v
            for a, v in zip(args, values, strict=True)]  # fmt: skip


def _binary(node: Bin, left: Value, right: Value) -> Value:
    (a, unit_a), (b, unit_b) = left, right
    if node.op in "+-" and _is_zero(node.right):
        unit_b = unit_a
    if node.op in "+-" and _is_zero(node.left):
        unit_a = unit_b
    if node.op == "*":
        return a * b, unit_a * unit_b
    if node.op == "/":
        import numpy as np

        with np.errstate(divide="ignore", invalid="ignore"):
            return a / b, unit_a / unit_b
    b = b * _factor(unit_b, unit_a, node.pos, f"'{node.op}'")
    return (a + b if node.op == "+" else a - b), unit_a


def _extreme(node: Call, values: list[Value]) -> Value:
    import numpy as np

    magnitude, unit = values[0]
    pick = np.minimum if node.func == "min" else np.maximum
    for other, other_unit in values[1:]:
        magnitude = pick(magnitude, other * _factor(other_unit, unit, node.pos, node.func))
    return magnitude, unit


def _factor(source: pint.Unit, target: pint.Unit, pos: int, where: str) -> float:
    if source == target:
        return 1.0
    if source.dimensionality != target.dimensionality:
        raise ExpressionError(
            pos,
            f"{where} combines {format_unit(source)} with {format_unit(target)}, which have different dimensions",
        )
    return float(unit_registry().Quantity(1.0, source).to(target).magnitude)


def _to_dimensionless(value: Value, pos: int) -> Value:
    magnitude, unit = value
    dimensionless = unit_registry().dimensionless
    factor = _factor(unit, dimensionless, pos, "exp()")
    return magnitude * factor, dimensionless


def check_period_use(node: Node, is_period_level: Mapping[str, bool]) -> bool:
    """Refuse uses of period totals that would break summing per site and month.

    Returns whether ``node`` is a period-level quantity (it contains ``sum`` or refers to a
    period total). A period total may be added, subtracted or scaled by a constant, but not
    multiplied by another period total nor put inside ``min``/``max``/``exp``: there the
    sum of per-site values would no longer equal the value of the sums.
    """
    if isinstance(node, Num):
        return False
    if isinstance(node, Sym):
        return is_period_level.get(symbol_key(node.name), False)
    if isinstance(node, Unary):
        return check_period_use(node.operand, is_period_level)
    if isinstance(node, Bin):
        left = check_period_use(node.left, is_period_level)
        right = check_period_use(node.right, is_period_level)
        if node.op in "*/" and right and (left or node.op == "/"):
            raise ExpressionError(node.pos, "a period total (Σ) cannot multiply or divide here")
        return left or right
    flags = [check_period_use(arg, is_period_level) for arg in node.args]
    if node.func == "sum":
        if flags[0]:
            raise ExpressionError(node.pos, "sum() cannot contain another sum or period total")
        return True
    if any(flags):
        raise ExpressionError(node.pos, f"{node.func}() cannot take a period total (Σ)")
    return False
