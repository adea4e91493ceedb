"""Anonymous visitors see what was done, not who did it nor which files hold it."""

from __future__ import annotations

from starlette.requests import Request

from c3p.web.pages.render import environment, shown_to, shown_value


def anonymous() -> Request:
    return Request({"type": "http", "method": "GET", "path": "/calls/1", "headers": [], "query_string": b""})


def test_addresses_and_the_server_account_are_hidden_from_anonymous_visitors() -> None:
    request = anonymous()
    assert shown_to(request, "tanaka@iges.or.jp on behalf of sato@city.kitakyushu.jp") == (
        "…@iges.or.jp on behalf of …@city.kitakyushu.jp"
    )
    assert shown_to(request, "operator:root") == "operator"
    assert shown_value(request, "sha256", "9f86d081884c7d65") == "…"
    assert shown_value(request, "filename", "board-minutes-draft.pdf") == "…"
    assert shown_value(request, "title", "Solar rooftops") == "Solar rooftops"
    assert shown_value(request, "closes_at", None) == "—"


def test_the_history_table_uses_them() -> None:
    entry = {
        "occurred_at": __import__("datetime").datetime(2026, 12, 5, 9, 0),
        "actor": "tanaka@iges.or.jp",
        "operation": "insert",
        "changes": {"sha256": [None, "9f86d081884c7d65"], "submitted_by": [None, "tanaka@iges.or.jp"]},
    }
    html = environment("en").get_template("accounts/_history.html").render(request=anonymous(), history=[entry])
    assert "tanaka@" not in html and "9f86d081884c7d65" not in html
    assert "…@iges.or.jp" in html
