"""Readable forms of equations: plain text with document signs, LaTeX, and HTML.

The HTML form lets the portal show equations the way a methodology document prints them
(italic symbols with subscripts, Σ over sites, stacked fractions) with no script and no
CDN: elements and classes only (``<var>``, ``<sub>``, ``span.frac``), styled by the
portal's CSS. Every piece of text is escaped here, so the result is safe to embed.
"""

from __future__ import annotations

from html import escape

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


_HTML_OPS = {"+": " + ", "-": " − ", "*": " × "}


def symbol_html(name: str) -> str:
    """``EG_i,p`` -> ``<var>EG</var><sub>i,p</sub>`` (``EC_{PJ,i,p}`` and ``EC_PJ_i_p`` alike).

    >>> symbol_html("EF_RE,i")
    '<var>EF</var><sub>RE,i</sub>'
    """
    base, sep, sub = name.replace("{", "").replace("}", "").partition("_")
    if not sep:
        return f"<var>{escape(base)}</var>"
    return f"<var>{escape(base)}</var><sub>{escape(sub.replace('_', ','))}</sub>"


def _number_html(value: float) -> str:
    mantissa, e, exponent = f"{value:g}".partition("e")
    if not e:
        return f'<span class="num">{mantissa}</span>'
    power = str(int(exponent)).replace("-", "−")
    return f'<span class="num">{mantissa}×10<sup>{power}</sup></span>'


def to_html(node: ex.Node, parent: int = 0) -> str:
    """Equation HTML: ``sum(EG_i,p * EF_RE,i)`` -> Σ<sub>i</sub> EG<sub>i,p</sub> × EF<sub>RE,i</sub>.

    Division is a stacked fraction (``span.frac`` with ``span.frac-num``/``span.frac-den``),
    so it needs no parentheses; ``+``/``−`` inside a product or Σ get them.

    >>> to_html(ex.parse("a / (b + c)")).replace('<span class="frac-', "<")
    '<span class="frac"><num"><var>a</var></span><den"><var>b</var> + <var>c</var></span></span>'
    """
    if isinstance(node, ex.Num):
        return _number_html(node.value)
    if isinstance(node, ex.Sym):
        return symbol_html(node.name)
    if isinstance(node, ex.Unary):
        return "−" + to_html(node.operand, 3)
    if isinstance(node, ex.Bin):
        if node.op == "/":
            return (f'<span class="frac"><span class="frac-num">{to_html(node.left)}</span>'
                    f'<span class="frac-den">{to_html(node.right)}</span></span>')  # fmt: skip
        level = _PRECEDENCE[node.op]
        right_level = level + 1 if node.op == "-" else level
        text = to_html(node.left, level) + _HTML_OPS[node.op] + to_html(node.right, right_level)
        return f'<span class="paren">(</span>{text}<span class="paren">)</span>' if level < parent else text
    args = ", ".join(to_html(a) for a in node.args)
    if node.func == "sum":
        return f'<span class="sum">Σ<sub>i</sub></span> {to_html(node.args[0], 2)}'
    return f'<span class="func">{node.func}</span><span class="paren">(</span>{args}<span class="paren">)</span>'


def equation_html(symbol: str, node: ex.Node) -> str:
    """The whole line ``RE_p = …`` as HTML."""
    return f'{symbol_html(symbol)} <span class="eq-sign">=</span> {to_html(node)}'
