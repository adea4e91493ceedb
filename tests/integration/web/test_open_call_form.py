"""The form that opens a call refuses bad input in place (issue 14, point 7).

It answered a generic error page for a bad date or year, and 500 for a budget that is not a
number; now each problem is shown next to its field, in the reader's language, with everything
typed kept and no call opened.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest

from c3p.workflow.service import calls
from tests.conftest import LiveServer
from tests.integration.web import test_call_setup_pages, test_workflow_forms
from tests.integration.web.test_call_setup_pages import JST
from tests.integration.web.test_workflow_forms import Visitor

server = test_workflow_forms.server  # the same live server fixture, one per module
secretariat = test_call_setup_pages.secretariat  # a signed-in secretariat, one per module
YEARS = itertools.count(2090)


def typed(**changes: str) -> dict[str, str]:
    closes = (dt.datetime.now(JST) + dt.timedelta(days=30)).strftime("%Y-%m-%dT17:00")
    return {"fiscal_year": str(next(YEARS)), "title_en": "A call typed with care", "closes_at": closes, **changes}


def field_error(text: str, name: str) -> str:
    found = re.search(rf'id="open-{name}-error">(.*?)</span><br>', text, re.S)
    assert found, name
    return found.group(1)


def call_count(server: LiveServer) -> int:
    with server.database.reading() as session:  # type: ignore[attr-defined]
        return len(calls.list_calls(session))


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("max_budget_jpy_per_year", "twenty million", "Enter a whole number"),
        ("max_budget_jpy_per_year", "-5", "more than 0"),
        ("closes_at", "next Friday", "Give a date and time"),
        ("fiscal_year", "1999", "at least 2013"),
    ],
)
def test_a_bad_value_is_refused_next_to_its_field_with_the_form_as_typed(
    server: LiveServer, secretariat: Visitor, field: str, value: str, words: str
) -> None:
    before = call_count(server)
    values = typed(**{field: value})
    answer = secretariat.post("/calls", "/calls", values)
    assert answer.status_code == 422
    assert words in field_error(answer.text, field)
    assert 'value="A call typed with care"' in answer.text
    assert f'value="{value}"' in answer.text
    assert call_count(server) == before


def test_the_refusal_speaks_japanese_to_a_japanese_reader(server: LiveServer, secretariat: Visitor) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', secretariat.page("/calls").text)
    assert token
    values = {**typed(max_budget_jpy_per_year="二千万"), "csrf_token": token.group(1)}
    answer = secretariat.client.post("/calls?lang=ja", data=values)
    assert answer.status_code == 422
    assert "整数" in field_error(answer.text, "max_budget_jpy_per_year")


def test_a_good_form_still_opens_the_call_in_japan_time(server: LiveServer, secretariat: Visitor) -> None:
    values = typed(max_budget_jpy_per_year="２０,０００,０００")
    answer = secretariat.post("/calls", "/calls", values)
    assert answer.status_code == 303
    slug = f"{values['fiscal_year']}-1"
    with server.database.reading() as session:  # type: ignore[attr-defined]
        call = calls.call_by_slug(session, slug)
        assert call.max_budget_jpy_per_year == 20_000_000
        assert calls.aware(call.closes_at).astimezone(JST).strftime("%Y-%m-%dT%H:%M") == values["closes_at"]
