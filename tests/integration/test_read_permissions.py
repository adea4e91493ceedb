"""Each role sees the same accounts, pending transfers and applications through every entry point.

For every role the REST API (real HTTP with a token), the page's JSON twin (``?format=json``,
the same token) and the CLI (``--as EMAIL --format json``) answer the same set, or refuse
alike. The expected sets are written out per role from the policy: a registry administrator
of Japan sees Japan's registry, not Viet Nam's; a holder's member its organization's
accounts; the public nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from typer.testing import CliRunner

from c3p.cli import app
from c3p.credits import service
from c3p.db.database import Database
from c3p.program.seed_loader import init_database
from c3p.settings import Settings
from c3p.workflow.service import calls
from tests.conftest import LiveServer
from tests.support.accounts import create_token
from tests.support.credits import OPERATOR, Registry, create_issuance, create_registry
from tests.support.workflow import PDF, complete_draft, create_person, new_call

SCOPES = ("credits.*", "program.*")
REFUSED = "refused"
runner = CliRunner()


@dataclass(frozen=True)
class World:
    server: LiveServer
    database: Database
    registry: Registry
    into_japan: str  # key of the transfer waiting in Japan's registry
    into_viet_nam: str
    call: str
    draft: int  # of the proposer's organization
    submitted: int  # of the proposer's organization
    other: int  # submitted by another organization
    tokens: dict[str, str]
    emails: dict[str, str]


def _pending_transfer(database: Database, sender: str, receiver: str) -> str:
    with database.unit_of_work() as session:
        return service.transfer(session, OPERATOR, sender, receiver, 10).key


def _application(database: Database, settings: Settings, call: str, organization: str, submit: bool) -> int:
    proposer = create_person(database, "proposer", organization=organization).actor(database)
    with database.unit_of_work() as session:
        application = calls.create_application(session, proposer, call, complete_draft())
        if submit:
            calls.add_attachment(session, proposer, settings, application.id, "application_form", "form.pdf", PDF)
            calls.submit(session, proposer, application.id, settings)
        return application.id


@pytest.fixture(scope="module")
def world(new_database_url, tmp_path_factory) -> Iterator[World]:  # type: ignore[no-untyped-def]
    from c3p.web.app import create_app

    database = Database(new_database_url("sqlite"))
    init_database(database)
    settings = Settings(data_dir=tmp_path_factory.mktemp("read-permissions"), database_url=database.url)
    registry = create_registry(database)
    create_issuance(registry, {registry.jp_gov: 300, registry.jp_pp: 100, registry.vn_pp: 200})
    into_viet_nam = _pending_transfer(database, registry.jp_pp, registry.vn_pp)
    into_japan = _pending_transfer(database, registry.vn_pp, registry.jp_pp)
    with database.unit_of_work() as session:
        call = calls.open_call(session, OPERATOR, new_call(2032), settings).slug
    people = {
        "holder member": create_person(database, None, organization="acme-jp"),
        "registry administrator JPN": create_person(database, "registry_administrator", "JPN"),
        "registry administrator VNM": create_person(database, "registry_administrator", "VNM"),
        "joint committee VNM": create_person(database, "joint_committee_member", "VNM"),
        "secretariat": create_person(database, "secretariat"),
        "administrator": create_person(database, "administrator"),
        "proposer": create_person(database, "proposer", organization="proposer-co"),
        "reviewer": create_person(database, "reviewer", call),
    }
    draft = _application(database, settings, call, "proposer-co", submit=False)
    submitted = _application(database, settings, call, "proposer-co", submit=True)
    other = _application(database, settings, call, "other-co", submit=True)
    server = LiveServer(create_app(settings, database), settings.data_dir).start()
    tokens = {name: create_token(database, person.email, *SCOPES) for name, person in people.items()}
    emails = {name: person.email for name, person in people.items()}
    yield World(server, database, registry, into_japan, into_viet_nam, call, draft, submitted, other, tokens, emails)
    server.stop()
    database.dispose()


def _http(world: World, role: str, path: str, key: str, items: str | None = None) -> set[str] | str:
    headers = {"authorization": f"Bearer {world.tokens[role]}"} if role in world.tokens else {}
    response = httpx.get(world.server.url + path, headers=headers, timeout=30)
    if response.status_code in (401, 403):
        return REFUSED
    assert response.status_code == 200, response.text
    found = response.json()[items] if items else response.json()
    return {str(item[key]) for item in found}


def _cli(world: World, role: str, args: list[str], key: str) -> set[str] | str:
    result = runner.invoke(app, ["--as", world.emails[role], *args, "--format", "json", "--db", world.database.url])
    if result.exit_code != 0:
        assert type(result.exception).__name__ in ("Forbidden", "Unauthenticated"), (result.output, result.exception)
        return REFUSED
    return {str(item[key]) for item in json.loads(result.output)}


def _answers(world: World, role: str, api: str, page: str | None, cli: list[str], key: str) -> list[set[str] | str]:
    answers = [_http(world, role, api, key)]
    if page is not None:
        answers.append(_http(world, role, page, key, "items"))
    if role in world.emails:
        answers.append(_cli(world, role, cli, key))
    return answers


ROLES = (
    "anonymous",
    "holder member",
    "registry administrator JPN",
    "registry administrator VNM",
    "joint committee VNM",
    "secretariat",
    "administrator",
    "proposer",
    "reviewer",
)


def _accounts_seen(world: World, role: str) -> set[str] | str:
    r = world.registry
    japan = {r.jp_gov, r.jp_pp}
    return {
        "anonymous": REFUSED,
        "holder member": {r.jp_pp},  # acme-jp's account only
        "registry administrator JPN": japan | _system_accounts(world, "JPN"),
        "registry administrator VNM": {r.vn_gov, r.vn_pp} | _system_accounts(world, "VNM"),
    }.get(role, set())


def _system_accounts(world: World, registry: str) -> set[str]:
    from c3p.credits import queries

    with world.database.reading() as session:
        return {a.number for a in queries.accounts(session, registry) if not a.holder}


@pytest.mark.parametrize("role", ROLES)
def test_every_entry_point_lists_the_same_accounts(world: World, role: str) -> None:
    answers = _answers(
        world, role, "/api/v1/registry/accounts", "/credits/accounts?format=json", ["registry", "accounts"], "number"
    )
    assert answers == [_accounts_seen(world, role)] * len(answers)


def _pending_seen(world: World, role: str) -> set[str] | str:
    return {
        "registry administrator JPN": {world.into_japan},
        "registry administrator VNM": {world.into_viet_nam},
    }.get(role, REFUSED)


@pytest.mark.parametrize("role", ROLES)
def test_every_entry_point_lists_the_same_pending_transfers(world: World, role: str) -> None:
    answers = _answers(
        world, role, "/api/v1/registry/pending", "/credits/pending?format=json", ["registry", "pending"], "key"
    )
    assert answers == [_pending_seen(world, role)] * len(answers)


def test_a_registry_administrator_does_not_see_the_other_registrys_pending_transfer(world: World) -> None:
    """The API used to list every pending transfer to any registry administrator."""
    for role, foreign in (
        ("registry administrator JPN", world.into_viet_nam),
        ("registry administrator VNM", world.into_japan),
    ):
        for answer in _answers(
            world, role, "/api/v1/registry/pending", "/credits/pending?format=json", ["registry", "pending"], "key"
        ):
            assert foreign not in answer


def _applications_seen(world: World, role: str) -> set[str] | str:
    mine = {str(world.draft), str(world.submitted)}
    submitted = {str(world.submitted), str(world.other)}
    return {
        "anonymous": REFUSED,
        "secretariat": mine | submitted,
        "administrator": submitted,  # a draft is its authors' and the secretariat's alone
        "proposer": mine,
        "reviewer": submitted,
    }.get(role, REFUSED)


@pytest.mark.parametrize("role", ROLES)
def test_every_entry_point_lists_the_same_applications(world: World, role: str) -> None:
    api = f"/api/v1/applications?call={world.call}"
    answers = _answers(world, role, api, None, ["applications", "list", "--call", world.call], "id")
    assert answers == [_applications_seen(world, role)] * len(answers)


@pytest.mark.parametrize("role", ("administrator", "reviewer"))
def test_a_draft_hidden_from_a_list_is_unknown_when_asked_for(world: World, role: str) -> None:
    headers = {"authorization": f"Bearer {world.tokens[role]}"}
    for path in (f"/api/v1/applications/{world.draft}", f"/applications/{world.draft}?format=json"):
        assert httpx.get(world.server.url + path, headers=headers, timeout=30).status_code == 404
