"""Over real HTTP on both backends: cookies, CSRF, lockout, tokens, refusals and the history API."""

from __future__ import annotations

import re
import time
import uuid

import httpx
import pytest
from sqlalchemy import select

from c3p.accounts.tables import SecurityEvent, User
from tests.support.accounts import PASSWORD, create_token, create_user

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def browser(server) -> httpx.Client:  # type: ignore[no-untyped-def]
    return httpx.Client(base_url=server.url, timeout=30, follow_redirects=False)


def form_token(client: httpx.Client) -> str:
    return CSRF.search(client.get("/sign-in").text).group(1)  # type: ignore[union-attr]


def sign_in(client: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    token = form_token(client)
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def email(accounts_server) -> str:  # type: ignore[no-untyped-def]
    address = f"u{uuid.uuid4().hex[:8]}@example.org"
    create_user(accounts_server.database, address, "proposer")
    return address


def test_session_cookie_is_http_only_same_site_and_sign_out_ends_it(accounts_server, email: str) -> None:  # type: ignore[no-untyped-def]
    with browser(accounts_server) as client:
        response = sign_in(client, email)
        assert response.status_code == 303 and response.headers["location"] == "/account"
        cookie = next(v for v in response.headers.get_list("set-cookie") if v.startswith("c3p_session="))
        assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
        assert client.get("/api/v1/me").json()["user"]["email"] == email
        client.post("/sign-out", data={"csrf_token": form_token(client)})
        assert client.get("/api/v1/me").json()["authenticated"] is False


def test_missing_or_forged_csrf_is_refused_recorded_and_changes_nothing(accounts_server, email: str) -> None:  # type: ignore[no-untyped-def]
    with browser(accounts_server) as client:
        sign_in(client, email)
        for token in (None, "forged" * 10):
            data = {"language": "en"} | ({"csrf_token": token} if token else {})
            response = client.post("/account/language", data=data, headers={"accept": "text/html"})
            assert response.status_code == 403 and "セキュリティトークンがないか" in response.text  # in Japanese
        # the API with a session cookie needs the header too
        assert client.patch("/api/v1/me", json={"language": "en"}).status_code == 403
    with accounts_server.database.reading() as session:
        assert session.scalars(select(User.language).where(User.email == email)).one() == "ja"
        details = session.scalars(select(SecurityEvent.detail).where(SecurityEvent.email == email)).all()
    assert sum("security token" in detail for detail in details) == 3


def test_wrong_password_and_lockout_over_http(accounts_server, email: str) -> None:  # type: ignore[no-untyped-def]
    with browser(accounts_server) as client:
        for _ in range(accounts_server.settings.sign_in_max_failures):
            response = sign_in(client, email, "not the right password")
            assert response.status_code == 401 and "パスワードが正しくありません" in response.text
        locked = sign_in(client, email)
        assert locked.status_code == 429 and "ロックされています" in locked.text
        assert client.get("/api/v1/me").json()["authenticated"] is False


def test_sign_out_everywhere_ends_every_session(accounts_server, email: str) -> None:  # type: ignore[no-untyped-def]
    with browser(accounts_server) as phone, browser(accounts_server) as laptop:
        sign_in(phone, email)
        sign_in(laptop, email)
        laptop.post("/sign-out-everywhere", data={"csrf_token": form_token(laptop)})
        assert phone.get("/api/v1/me").json()["authenticated"] is False


def test_bearer_tokens(accounts_server, email: str) -> None:  # type: ignore[no-untyped-def]
    token = create_token(accounts_server.database, email, "users.update")
    with httpx.Client(base_url=accounts_server.url + "/api/v1", timeout=30) as api:
        me = api.get("/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["via"] == "token" and me["token_scopes"] == ["users.update"]
        changed = api.patch("/me", json={"language": "en"}, headers={"Authorization": f"Bearer {token}"})
        assert changed.status_code == 200 and changed.json()["language"] == "en"
        out_of_scope = api.get("/tokens", headers={"Authorization": f"Bearer {token}"})
        assert out_of_scope.status_code == 403 and "API token may not" in out_of_scope.json()["detail"]
        for header in ("Bearer c3p_nonsense", "Basic dXNlcjpwYXNz", f"Bearer {token}x"):
            refused = api.get("/me", headers={"Authorization": header})
            assert refused.status_code == 401
            assert refused.headers["content-type"].startswith("application/problem+json")


def test_refusals_are_problem_json_for_the_api_and_pages_for_people(accounts_server) -> None:  # type: ignore[no-untyped-def]
    with browser(accounts_server) as client:
        api = client.post("/api/v1/users", json={})
        assert api.status_code == 401 and api.json()["title"] == "Authentication required"
        page = client.get("/admin", headers={"accept": "text/html"})
        assert page.status_code == 401 and 'href="/sign-in?next=' in page.text


def test_private_records_do_not_leak_existence(accounts_server, email: str) -> None:  # type: ignore[no-untyped-def]
    token = create_token(accounts_server.database, email, "users.*", "history.read")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=accounts_server.url + "/api/v1", timeout=30, headers=headers) as api:
        existing, missing = api.get("/users/1"), api.get("/users/99999")
        assert existing.status_code == missing.status_code == 403
        assert existing.json()["detail"] == missing.json()["detail"]
        assert api.get("/history", params={"table": "users", "key": "99999"}).status_code == 403


def test_history_api_shows_who_changed_what(accounts_server) -> None:  # type: ignore[no-untyped-def]
    admin = f"admin{uuid.uuid4().hex[:6]}@example.org"
    create_user(accounts_server.database, admin, "administrator")
    token = create_token(accounts_server.database, admin, "users.*", "history.read", "organizations.update")
    with httpx.Client(base_url=accounts_server.url + "/api/v1", timeout=30) as api:
        api.headers["Authorization"] = f"Bearer {token}"
        organization = api.patch("/member-organizations/acme", json={"website": "https://acme.example"}).json()
        history = api.get("/history", params={"table": "member_organizations", "key": organization["id"]}).json()
    assert history[0]["actor"] == admin
    assert history[0]["changes"]["website"][1] == "https://acme.example"


def test_two_factor_set_up_shows_a_qr_code_of_the_key_then_sign_in_asks_for_a_code(accounts_server, email: str) -> None:  # type: ignore[no-untyped-def]
    import pyotp
    import segno

    with browser(accounts_server) as client:
        sign_in(client, email)
        client.post("/account/totp/begin", data={"csrf_token": form_token(client)})
        page = client.get("/account/totp", headers={"accept": "text/html"}).text
        secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)  # type: ignore[union-attr]
        uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name="C3P")
        qr = re.search(r'<figure id="totp-qr"[^>]*>(<svg.*?</svg>)</figure>', page, re.S).group(1)  # type: ignore[union-attr]
        assert qr == segno.make(uri, error="m").svg_inline(scale=4, border=2, omitsize=True)
        assert "<script" not in qr and secret not in qr  # the key is drawn, never written out in the image
        confirmed = client.post("/account/totp/confirm", data={"csrf_token": form_token(client), "code": "000000"})
        assert confirmed.status_code == 422  # a wrong code leaves two-factor off
        client.post("/account/totp/confirm", data={"csrf_token": form_token(client), "code": pyotp.TOTP(secret).now()})
    with browser(accounts_server) as fresh:
        assert sign_in(fresh, email).status_code == 401  # the password alone no longer signs in
        token = form_token(fresh)
        answer = fresh.post(
            "/sign-in",
            # the code of the next 30-second step: the one just used to confirm cannot be replayed
            data={
                "email": email,
                "password": PASSWORD,
                "code": pyotp.TOTP(secret).at(time.time() + 30),
                "csrf_token": token,
            },
        )
        assert answer.status_code == 303
        assert fresh.get("/api/v1/me").json()["authenticated"] is True
