"""The permission matrix: every mutating API route, portal form and CLI command, for every role.

A mutating route or command without an action fails here, so nothing new ships unguarded.
For each role the outcome over real HTTP (or through the CLI runner) must be what the policy
decides: 401 for the public, 403 when the role may not, anything else when it may.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import typer
from typer.testing import CliRunner

from c3p.accounts.rules.policy import Actor, Grant, could
from c3p.accounts.rules.roles import NEEDS_APPROVAL, ROLES, check_grant
from c3p.cli import app as cli_app
from c3p.cli._guard import READ_ONLY_COMMANDS
from c3p.errors import Forbidden, Unauthenticated
from c3p.web.app import create_app
from c3p.web.auth import COMPUTATIONS, all_routes, route_action
from tests.support.accounts import PASSWORD, ROLE_SCOPES, create_token, create_user

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
ACCOUNT_PATHS = (
    "/api/v1/users",
    "/api/v1/me",
    "/api/v1/tokens",
    "/api/v1/member-organizations",
    "/sign-",
    "/password-reset",
    "/account",
    "/admin",
    "/organizations/",
)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
#: what each role may do, as a person would read it; the HTTP outcome must agree
EXPECTED_ADMIN_ACTIONS = {
    "administrator": {"users.create", "users.grant", "users.revoke", "users.disable", "organizations.create"},
    "secretariat": {"users.create", "organizations.create"},
}


def mutating_routes(settings, database) -> list[tuple[str, str, str | None]]:  # type: ignore[no-untyped-def]
    app = create_app(settings, database)
    found = []
    for path, methods, route in all_routes(app):
        for method in sorted(methods & MUTATING):
            found.append((method, path, route_action(route, path)))
    return sorted(found, key=lambda item: (item[1] == "/sign-out", "sign-out" in item[1], item[1], item[0]))


def test_every_mutating_route_has_an_action(accounts_server) -> None:  # type: ignore[no-untyped-def]
    routes = mutating_routes(accounts_server.settings, accounts_server.database)
    assert [f"{method} {path}" for method, path, action in routes if action is None] == []
    assert len(routes) >= 25


def test_the_credit_registry_forms_are_in_the_matrix(accounts_server) -> None:  # type: ignore[no-untyped-def]
    routes = set(mutating_routes(accounts_server.settings, accounts_server.database))
    assert {
        ("POST", "/credits/accounts/{number}/transfer", "credits.transfer"),
        ("POST", "/credits/accounts/{number}/cancel", "credits.cancel"),
        ("POST", "/credits/accounts/{number}/retire", "credits.retire"),
        ("POST", "/credits/accounts/{number}/status", "credits.account.update"),
        ("POST", "/credits/accounts", "credits.account.open"),
        ("POST", "/credits/pending/{key}/accept", "credits.accept"),
        ("POST", "/credits/pending/{key}/reject", "credits.accept"),
    } <= routes
    assert ("registry statement", "credits.read") in cli_commands()


def actor_of(role: str | None, user_id: int, email: str) -> Actor:
    if role is None:
        return Actor.public()
    kind, value = check_grant(role, ROLE_SCOPES[role])
    return Actor(user_id, email, (Grant(role, kind, value),))


@pytest.fixture(scope="module")
def people(accounts_server) -> dict[str | None, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """A signed-in browser and a token id for one user of each role, and the public."""
    found: dict[str | None, dict[str, Any]] = {}
    for role in [None, *ROLES]:
        client = httpx.Client(base_url=accounts_server.url, timeout=30, follow_redirects=False)
        csrf = CSRF.search(client.get("/sign-in").text).group(1)  # type: ignore[union-attr]
        person: dict[str, Any] = {"client": client, "csrf": csrf, "user_id": 0, "email": ""}
        if role is not None:
            email = f"matrix-{role}-{accounts_server.database.url[-8:].replace('/', '')}@example.org".lower()
            person["user_id"] = create_user(accounts_server.database, email, role)
            person["email"] = email
            create_token(accounts_server.database, email, "tokens.revoke")
            response = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": csrf})
            assert response.status_code == 303, response.text
        found[role] = person
    yield found
    for person in found.values():
        person["client"].close()


def _own_token_id(accounts_server, user_id: int) -> int:  # type: ignore[no-untyped-def]
    from c3p.accounts.service.api_tokens import tokens_of

    with accounts_server.database.reading() as session:
        tokens = tokens_of(session, user_id)
        return tokens[0].id if tokens else 999999


def _send(person: dict[str, Any], method: str, path: str) -> httpx.Response:
    client, csrf = person["client"], person["csrf"]
    if path.startswith("/api/"):
        body = {"json": {}} if method in {"POST", "PATCH", "PUT"} else {}
        return client.request(method, path, headers={"x-csrf-token": csrf}, **body)
    return client.request(method, path, data={"csrf_token": csrf}, headers={"accept": "text/html"})


@pytest.mark.parametrize("role", [None, *ROLES])
def test_each_role_gets_what_the_policy_decides_over_http(accounts_server, people, role) -> None:  # type: ignore[no-untyped-def]
    person = people[role]
    actor = actor_of(role, person["user_id"], person["email"])
    mismatches = []
    for method, template, action in mutating_routes(accounts_server.settings, accounts_server.database):
        if template in COMPUTATIONS:
            continue
        values = {"slug": "acme", "token_id": str(_own_token_id(accounts_server, person["user_id"]))}
        path = re.sub(r"\{(\w+)(:[^}]*)?\}", lambda m, known=values: known.get(m.group(1), "999999"), template)
        status = _send(person, method, path).status_code
        decision = could(actor, action)  # type: ignore[arg-type]
        expected_refusal = decision.status
        # a role the policy lets in may still be refused for the scope of the record it names,
        # except on the accounts routes, whose fake parameters are chosen within each role's scope
        scoped_refusal_possible = not path.startswith(ACCOUNT_PATHS)
        allowed_statuses_bad = {401} if scoped_refusal_possible else {401, 403}
        if (expected_refusal and status != expected_refusal) or (
            not expected_refusal and status in allowed_statuses_bad
        ):
            mismatches.append(f"{method} {path} ({action}): got {status}, policy says {expected_refusal or 'allowed'}")
    assert mismatches == []


def test_the_matrix_reads_as_documented() -> None:
    for role, actions in EXPECTED_ADMIN_ACTIONS.items():
        actor = actor_of(role, 1, "x@example.org")
        assert {a for a in actions if could(actor, a)} == actions
    proposer = actor_of("proposer", 1, "x@example.org")
    assert not any(could(proposer, a) for a in EXPECTED_ADMIN_ACTIONS["administrator"])


def _bearer(accounts_server, person: dict[str, Any]) -> httpx.Client:  # type: ignore[no-untyped-def]
    token = create_token(accounts_server.database, person["email"], "users.*")
    return httpx.Client(base_url=accounts_server.url, headers={"authorization": f"Bearer {token}"}, timeout=30)


def test_only_administrators_grant_and_nobody_grants_to_themselves(accounts_server, people) -> None:  # type: ignore[no-untyped-def]
    for role in ("secretariat", "administrator"):
        person = people[role]
        own = f"/api/v1/users/{person['user_id']}/roles"
        with _bearer(accounts_server, person) as client:
            response = client.post(own, json={"role": "administrator"})
            assert response.status_code == 403, (role, response.text)
            response = client.delete(own, params={"role": role})
            assert response.status_code == 403, (role, response.text)


@pytest.mark.parametrize("role", sorted(NEEDS_APPROVAL))
def test_a_powerful_role_from_one_administrator_only_waits(accounts_server, role) -> None:  # type: ignore[no-untyped-def]
    target = create_user(accounts_server.database, f"waits-{role}@example.org")
    requester = create_user(accounts_server.database, f"asks-{role}@example.org", "administrator")
    with _bearer(accounts_server, {"email": f"asks-{role}@example.org", "user_id": requester}) as admin:
        asked = admin.post(f"/api/v1/users/{target}/roles", json={"role": role, "scope": ROLE_SCOPES[role]})
        assert asked.status_code == 202, (role, asked.text)
        held = admin.get(f"/api/v1/users/{target}").json()["roles"]
    assert role not in {grant["role"] for grant in held}


def test_incompatible_roles_are_refused_over_http(accounts_server, people) -> None:  # type: ignore[no-untyped-def]
    with _bearer(accounts_server, people["administrator"]) as admin:
        for holder, refused, scope in (
            ("joint_committee_member", "registry_administrator", "JPN"),
            ("project_participant", "tpe", "acme"),
            ("tpe", "project_participant", "fy2025-01"),
        ):
            path = f"/api/v1/users/{people[holder]['user_id']}/roles"
            response = admin.post(path, json={"role": refused, "scope": scope})
            assert response.status_code == 422, (holder, refused, response.text)
            assert "separation of duties" in response.json()["detail"]


def cli_commands() -> list[tuple[str, str | None]]:
    command = typer.main.get_command(cli_app)
    found = []

    def walk(cmd: Any, path: list[str]) -> None:
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(None):
                walk(cmd.get_command(None, name), [*path, name])
        else:
            found.append((" ".join(path), getattr(cmd.callback, "c3p_action", None)))

    walk(command, [])
    return found


def test_every_cli_command_is_guarded_or_read_only() -> None:
    commands = cli_commands()
    assert [name for name, action in commands if action is None and name not in READ_ONLY_COMMANDS] == []
    assert {name for name, action in commands if action is None} <= READ_ONLY_COMMANDS


def cli_arguments(name: str, token_id: int, empty_file: str) -> list[str] | None:
    return {
        "import": [empty_file],
        "db init": [],
        "db upgrade": [],
        "db reset": [],
        "users create": ["--email", "new-user-from-matrix@example.org", "--org", "acme", "--no-password"],
        "users list": [],
        "users grant": ["nobody@example.org", "secretariat"],
        "users revoke": ["nobody@example.org", "secretariat"],
        "users disable": ["nobody@example.org"],
        "users enable": ["nobody@example.org"],
        "tokens create": ["nobody@example.org", "--name", "x", "--scope", "users.read"],
        "tokens revoke": [str(token_id)],
        "tokens list": ["nobody@example.org"],
        "calls open": ["--year", "2091", "--closes", "2091-05-01"],
        "calls list": [],
        "calls close": ["2091-1"],
        "calls remind": [],
        "applications list": [],
        "pipeline move": ["no-such-jcm-project", "feasibility_study"],
        "subsidy calculate": ["--year", "2025", "--investment", "1000", "--reductions", "1", "--durable-years", "1"],
        "registry statement": ["JPN-P-999999", "--from", "2026-04-01"],
    }.get(name)


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_gets_what_the_policy_decides_in_the_cli(accounts_server, people, role, tmp_path) -> None:  # type: ignore[no-untyped-def]
    person = people[role]
    actor = actor_of(role, person["user_id"], person["email"])
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    runner = CliRunner()
    mismatches = []
    for name, action in cli_commands():
        if action is None:
            continue
        args = cli_arguments(name, _own_token_id(accounts_server, person["user_id"]), str(empty))
        if args is None:  # another capability's command: its guard is checked above, its arguments here later
            continue
        argv = ["--as", person["email"], *name.split(), *args, "--db", accounts_server.database.url]
        result = runner.invoke(cli_app, argv, input="")
        refused = isinstance(result.exception, Forbidden | Unauthenticated)
        if refused != (not could(actor, action)):
            mismatches.append(f"c3p {name} ({action}): {'refused' if refused else 'ran'}, {result.exception!r}")
    assert mismatches == []
