"""Passwords: the policy a new password must meet, and argon2 hashing.

The policy follows NIST SP 800-63B: length over composition rules (at least 12 characters),
no password from a list of common ones (a data file with its source), and nothing built
from the account's own e-mail address.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from c3p.errors import InvalidInput
from c3p.messages import N_, Message, listing

MIN_LENGTH = 12
MAX_LENGTH = 256
_hasher = PasswordHasher()


@lru_cache
def common_passwords() -> frozenset[str]:
    text = files("c3p.accounts").joinpath("data/common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def problems(password: str, email: str) -> list[Message]:
    """What is wrong with ``password`` for the account ``email`` (empty when it is acceptable)."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(Message(N_("use at least %(count)s characters"), {"count": MIN_LENGTH}))
    if len(password) > MAX_LENGTH:
        found.append(Message(N_("use at most %(count)s characters"), {"count": MAX_LENGTH}))
    if password.lower() in common_passwords() or len(set(password)) <= 2:
        found.append(Message(N_("this password is too common; choose one that is hard to guess")))
    local_part = email.split("@")[0].lower()
    if len(local_part) >= 3 and local_part in password.lower():
        found.append(Message(N_("do not use your e-mail address in your password")))
    return found


def check(password: str, email: str) -> None:
    """Raise InvalidInput naming every rule ``password`` breaks."""
    found = problems(password, email)
    if found:
        refusal = Message(N_("Password not accepted: %(problems)s."), {"problems": listing(found)})
        raise InvalidInput(refusal, field="password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; hashes a dummy when no hash exists, so timing tells nothing."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Hashed on first use, not at import: argon2 is slow on purpose."""
    return _hasher.hash("not a real password, only for constant timing")
