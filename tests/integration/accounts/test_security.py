"""Attacks that must fail: poisoned reset links, endless lockouts, token escalation, big bodies, bad ids."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from c3p.accounts.service import api_tokens, signin
from c3p.accounts.service import members as svc
from c3p.db.database import Database
from c3p.db.history import entries_for
from c3p.errors import Unauthenticated
from c3p.settings import Settings
from tests.conftest import LiveServer
from tests.integration.accounts.test_accounts_http import form_token, sign_in
from tests.support.accounts import PASSWORD, create_token, create_user

NEW_PASSWORD = "an entirely new passphrase"
PDF = b"%PDF-1.4\n%%EOF\n"
#: what a request can write: a token, an attachment, a security event, the history of any of them
ROW_COUNTS = ("api_tokens", "attachments", "security_events", "history")


def _address(prefix: str = "u") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.org"


def _outbox_links(outbox: Path, count: int) -> list[str]:
    deadline = time.monotonic() + 10
    while len(list(outbox.glob("*.eml"))) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    paths = sorted(outbox.glob("*.eml"), key=lambda path: path.stat().st_mtime)
    return [_content(path) for path in paths]


def _content(path: Path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return message.get_content()  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def public_server(new_database_url, tmp_path: Path) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    from c3p.web.app import create_app

    database = Database(new_database_url("sqlite"))
    database.upgrade()
    settings = Settings(
        data_dir=tmp_path, database_url=database.url, cookie_secure=False, public_url="https://c3p.example.org/"
    )
    server = LiveServer(create_app(settings, database), tmp_path).start()
    server.database = database  # type: ignore[attr-defined]
    server.settings = settings  # type: ignore[attr-defined]
    yield server
    server.stop()
    database.dispose()


def test_a_reset_link_never_follows_the_host_header(accounts_server) -> None:  # type: ignore[no-untyped-def]
    email = _address()
    create_user(accounts_server.database, email)
    outbox = accounts_server.settings.resolved_outbox_dir
    before = len(list(outbox.glob("*.eml")))
    with httpx.Client(base_url=accounts_server.url, timeout=30) as client:
        token = form_token(client)
        client.post("/password-reset", data={"email": email, "csrf_token": token}, headers={"host": "evil.example.com"})
    [message] = _outbox_links(outbox, before + 1)[before:]
    assert "evil.example.com" not in message
    assert f"{accounts_server.settings.base_url}/password-reset/confirm?token=" in message


def test_the_public_url_makes_the_links_and_other_hosts_are_refused(public_server) -> None:  # type: ignore[no-untyped-def]
    email = _address()
    create_user(public_server.database, email)
    with httpx.Client(base_url=public_server.url, timeout=30) as client:
        assert client.get("/", headers={"host": "evil.example.com"}).status_code == 400
        page = client.get("/")
        assert page.headers["strict-transport-security"].startswith("max-age=")
        client.post("/password-reset", data={"email": email, "csrf_token": form_token(client)})
    [message] = _outbox_links(public_server.settings.resolved_outbox_dir, 1)
    assert "https://c3p.example.org/password-reset/confirm?token=" in message


def test_start_up_explains_a_missing_public_url_and_secure_cookies_over_http() -> None:
    settings = Settings(public_url=None, cookie_secure=True)
    warnings = settings.start_up_warnings("0.0.0.0")
    assert any("C3P_PUBLIC_URL is unset" in w for w in warnings)
    assert any("C3P_COOKIE_SECURE" in w for w in warnings)
    assert settings.start_up_warnings("127.0.0.1") == []
    assert Settings(public_url="https://c3p.example.org").start_up_warnings("0.0.0.0") == []


def _sign_in(database: Database, settings: Settings, email: str, password: str, ip: str = "192.0.2.7"):  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        return signin.sign_in(session, settings, email, password, "", ip)


def test_a_stranger_who_keeps_failing_cannot_keep_an_account_locked(accounts_database: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path, sign_in_max_failures=3, sign_in_max_delay=dt.timedelta(seconds=1))
    email = _address()
    create_user(accounts_database, email)
    for attempt in range(8):
        time.sleep(1.05 if attempt > 3 else 0)  # a patient stranger: one try each time the delay has passed
        _sign_in(accounts_database, settings, email, "not the password!", ip=f"198.51.100.{attempt}")
    refused = _sign_in(accounts_database, settings, email, PASSWORD)
    assert refused.error is not None and refused.error.status == 429
    assert 1 <= refused.error.extra["retry_after"] <= 1
    time.sleep(1.05)
    assert _sign_in(accounts_database, settings, email, PASSWORD).user is not None


def test_a_completed_reset_clears_the_failures(accounts_database: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path, sign_in_max_failures=3)
    email = _address()
    create_user(accounts_database, email)
    for _ in range(6):
        _sign_in(accounts_database, settings, email, "not the password!")
    assert _sign_in(accounts_database, settings, email, PASSWORD).error.status == 429  # type: ignore[union-attr]
    with accounts_database.unit_of_work() as session:
        _, secret = signin.create_password_reset(session, settings, email)  # type: ignore[misc]
    with accounts_database.unit_of_work() as session:
        signin.reset_password(session, secret, NEW_PASSWORD)
    assert _sign_in(accounts_database, settings, email, NEW_PASSWORD, ip="192.0.2.8").user is not None


def test_reset_requests_are_limited_per_account_and_per_address(accounts_database: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path, password_reset_max_per_account=2, password_reset_max_per_ip=4)
    email = _address()
    create_user(accounts_database, email)
    sent = []
    for _ in range(4):
        with accounts_database.unit_of_work() as session:
            signin.record_event(session, "password_reset.requested", email, ip="203.0.113.9")
            sent.append(signin.create_password_reset(session, settings, email, "203.0.113.9") is not None)
    assert sent == [True, True, False, False]
    with accounts_database.unit_of_work() as session:
        signin.record_event(session, "password_reset.requested", email, ip="203.0.113.9")
    with pytest.raises(signin.TooManyAttempts) as refused, accounts_database.unit_of_work() as session:
        signin.create_password_reset(session, settings, email, "203.0.113.9")
    assert refused.value.extra["retry_after"] > 0


def test_a_token_cannot_mint_a_stronger_one(accounts_server) -> None:  # type: ignore[no-untyped-def]
    email = _address()
    create_user(accounts_server.database, email, "administrator")
    weak = create_token(accounts_server.database, email, "tokens.create")
    with httpx.Client(base_url=accounts_server.url, headers={"authorization": f"Bearer {weak}"}, timeout=30) as api:
        stronger = api.post("/api/v1/tokens", json={"name": "x", "scopes": ["users.*", "tokens.*"]})
        assert stronger.status_code == 403, stronger.text
        same = api.post("/api/v1/tokens", json={"name": "x", "scopes": ["tokens.create"]})
        assert same.status_code == 201, same.text


def test_sign_out_everywhere_and_a_reset_revoke_tokens(accounts_server) -> None:  # type: ignore[no-untyped-def]
    email = _address()
    create_user(accounts_server.database, email, "proposer")
    token = create_token(accounts_server.database, email, "users.read")
    with httpx.Client(base_url=accounts_server.url, timeout=30, follow_redirects=False) as client:
        sign_in(client, email)
        client.post("/sign-out-everywhere", data={"csrf_token": form_token(client)})
    with pytest.raises(Unauthenticated, match="revoked"), accounts_server.database.reading() as session:
        api_tokens.token_actor(session, token)
    token = create_token(accounts_server.database, email, "users.read")
    with accounts_server.database.unit_of_work() as session:
        _, secret = signin.create_password_reset(session, accounts_server.settings, email)  # type: ignore[misc]
    with accounts_server.database.unit_of_work() as session:
        signin.reset_password(session, secret, NEW_PASSWORD)
    with pytest.raises(Unauthenticated, match="revoked"), accounts_server.database.reading() as session:
        api_tokens.token_actor(session, token)


def test_a_token_made_for_someone_else_names_both_in_the_history(accounts_server) -> None:  # type: ignore[no-untyped-def]
    admin, person = _address("admin"), _address("person")
    create_user(accounts_server.database, admin, "administrator")
    person_id = create_user(accounts_server.database, person, "proposer")
    admin_token = create_token(accounts_server.database, admin, "tokens.*", "users.*")
    with httpx.Client(base_url=accounts_server.url, timeout=30) as client:
        made = client.post(
            "/api/v1/tokens",
            json={"name": "for them", "scopes": ["users.*"], "user_id": person_id},
            headers={"authorization": f"Bearer {admin_token}"},
        )
        assert made.status_code == 201, made.text
        changed = client.patch(
            "/api/v1/me", json={"display_name": "Changed"}, headers={"authorization": f"Bearer {made.json()['token']}"}
        )
        assert changed.status_code == 200, changed.text
    with accounts_server.database.reading() as session:
        actors = {entry.actor for entry in entries_for(session, "users", str(person_id))}
    assert f"{admin} on behalf of {person}" in actors


def test_staff_cannot_pass_their_organization_off_as_the_ministry(accounts_server) -> None:  # type: ignore[no-untyped-def]
    email = _address("staff")
    create_user(accounts_server.database, email, "proposer")
    token = create_token(accounts_server.database, email, "organizations.*")
    with httpx.Client(base_url=accounts_server.url, headers={"authorization": f"Bearer {token}"}, timeout=30) as api:
        for change in ({"kind": "secretariat"}, {"name_en": "Ministry of the Environment, Japan"}):
            assert api.patch("/api/v1/member-organizations/acme", json=change).status_code == 403
        assert api.patch("/api/v1/member-organizations/acme", json={"website": "https://acme.example"}).is_success
    with accounts_server.database.reading() as session:
        assert svc.organization_by_slug(session, "acme").kind != "secretariat"  # type: ignore[union-attr]


def test_every_response_carries_the_security_headers(accounts_server) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=accounts_server.url, timeout=30) as client:
        for path in ("/", "/sign-in", "/api/v1/stats", "/no-such-page"):
            headers = client.get(path).headers
            assert "default-src 'self'" in headers["content-security-policy"], path
            assert "frame-ancestors 'none'" in headers["content-security-policy"], path
            assert headers["x-content-type-options"] == "nosniff", path
            assert headers["referrer-policy"], path
        for private in ("/sign-in", "/account/totp", "/account", "/admin", "/api/v1/me"):
            assert client.get(private).headers["cache-control"] == "no-store", private
        assert client.get("/redoc").status_code == 404
        assert "strict-transport-security" not in client.get("/").headers


def test_bodies_are_limited_before_they_are_read(accounts_server) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=accounts_server.url, timeout=30) as client:
        json_type = {"content-type": "application/json"}
        big = client.post(
            "/api/v1/users",
            content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
            headers={"content-type": "application/json"},
        )
        assert big.status_code == 413 and big.headers["content-type"] == "application/problem+json"
        upload = client.post("/api/v1/jcm-projects/x/documents", files={"file": ("a.pdf", b"%PDF-1.4")})
        assert upload.status_code == 401 and upload.headers["content-type"] == "application/problem+json"

        def chunks() -> Iterator[bytes]:
            for _ in range(3):
                yield b" " * (512 * 1024)

        streamed = client.post("/api/v1/subsidy/calculate", content=chunks(), headers=json_type)
        assert streamed.status_code == 413
        stranger = client.post("/api/v1/users", content=chunks(), headers=json_type)
        assert stranger.status_code == 401 and stranger.headers["content-type"] == "application/problem+json"


def test_ids_out_of_range_are_not_found(accounts_server) -> None:  # type: ignore[no-untyped-def]
    email = _address("admin")
    create_user(accounts_server.database, email, "administrator")
    token = create_token(accounts_server.database, email, "users.*")
    with httpx.Client(base_url=accounts_server.url, headers={"authorization": f"Bearer {token}"}, timeout=30) as api:
        for path in (f"/api/v1/users/{2**63}", f"/api/v1/users/{2**70}"):
            response = api.get(path)
            assert response.status_code in (404, 422), (path, response.text)
            assert response.headers["content-type"] == "application/problem+json"


def test_a_disk_that_takes_no_writes_answers_503_and_reads_go_on(new_database_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import event

    from c3p.web.app import create_app

    database = Database(new_database_url("sqlite"))
    database.upgrade()
    email = _address("admin")
    create_user(database, email, "administrator")
    token = create_token(database, email, "users.*")
    database.engine.dispose()
    event.listen(database.engine, "connect", lambda connection, _record: connection.execute("PRAGMA query_only=ON"))
    settings = Settings(data_dir=tmp_path, database_url=database.url, cookie_secure=False)
    server = LiveServer(create_app(settings, database), tmp_path).start()
    try:
        with httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {token}"}, timeout=30) as api:
            me = api.get("/api/v1/me")
            assert me.status_code == 200 and me.json()["user"]["email"] == email, me.text
            refused = api.patch("/api/v1/me", json={"display_name": "New name"})
            assert refused.status_code == 503, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert "read-only" in refused.json()["detail"]
    finally:
        server.stop()
        database.dispose()


@contextmanager
def _limited_server(new_database_url, tmp_path: Path, **limits: str) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    """A client of a live server on a fresh SQLite database with the rate limits ``limits``."""
    from c3p.web.app import create_app

    database = Database(new_database_url("sqlite"))
    database.upgrade()
    settings = Settings(data_dir=tmp_path, database_url=database.url, cookie_secure=False, **limits)
    server = LiveServer(create_app(settings, database), tmp_path).start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            yield client
    finally:
        server.stop()
        database.dispose()


def test_requests_over_the_rate_limits_wait_with_retry_after(new_database_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    limits = {"rate_limit_sensitive": "3/minute", "rate_limit_anonymous": "5/minute"}
    with _limited_server(new_database_url, tmp_path, **limits) as client:
        token = form_token(client)
        tries = [
            client.post("/sign-in", data={"email": "x@example.org", "password": "x", "csrf_token": token})
            for _ in range(4)
        ]
        assert [t.status_code == 429 for t in tries] == [False, False, False, True]
        assert 1 <= int(tries[-1].headers["retry-after"]) <= 60
        # the anonymous API has its own window (LiveServer's start-up probe used one request),
        # a sliding counter that may let one more through when the minute turns
        answers = [client.get("/api/v1/stats").status_code for _ in range(7)]
        assert 429 in answers[4:] and 429 not in answers[:4]


def test_a_setting_of_several_limits_applies_each(new_database_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with _limited_server(new_database_url, tmp_path, rate_limit_anonymous="100/minute;4/hour") as client:
        # LiveServer's start-up probe used one request of the hour's four
        answers = [client.get("/api/v1/countries") for _ in range(4)]
        assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
        # the hour's window, not the minute's: longer than a minute, unless the hour turns sooner (the
        # sliding window counter then weighs the full hour just gone below four, and lets one more in)
        to_the_hours_turn = 3600 - time.time() % 3600
        assert int(answers[-1].headers["retry-after"]) > min(60, to_the_hours_turn - 2)


def test_a_reset_answers_before_its_mail_leaves(new_database_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A mail server that never answers delays nobody: the answer cannot tell an existing account by its time."""
    from c3p.web.app import create_app

    silent = socket.create_server(("127.0.0.1", 0))  # accepts connections, never greets
    database = Database(new_database_url("sqlite"))
    database.upgrade()
    email = _address()
    create_user(database, email)
    smtp = f"smtp://127.0.0.1:{silent.getsockname()[1]}"
    settings = Settings(data_dir=tmp_path, database_url=database.url, cookie_secure=False, smtp_url=smtp)
    server = LiveServer(create_app(settings, database), tmp_path).start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for address in (email, _address("nobody")):
                asked = time.monotonic()
                answer = client.post("/password-reset", data={"email": address, "csrf_token": form_token(client)})
                assert answer.status_code == 200, answer.text
                assert time.monotonic() - asked < 10, "the answer waited for the mail server"  # its timeout is 30 s
    finally:
        silent.close()  # the waiting mail fails at once, so the server stops
        server.stop()
        database.dispose()


def test_token_creation_and_uploads_are_limited_and_a_refusal_writes_nothing(new_database_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from c3p.web.app import create_app

    database = Database(new_database_url("sqlite"))
    database.upgrade()
    email = _address("admin")
    create_user(database, email, "administrator")
    token = create_token(database, email, "tokens.*", "jcm.*")
    limits = {"rate_limit_sensitive": "2/minute", "rate_limit_uploads": "2/minute"}
    settings = Settings(data_dir=tmp_path, database_url=database.url, cookie_secure=False, **limits)
    server = LiveServer(create_app(settings, database), tmp_path).start()
    try:
        with httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {token}"}, timeout=30) as api:
            made = [api.post("/api/v1/tokens", json={"name": "n", "scopes": ["tokens.read"]}) for _ in range(2)]
            assert [answer.status_code for answer in made] == [201, 201]
            files = {"file": ("a.pdf", PDF)}
            uploads = [api.post("/api/v1/jcm-projects/none/documents", files=files) for _ in range(2)]
            assert 429 not in [answer.status_code for answer in uploads]
            before = _rows(database)
            for _ in range(5):
                for refused in (
                    api.post("/api/v1/tokens", json={"name": "n", "scopes": ["tokens.read"]}),
                    api.post("/api/v1/jcm-projects/none/documents", files=files),
                ):
                    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1, refused.text
                    assert refused.headers["content-type"] == "application/problem+json"
            assert _rows(database) == before  # no token, no attachment, not even a security event
    finally:
        server.stop()
        database.dispose()


def _rows(database: Database) -> dict[str, int]:
    with database.reading() as session:
        return {table: session.scalar(text(f"SELECT count(*) FROM {table}")) for table in ROW_COUNTS}  # type: ignore[misc]


def test_over_plain_http_with_secure_cookies_the_sign_in_says_why_it_fails(new_database_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A client keeps no Secure cookie from a plain-HTTP address (as a browser on a LAN address does)."""
    from c3p.web.app import create_app

    database = Database(new_database_url("sqlite"))
    database.upgrade()
    email = _address()
    create_user(database, email)
    settings = Settings(data_dir=tmp_path, database_url=database.url, cookie_secure=True)
    server = LiveServer(create_app(settings, database), tmp_path).start()
    try:
        with httpx.Client(base_url=server.url, timeout=30, follow_redirects=False) as client:
            refused = sign_in(client, email)
            assert refused.status_code == 403
            assert "C3P_COOKIE_SECURE" in refused.text and "https://" in refused.text
            assert "Reload the page" not in refused.text  # it would never help
    finally:
        server.stop()
        database.dispose()
