"""No answer is ever 500 text/plain: a full disk is a 503 problem with reads going on; a crash is a problem too."""

from __future__ import annotations

import http.client
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import event

from c3p.db.database import Database
from c3p.settings import Settings
from tests.conftest import LiveServer
from tests.support.accounts import create_token, create_user

PROBLEM_JSON = "application/problem+json"


@pytest.fixture
def full_disk(new_database_url, tmp_path: Path) -> Iterator[tuple[LiveServer, str, str]]:  # type: ignore[no-untyped-def]
    """The app on a SQLite file that may not grow by a single page, as on a full disk; an administrator's token."""
    from c3p.web.app import create_app

    database = Database(new_database_url("sqlite"))
    database.upgrade()
    email = f"admin-{uuid.uuid4().hex[:8]}@example.org"
    create_user(database, email, "administrator")
    token = create_token(database, email, "users.*")
    database.engine.dispose()

    def no_room(connection, _record) -> None:  # type: ignore[no-untyped-def]
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(database.engine, "connect", no_room)
    settings = Settings(data_dir=tmp_path, database_url=database.url, cookie_secure=False)
    app = create_app(settings, database)

    def crash() -> None:
        raise RuntimeError("a bug of ours, with /home/operator/secret.txt in its message")

    app.add_api_route("/api/v1/crash-for-test", crash)
    app.add_api_route("/crash-for-test", crash)
    server = LiveServer(app, tmp_path).start()
    yield server, email, token
    server.stop()
    database.dispose()


def test_a_full_disk_answers_503_problem_and_reads_go_on(full_disk) -> None:  # type: ignore[no-untyped-def]
    server, email, token = full_disk
    with httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {token}"}, timeout=30) as api:
        refused = api.patch("/api/v1/me", json={"display_name": "x" * 200_000})
        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"] == PROBLEM_JSON
        assert refused.json()["type"].endswith("/storage-unavailable") and "disk is full" in refused.json()["detail"]
        me = api.get("/api/v1/me")
        assert me.status_code == 200 and me.json()["user"]["display_name"] == email  # nothing changed, reads work
        page = api.patch("/api/v1/me", json={"display_name": "y" * 200_000}, headers={"accept": "text/html"})
        assert page.status_code == 503


def test_an_unexpected_error_is_a_problem_or_a_page_never_plain_text(full_disk) -> None:  # type: ignore[no-untyped-def]
    server, _email, _token = full_disk
    # the server closes the connection after an unexpected error: each request on a connection of its own
    api = httpx.get(server.url + "/api/v1/crash-for-test", timeout=30)
    assert api.status_code == 500 and api.headers["content-type"] == PROBLEM_JSON
    assert api.json()["type"].endswith("/internal-error") and "secret.txt" not in api.text
    page = httpx.get(server.url + "/crash-for-test", headers={"accept": "text/html"}, timeout=30)
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert "secret.txt" not in page.text and "Traceback" not in page.text


def test_every_error_answers_problem_json_and_keeps_the_connection(full_disk) -> None:  # type: ignore[no-untyped-def]
    """One keep-alive connection through each kind of error: a crash must not close it under the next request."""
    server, _email, token = full_disk
    connection = http.client.HTTPConnection(urlsplit(server.url).netloc, timeout=30)
    auth = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    multipart = {"content-type": "multipart/form-data; boundary=b"}
    errors = [
        ("GET", "/api/v1/crash-for-test", {}, None, 500),
        ("GET", "/api/v1/no-such-thing", {}, None, 404),
        ("GET", f"/api/v1/users/{2**64}", auth, None, 404),
        ("PATCH", "/api/v1/me", auth, b'{"display_name": 5}', 422),
        ("PATCH", "/api/v1/me", {}, b"{}", 401),
        ("POST", "/api/v1/users", auth, b"{" + b" " * (2 << 20) + b"}", 413),  # refused before it is read
        ("POST", "/api/v1/jcm-projects/x/documents", multipart, b"--b--", 401),  # a stranger's upload, unread
        ("PATCH", "/api/v1/me", auth, json.dumps({"display_name": "z" * 200_000}).encode(), 503),
        ("GET", "/api/v1/crash-for-test", {}, None, 500),
    ]
    socket = None
    for method, path, headers, body, status in errors:
        connection.request(method, path, body=body, headers=headers)
        socket = socket or connection.sock
        response = connection.getresponse()
        payload = response.read()
        assert response.status == status, (path, payload[:300])
        assert response.getheader("content-type") == PROBLEM_JSON, path
        assert response.getheader("x-content-type-options") == "nosniff", path  # the security headers too
        assert json.loads(payload)["status"] == status
        assert connection.sock is socket, f"{method} {path} closed the connection"
    connection.request("GET", "/api/v1/me", headers=auth)  # and the connection still serves
    assert connection.getresponse().status == 200 and connection.sock is socket
    connection.close()
