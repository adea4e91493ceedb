"""Data tables that a phone can read: each body cell carries its column's name.

Below 640 px the stylesheet shows every row of a ``table.data`` as a card, and each cell
names itself with ``content: attr(data-label)``. Writing ``data-label`` by hand in every
template would repeat each header and drift from it; this filter copies the visible text of
each ``<thead>`` cell onto the cells below it, once, when the page is rendered.
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

from markupsafe import Markup

DATA_TABLE = re.compile(r"<table\b[^>]*\bclass=\"[^\"]*\bdata\b[^\"]*\"[^>]*>.*?</table>", re.S)
HEAD = re.compile(r"<thead\b.*?</thead>", re.S)
HEAD_CELL = re.compile(r"<th\b[^>]*>(.*?)</th>", re.S)
BODY = re.compile(r"<tbody\b.*?</tbody>", re.S)
ROW = re.compile(r"<tr\b.*?</tr>", re.S)
BODY_CELL = re.compile(r"<t([dh])\b([^>]*)>")


class _VisibleText(HTMLParser):
    """The text a sighted reader sees in a header cell: no screen-reader-only or decorative parts."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        hides = "visually-hidden" in (named.get("class") or "").split() or named.get("aria-hidden") == "true"
        if self.hidden_depth or hides:
            self.hidden_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.hidden_depth:
            self.hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth:
            self.parts.append(data)


def visible_text(cell_html: str) -> str:
    """The header's words, without its sort mark and screen-reader hints.

    >>> visible_text('Title<span aria-hidden="true"> ⇅</span><span class="visually-hidden"> (sort)</span>')
    'Title'
    """
    parser = _VisibleText()
    parser.feed(cell_html)
    return " ".join("".join(parser.parts).split())


def _label_rows(body: str, labels: list[str]) -> str:
    def label_row(row: re.Match[str]) -> str:
        column = iter(labels)

        def label_cell(cell: re.Match[str]) -> str:
            label = next(column, "")  # a cell labelled by hand keeps its label, and its column
            if "data-label=" in cell.group(2):
                return cell.group(0)
            return f'<t{cell.group(1)} data-label="{escape(label)}"{cell.group(2)}>'

        return BODY_CELL.sub(label_cell, row.group(0))

    return ROW.sub(label_row, body)


def _label_table(table: re.Match[str]) -> str:
    html = table.group(0)
    head = HEAD.search(html)
    if head is None:
        return html
    labels = [visible_text(cell) for cell in HEAD_CELL.findall(head.group(0))]
    return BODY.sub(lambda body: _label_rows(body.group(0), labels), html)


def stack_labels(html: str) -> Markup:
    """``html`` with every body cell of its data tables labelled by its column header.

    >>> html = stack_labels('<table class="data"><thead><tr><th>Name</th><th>Count</th></tr></thead>'
    ...                     '<tbody><tr><td>A</td><td>1</td></tr></tbody></table>')
    >>> re.findall(r"<td[^>]*>", html)
    ['<td data-label="Name">', '<td data-label="Count">']
    """
    return Markup(DATA_TABLE.sub(_label_table, str(html)))
