"""A stranger's write to the API is refused before its body is read, unless the route is open to all.

The requests go over a raw socket: the headers promise a large body that never comes. A server
that read the body before asking who sends it would wait for it; the answer must come at once.
"""

from __future__ import annotations

import json
import re
import socket

import httpx

from c3p.accounts.rules.policy import Actor, could
from c3p.web.errors import PROBLEM_JSON
from tests.conftest import LiveServer
from tests.integration.accounts.test_permission_matrix import mutating_routes
from tests.support.accounts import PASSWORD, create_token, create_user

#: what the headers promise: well under the 1 MiB limit, far more than the server would wait for
PROMISED_BYTES = 500_000
#: how long the answer may take; a server waiting for the body would not answer at all
PROMPT_SECONDS = 10


def headers_only(server: LiveServer, method: str, path: str, extra: str = "") -> tuple[int, dict[str, str], bytes]:
    """Send a request's headers promising a JSON body, send no body, and read the answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=PROMPT_SECONDS) as connection:
        request = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {PROMISED_BYTES}\r\n{extra}\r\n"
        )
        connection.sendall(request.encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = connection.recv(65536)  # raises TimeoutError when the server waits for the body
            if not chunk:
                break
            answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:])
        while len(body) < int(headers.get("content-length", 0)):
            body += connection.recv(65536)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def _fill(template: str) -> str:
    return re.sub(r"\{(\w+)(:[^}]*)?\}", "999999", template)


def test_every_api_write_that_needs_a_signed_in_user_answers_401_before_its_body(accounts_server) -> None:  # type: ignore[no-untyped-def]
    refused = [
        (method, template, action)
        for method, template, action in mutating_routes(accounts_server.settings, accounts_server.database)
        if template.startswith("/api/") and could(Actor.public(), action).status == 401  # type: ignore[arg-type]
    ]
    assert len(refused) >= 60, "the API's guarded writes are all found"
    for method, template, action in refused:
        status, headers, body = headers_only(accounts_server, method, _fill(template))
        assert status == 401, (method, template, status, body)
        assert headers["content-type"] == PROBLEM_JSON, (method, template)
        problem = json.loads(body)
        assert problem["status"] == 401 and f"({action})" in problem["detail"], (method, template, problem)


def test_credentials_still_reach_the_route_and_their_check(accounts_server) -> None:  # type: ignore[no-untyped-def]
    """With a token or a cookie the body is read as before: the route decides, with its own words."""
    email = "reaches-the-route@example.org"
    create_user(accounts_server.database, email, "administrator")
    token = create_token(accounts_server.database, email, "users.*")
    with httpx.Client(base_url=accounts_server.url, timeout=30) as client:
        valid = client.post("/api/v1/users", json={}, headers={"authorization": f"Bearer {token}"})
        assert valid.status_code == 422, valid.text
        wrong = client.post("/api/v1/users", json={}, headers={"authorization": "Bearer c3p_not-a-token"})
        assert wrong.status_code == 401 and wrong.headers["content-type"] == PROBLEM_JSON
        stale = client.post("/api/v1/users", json={}, headers={"cookie": "c3p_session=expired"})
        assert stale.status_code == 401 and stale.headers["content-type"] == PROBLEM_JSON


def test_unknown_paths_and_methods_keep_their_answers(accounts_server) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=accounts_server.url, timeout=30) as client:
        assert client.post("/api/v1/no-such-thing", json={}).status_code == 404
        assert client.put("/api/v1/users", json={}).status_code == 405
        assert client.get("/api/v1/users").status_code == 401


def test_anonymous_open_routes_still_answer(live_server: LiveServer, accounts_server) -> None:  # type: ignore[no-untyped-def]
    """The calculators need no account (the estimate reads a methodology: the program's server), nor sign-in."""
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
        subsidy = {
            "fiscal_year": 2025,
            "initial_investment_jpy": 300_000_000,
            "expected_reductions_tco2_per_year": 1500,
            "legal_durable_years": 15,
        }
        calculated = client.post("/api/v1/subsidy/calculate", json=subsidy)
        assert calculated.status_code == 200 and calculated.json()["max_subsidy_jpy"] == 150_000_000
        params = {"EG_i,p": {"value": 1250.5, "unit": "MWh"}, "EF_RE,i": {"factor": "MNG-captive@1"}}
        estimate = client.post("/api/v1/mrv/methodologies/MN_AM003/estimate", json=params)
        assert estimate.status_code == 200, estimate.text
        assert estimate.json()["mode"] == "ex-ante" and estimate.json()["emission_reductions_tco2"] > 0
    with httpx.Client(base_url=accounts_server.url, timeout=30, follow_redirects=False) as browser:
        form = browser.get("/sign-in").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        email = "opens-the-door@example.org"
        create_user(accounts_server.database, email)
        signed_in = browser.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": csrf})
        assert signed_in.status_code == 303, signed_in.text
        reset = browser.post("/password-reset", data={"email": email, "csrf_token": csrf})
        assert reset.status_code in (200, 303), reset.text
