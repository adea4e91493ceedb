"""A refusal names the grant in words (issue 15): the role's title and the call's title, never their codes.

A reviewer of one call who opens another call's review is told which grant they hold and what
it does not cover, in the reader's language, on the page and in the API's problem detail.
"""

from __future__ import annotations

import itertools
import re
from html import unescape

import httpx

from c3p.accounts.rules.policy import Actor
from c3p.workflow.service import calls
from tests.conftest import LiveServer
from tests.integration.web import test_workflow_forms
from tests.integration.web.test_application_documents import visitor
from tests.integration.web.test_public_text import japanese_page_english
from tests.support.accounts import create_token
from tests.support.workflow import acting, create_person, new_call

server = test_workflow_forms.server  # the same live server fixture, one per module
YEARS = itertools.count(2081)


def two_calls(server: LiveServer) -> tuple[calls.CallView, calls.CallView]:
    database = server.database  # type: ignore[attr-defined]
    with acting(database, Actor.operator()) as session:
        opened = [calls.open_call(session, Actor.operator(), new_call(next(YEARS))) for _ in range(2)]
        return calls.call_view(session, opened[0]), calls.call_view(session, opened[1])


def refusal_detail(html: str) -> str:
    found = re.search(r'id="refusal-detail">(.*?)</p>', html, re.S)
    assert found, "no refusal on the page"
    return unescape(found.group(1))


def test_a_reviewer_of_one_call_is_told_in_words_which_grant_does_not_cover_another(server: LiveServer) -> None:
    theirs, other = two_calls(server)
    reviewer = create_person(server.database, "reviewer", theirs.slug)  # type: ignore[attr-defined]
    browser = visitor(server, reviewer)
    said = {
        "ja": ("審査員", theirs.title_ja, other.title_ja),
        "en": ("Reviewer", theirs.title_en, other.title_en),
    }
    for language, (role, held, asked) in said.items():
        page = browser.client.get(f"/calls/{other.slug}/review", params={"lang": language})
        assert page.status_code == 403
        detail = refusal_detail(page.text)
        assert role in detail and held in detail and asked in detail, detail
        assert detail.index(held) < detail.index(asked)  # the grant held, then what was asked
        assert "reviewer" not in detail and theirs.slug not in detail and other.slug not in detail, detail
        if language == "ja":
            assert not japanese_page_english(page.text), detail


def test_the_api_refusal_names_the_grant_in_words_too(server: LiveServer) -> None:
    theirs, other = two_calls(server)
    reviewer = create_person(server.database, "reviewer", theirs.slug)  # type: ignore[attr-defined]
    token = create_token(server.database, reviewer.email, "program.review.read")  # type: ignore[attr-defined]
    bearer = {"authorization": f"Bearer {token}"}
    answer = httpx.get(f"{server.url}/api/v1/reviews/{other.slug}", headers=bearer, timeout=30)
    assert answer.status_code == 403 and answer.headers["content-type"].startswith("application/problem+json")
    detail = answer.json()["detail"]
    assert f"your role Reviewer for call “{theirs.title_en}” does not cover call “{other.title_en}”" in detail
    assert httpx.get(f"{server.url}/api/v1/reviews/{theirs.slug}", headers=bearer, timeout=30).status_code == 200
