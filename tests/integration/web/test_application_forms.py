"""The application forms over real HTTP: every problem on the form, in the reader's language, typed values kept.

Defect of issue 14 (fails on the base commit): a bad draft landed on the generic "A filter or
parameter is not valid" page, which named the CLI's ``--scope``, and lost what was typed.
"""

from __future__ import annotations

import html
import re
import uuid

import pytest

from c3p.accounts.rules.policy import Actor
from c3p.db import tables as t
from c3p.workflow.service import calls
from tests.conftest import LiveServer
from tests.integration.web import test_workflow_forms
from tests.integration.web.test_workflow_forms import CSRF, Visitor, field_error
from tests.support.workflow import new_call

GENERIC = ("A filter or parameter is not valid", "--scope", "絞り込み条件")

server = test_workflow_forms.server  # the same live server fixture, one per module


@pytest.fixture(scope="module")
def call(server: LiveServer) -> str:
    with server.database.unit_of_work() as session:  # type: ignore[attr-defined]
        return calls.open_call(session, Actor.operator(), new_call(2090)).slug


@pytest.fixture
def proposer(server: LiveServer) -> Visitor:
    return Visitor(server, "proposer")


def start(visitor: Visitor, call: str, title: str = "下書き") -> str:
    started = visitor.post(f"/calls/{call}", f"/calls/{call}/applications", {"title_ja": title})
    assert started.status_code == 303, started.text[:500]
    return str(started.headers["location"])


def post_in_japanese(visitor: Visitor, page: str, action: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    token = CSRF.search(visitor.client.get(f"{page}?lang=ja").text)
    assert token
    return visitor.client.post(action, data={**data, "csrf_token": token.group(1)})


def stored(server: LiveServer, path: str) -> t.Application:
    with server.database.reading() as session:  # type: ignore[attr-defined]
        row = session.get(t.Application, int(path.rsplit("/", 1)[1]))
        assert row is not None
        session.expunge(row)
        return row


def draft_fields(**changes: str) -> dict[str, str]:
    return {
        "title_ja": "バンコク省エネ",
        "title_en": "Efficiency in Bangkok",
        "plan": "Year 1: study",
        "fields_present": "1",
        "plan_years": "2",
        "budget_jpy_by_year": "20,000,000; 18,000,000",
        **changes,
    }


def test_a_bad_budget_is_shown_next_to_the_field_in_japanese_with_the_typed_values(
    server: LiveServer,
    proposer: Visitor,
    call: str,
) -> None:
    path = start(proposer, call)
    answer = post_in_japanese(proposer, path, path, draft_fields(budget_jpy_by_year="20,000,000; 千八百万"))
    assert answer.status_code == 422
    page = answer.text
    assert not [text for text in GENERIC if text in page]
    assert '<html lang="ja">' in page
    assert "1年度ごとに円の整数をセミコロンで区切って入力してください。" in field_error(
        page, "draft", "budget_jpy_by_year"
    )
    assert 'value="20,000,000; 千八百万"' in page  # what was typed stays in the field
    assert 'value="Efficiency in Bangkok"' in page and "Year 1: study</textarea>" in page
    assert stored(server, path).title_en == ""  # nothing was saved


def test_a_plan_too_long_is_shown_next_to_its_field(server: LiveServer, proposer: Visitor, call: str) -> None:
    path = start(proposer, call)
    answer = proposer.post(path, path, draft_fields(plan_years="12"))
    assert answer.status_code == 422
    assert "The value is out of range." in field_error(answer.text, "draft", "plan_years")
    assert 'value="12"' in answer.text


def test_unknown_choices_are_named_on_the_form(server: LiveServer, proposer: Visitor, call: str) -> None:
    path = start(proposer, call)
    answer = proposer.post(path, path, draft_fields(partner_places_present="1", partner_places="atlantis"))
    assert answer.status_code == 422
    assert 'id="draft-problem"' in answer.text or 'id="draft-partner_places-error"' in answer.text
    assert "atlantis" in answer.text
    assert not [text for text in GENERIC if text in answer.text]


def test_an_incomplete_submission_says_what_is_missing_on_the_page(
    server: LiveServer,
    proposer: Visitor,
    call: str,
) -> None:
    path = start(proposer, call)
    answer = post_in_japanese(proposer, path, f"{path}/submit", {})
    assert answer.status_code == 422
    problem = re.search(r'id="submit-problem".*?</div>', answer.text, re.S)
    assert problem, answer.text[:2000]
    assert "実施計画" in html.unescape(problem.group(0))
    assert stored(server, path).state == "draft"


def test_an_upload_without_a_file_or_of_a_wrong_type_is_shown_next_to_the_file(
    server: LiveServer,
    proposer: Visitor,
    call: str,
) -> None:
    path = start(proposer, call)
    token = CSRF.search(proposer.page(path).text).group(1)  # type: ignore[union-attr]
    files = {"file": ("tool.exe", b"MZ\x90\x00", "application/octet-stream")}
    answer = proposer.client.post(
        f"{path}/attachments", data={"kind": "budget_sheet", "csrf_token": token}, files=files
    )
    assert answer.status_code == 422
    assert ".exe" in field_error(answer.text, "upload", "file")
    assert '<option value="budget_sheet" selected>' in answer.text
    assert not [text for text in GENERIC if text in answer.text]


def test_a_stranger_cannot_save_into_someone_elses_draft(server: LiveServer, proposer: Visitor, call: str) -> None:
    path = start(proposer, call, f"秘密の下書き {uuid.uuid4().hex[:4]}")
    stranger = Visitor(server, "proposer")
    token = CSRF.search(stranger.page("/calls").text).group(1)  # type: ignore[union-attr]
    answer = stranger.client.post(path, data={**draft_fields(), "csrf_token": token})
    assert answer.status_code in (403, 404)
    assert "Efficiency in Bangkok" not in answer.text
    assert stored(server, path).title_en == ""
