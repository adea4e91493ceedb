"""Phone tables: every body cell of a data table is named by its column's visible header."""

from __future__ import annotations

import re

from c3p.web.stacked_tables import stack_labels

HEAD = (
    '<thead><tr><th scope="col"><a class="sort" href="?sort=title">Title<span class="sort-mark" aria-hidden="true"> ⇅'
    '</span><span class="visually-hidden"> (activate to sort)</span></a></th>'
    '<th scope="col" class="num">Projects</th><th scope="col">Note "quoted" &amp; more</th></tr></thead>'
)


def labels(html: str) -> list[str | None]:
    return [
        m.group(2) for m in re.finditer(r"<t([dh])\b(?:[^>]*?data-label=\"([^\"]*)\")?[^>]*>", html.split("<tbody>")[1])
    ]


def test_each_cell_gets_its_headers_visible_words() -> None:
    html = stack_labels(
        f'<table class="data" id="results">{HEAD}<tbody>'
        '<tr><th scope="row">A</th><td class="num">1</td><td>x</td></tr>'
        '<tr><td>B</td><td class="num">2</td><td>y</td></tr></tbody></table>'
    )
    assert labels(html) == ["Title", "Projects", "Note &quot;quoted&quot; &amp; more"] * 2


def test_other_tables_and_tables_without_a_header_are_left_alone() -> None:
    plain = f"<table>{HEAD}<tbody><tr><td>A</td><td>1</td><td>x</td></tr></tbody></table>"
    headless = '<table class="data"><tbody><tr><td>A</td></tr></tbody></table>'
    assert str(stack_labels(plain + headless)) == plain + headless


def test_a_row_with_more_cells_than_headers_and_an_existing_label() -> None:
    html = stack_labels(
        f'<table class="data">{HEAD}<tbody><tr><td data-label="Own">A</td><td>1</td><td>x</td><td>extra</td></tr>'
        "</tbody></table>"
    )
    assert labels(html) == ["Own", "Projects", "Note &quot;quoted&quot; &amp; more", ""]


def test_every_data_table_of_a_page_is_labelled() -> None:
    table = f'<table class="data">{HEAD}<tbody><tr><td>A</td><td>1</td><td>x</td></tr></tbody></table>'
    html = stack_labels(f"<main><h1>T</h1>{table}<p>between</p>{table}</main>")
    assert html.count('data-label="Title"') == 2
    assert "<p>between</p>" in html
