"""The language follows the reader: sign-in keeps it, a new account is given one, and a browser
that asks for neither Japanese nor English reads English. Over real HTTP on both backends."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import func, select

from c3p.accounts.tables import User
from tests.integration.accounts.test_accounts_http import browser, form_token, sign_in
from tests.support.accounts import create_user

HTML_LANG = re.compile(r'<html[^>]*\blang="([a-z]+)"')


def page_language(response: httpx.Response) -> str:
    found = HTML_LANG.search(response.text)
    assert found, response.text[:500]
    return found.group(1)


def stored_language(server, email: str) -> str:  # type: ignore[no-untyped-def]
    with server.database.reading() as session:
        return str(session.scalar(select(User.language).where(User.email == email)))


def new_email() -> str:
    return f"u{uuid.uuid4().hex[:8]}@example.org"


@pytest.mark.parametrize("language", ["en", "ja"])
def test_signing_in_keeps_the_language_the_reader_was_reading(accounts_server, language: str) -> None:  # type: ignore[no-untyped-def]
    email = new_email()
    create_user(accounts_server.database, email, "proposer")
    other = "ja" if language == "en" else "en"
    with accounts_server.database.unit_of_work() as session:  # the account last stored the other one
        session.execute(User.__table__.update().where(User.email == email).values(language=other))
    with browser(accounts_server) as client:
        assert page_language(client.get("/sign-in", params={"lang": language})) == language
        assert sign_in(client, email).status_code == 303
        assert page_language(client.get("/account")) == language
        assert page_language(client.get("/projects")) == language
    assert stored_language(accounts_server, email) == language  # mail and notifications follow


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("fr-FR,fr;q=0.9", "en"),
        ("zh-CN", "en"),
        ("ko", "en"),
        ("en-US,en;q=0.8", "en"),
        ("ja-JP,ja;q=0.9,en;q=0.5", "ja"),
        ("ja", "ja"),
        ("de-DE,ja;q=0.5", "ja"),
        ("*", "ja"),  # states no language: the default
        ("", "ja"),
    ],
)
def test_a_browser_asking_for_neither_language_reads_english(
    accounts_server,
    accept_language: str,
    expected: str,  # type: ignore[no-untyped-def]
) -> None:
    with browser(accounts_server) as client:
        response = client.get("/", headers={"accept-language": accept_language})
    assert page_language(response) == expected


@contextmanager
def _admin(server) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    email = new_email()
    create_user(server.database, email, "administrator")
    with browser(server) as client:
        assert sign_in(client, email).status_code == 303
        yield client


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_admin_gives_a_new_user_a_language(accounts_server, language: str) -> None:  # type: ignore[no-untyped-def]
    email = new_email()
    with _admin(accounts_server) as client:
        form = client.get("/admin", params={"lang": "ja"}).text
        assert 'name="language"' in form
        data = {"email": email, "organization": "acme", "language": language, "csrf_token": form_token(client)}
        response = client.post("/admin/users", data=data)
    assert response.status_code == 303, response.text[-1500:]
    assert stored_language(accounts_server, email) == language


def test_a_new_user_in_an_unknown_language_is_refused_and_not_created(accounts_server) -> None:  # type: ignore[no-untyped-def]
    email = new_email()
    with _admin(accounts_server) as client:
        data = {"email": email, "organization": "acme", "language": "fr", "csrf_token": form_token(client)}
        response = client.post("/admin/users", data=data, params={"lang": "en"})
    assert response.status_code == 422
    assert "language must be one of ja, en" in response.text
    with accounts_server.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(User).where(User.email == email)) == 0
