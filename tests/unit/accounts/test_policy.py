"""The policy, read as a specification: who may do what, where, and what a refusal says."""

from __future__ import annotations

import subprocess
import sys

import pytest

from c3p.accounts.rules.actions import ACTIONS, OWNER, PUBLIC, SIGNED_IN
from c3p.accounts.rules.policy import Actor, Grant, Target, could, decide, require
from c3p.accounts.rules.roles import ROLES, check_grant
from c3p.errors import Forbidden, InvalidInput, Unauthenticated


def person(*grants: Grant, user_id: int = 7, scopes: frozenset[str] | None = None) -> Actor:
    return Actor(user_id, f"user{user_id}@example.org", grants, "acme", scopes)


def test_every_action_names_known_roles() -> None:
    for rule in ACTIONS.values():
        assert set(rule.roles) <= set(ROLES) | {PUBLIC, SIGNED_IN, OWNER}, rule.name


def test_the_public_may_only_do_public_things() -> None:
    public = Actor.public()
    assert decide(public, "account.sign_in")
    refusal = decide(public, "users.grant")
    assert not refusal and refusal.status == 401 and "Sign in" in refusal.reason


def test_monitoring_uploads_need_an_account_but_no_role() -> None:
    refusal = decide(Actor.public(), "mrv.monitoring.calculate")
    assert not refusal and refusal.status == 401
    assert decide(person(), "mrv.monitoring.calculate")
    assert decide(Actor.public(), "mrv.calculate")
    assert not decide(person(scopes=frozenset({"users.*"})), "mrv.monitoring.calculate")


def test_platform_roles_cover_everything() -> None:
    admin = person(Grant("administrator"))
    assert decide(admin, "users.grant")
    assert decide(admin, "users.disable", Target.of(owner_id=3))
    assert not decide(admin, "registry.transfer", Target.of(country="JPN"))


def test_scoped_role_covers_only_its_scope() -> None:
    registrar = person(Grant("registry_administrator", "country", "JPN"))
    assert decide(registrar, "registry.transfer", Target.of(country="JPN"))
    refusal = decide(registrar, "registry.transfer", Target.of(country="VNM"))
    assert refusal.status == 403
    assert "does not cover country VNM" in refusal.reason
    assert not decide(registrar, "registry.transfer")  # an unscoped target is nobody's scope


def test_reviewer_of_one_call_is_not_reviewer_of_another() -> None:
    reviewer = person(Grant("reviewer", "call", "2025-1"))
    assert decide(reviewer, "program.application.review", Target.of(call="2025-1"))
    assert not decide(reviewer, "program.application.review", Target.of(call="2025-2"))


def test_owners_act_on_their_own_records_only() -> None:
    someone = person(user_id=7)
    assert decide(someone, "users.update", Target.of(owner_id=7))
    refusal = decide(someone, "users.update", Target.of(owner_id=8))
    assert refusal.status == 403 and "record's owner" in refusal.reason


def test_a_token_limits_what_its_user_may_do() -> None:
    admin_token = person(Grant("administrator"), scopes=frozenset({"users.read"}))
    assert decide(admin_token, "users.read")
    refusal = decide(admin_token, "users.grant")
    assert refusal.status == 403 and "API token" in refusal.reason
    assert decide(person(Grant("administrator"), scopes=frozenset({"users.*"})), "users.grant")


def test_operator_is_allowed_and_unknown_actions_fail_loudly() -> None:
    assert decide(Actor.operator(), "database.manage")
    with pytest.raises(LookupError):
        decide(Actor.operator(), "users.delete_everything")


def test_could_answers_before_the_target_is_known() -> None:
    assert could(person(Grant("proposer", "organization", "acme")), "organizations.update")
    assert not could(person(Grant("proposer", "organization", "acme")), "users.grant")
    assert could(person(), "tokens.create")  # for oneself
    assert could(Actor.public(), "users.read").status == 401


def test_require_raises_the_right_error() -> None:
    with pytest.raises(Unauthenticated):
        require(Actor.public(), "users.create")
    with pytest.raises(Forbidden) as refused:
        require(person(), "users.create")
    assert refused.value.status == 403 and refused.value.extra["action"] == "users.create"


def test_grants_need_the_scope_their_role_names() -> None:
    assert check_grant("secretariat", None) == ("", "")
    assert check_grant("registry_administrator", "JPN") == ("country", "JPN")
    for role, scope in (("registry_administrator", None), ("registry_administrator", "Japan"), ("secretariat", "JPN")):
        with pytest.raises(InvalidInput):
            check_grant(role, scope)
    with pytest.raises(InvalidInput, match="unknown role"):
        check_grant("overlord", None)


def test_the_domain_imports_no_framework() -> None:
    code = (
        "import sys, c3p.accounts.rules.policy, c3p.accounts.rules.passwords; "
        "import c3p.accounts.rules.secrets, c3p.accounts.rules.tasks; "
        "print(sorted(m for m in ('fastapi', 'sqlalchemy', 'starlette') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_refusal_names_the_roles_as_people_call_them_in_each_language() -> None:
    from c3p.catalogs import translate

    refusal = decide(person(), "users.grant")
    assert not refusal and refusal.status == 403
    assert "Administrator" in translate(refusal.message, "en")
    japanese = translate(refusal.message, "ja")
    assert "システム管理者" in japanese and "administrator" not in japanese


def test_every_role_has_a_title_for_people() -> None:
    assert all(role.title and role.title != role.name for role in ROLES.values())
