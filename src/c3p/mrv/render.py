"""Readable forms of equations: plain text with document signs, and LaTeX for the portal."""

from __future__ import annotations

from c3p.mrv import expressions as ex

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}
_TEXT_OPS = {"+": " + ", "-": " − ", "*": " × ", "/": " / "}


def to_text(node: ex.Node, parent: int = 0) -> str:
    """``sum(EG_i,p * EF_RE,i)`` -> ``Σ_i (EG_i,p × EF_RE,i)``."""
    if isinstance(node, ex.Num):
        return f"{node.value:g}"
    if isinstance(node, ex.Sym):
        return node.name
    if isinstance(node, ex.Unary):
        return "−" + to_text(node.operand, 3)
    if isinstance(node, ex.Bin):
        level = _PRECEDENCE[node.op]
        right_level = level + 1 if node.op in "-/" else level
        text = to_text(node.left, level) + _TEXT_OPS[node.op] + to_text(node.right, right_level)
        return f"({text})" if level < parent else text
    args = ", ".join(to_text(a) for a in node.args)
    return f"Σ_i ({args})" if node.func == "sum" else f"{node.func}({args})"


def _latex_symbol(name: str) -> str:
    base, sep, sub = name.partition("_")
    return f"\\mathit{{{base}}}_{{{sub}}}" if sep else f"\\mathit{{{base}}}"


def to_latex(node: ex.Node, parent: int = 0) -> str:
    """LaTeX with subscripts (``EG_{i,p}``) and fractions, for KaTeX/MathJax rendering."""
    if isinstance(node, ex.Num):
        return f"{node.value:g}"
    if isinstance(node, ex.Sym):
        return _latex_symbol(node.name)
    if isinstance(node, ex.Unary):
        return "-" + to_latex(node.operand, 3)
    if isinstance(node, ex.Bin):
        if node.op == "/":
            return f"\\frac{{{to_latex(node.left)}}}{{{to_latex(node.right)}}}"
        level = _PRECEDENCE[node.op]
        sign = {"+": " + ", "-": " - ", "*": " \\times "}[node.op]
        right = to_latex(node.right, level + 1 if node.op == "-" else level)
        text = to_latex(node.left, level) + sign + right
        return f"\\left({text}\\right)" if level < parent else text
    args = ", ".join(to_latex(a) for a in node.args)
    if node.func == "sum":
        return f"\\sum_{{i}} \\left({args}\\right)"
    return f"\\{node.func}\\left({args}\\right)" if node.func != "exp" else f"e^{{{args}}}"
