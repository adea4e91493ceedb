"""Passwords and tokens: the policy a password must meet, hashing, and the token format."""

from __future__ import annotations

import pytest

from c3p.accounts.rules import passwords
from c3p.accounts.rules.policy import Actor, Grant
from c3p.accounts.rules.secrets import ApiTokenSecret, digest
from c3p.accounts.rules.tasks import AccountFacts, tasks_for
from c3p.errors import InvalidInput


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short pass", "at least 12"),
        ("password1234", "too common"),
        ("aaaaaaaaaaaaaaa", "too common"),
        ("tanaka-secret-words", "e-mail address"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        passwords.check(password, "tanaka@city.example.jp")


def test_a_good_password_passes_and_hashes_with_argon2() -> None:
    passwords.check("blue kettle under the bridge", "tanaka@city.example.jp")
    stored = passwords.hash_password("blue kettle under the bridge")
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "blue kettle under the bridge")
    assert not passwords.verify(stored, "blue kettle under the bridgE")
    assert not passwords.verify(None, "anything at all here")


def test_common_password_list_ships_with_its_source() -> None:
    assert "password1234" in passwords.common_passwords()
    assert not any(entry.startswith("#") for entry in passwords.common_passwords())


def test_tokens_round_trip_and_reject_lookalikes() -> None:
    secret = ApiTokenSecret.new()
    assert secret.text.startswith("c3p_")
    assert ApiTokenSecret.parse(secret.text) == secret
    for text in ("", "c3p_short_x", secret.text + "x", "Bearer " + secret.text):
        assert ApiTokenSecret.parse(text) is None
    assert digest(secret.secret) != secret.secret and len(digest(secret.secret)) == 64


def test_tasks_follow_the_roles() -> None:
    admin = Actor(1, "a@example.org", (Grant("administrator"),))
    titles = [str(task.title) for task in tasks_for(admin, AccountFacts(False, "secretariat", users_without_roles=2))]
    assert titles == ["Set up two-factor sign-in", "Give roles to new users"]
    reviewer = Actor(2, "r@example.org", (Grant("reviewer", "call", "2025-1"),))
    assert tasks_for(reviewer, AccountFacts(False, "acme")) == []  # scoring tasks are the workflow's
