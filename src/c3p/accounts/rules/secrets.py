"""Secrets handed to people and machines: API tokens, session ids, reset links.

A secret is shown once and stored only as its SHA-256 digest (random 256-bit secrets need
no slow hash). API tokens read ``c3p_<key>_<secret>``: the public ``key`` finds the row, the
secret proves possession, and the prefix makes leaked tokens easy to scan for.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

TOKEN_PREFIX = "c3p"
_TOKEN = re.compile(r"c3p_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{43})")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@dataclass(frozen=True)
class ApiTokenSecret:
    key: str
    secret: str

    @property
    def text(self) -> str:
        return f"{TOKEN_PREFIX}_{self.key}_{self.secret}"

    @classmethod
    def new(cls) -> ApiTokenSecret:
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
        return cls("".join(secrets.choice(alphabet) for _ in range(8)), new_secret())

    @classmethod
    def parse(cls, text: str) -> ApiTokenSecret | None:
        match = _TOKEN.fullmatch(text.strip())
        return cls(match.group(1), match.group(2)) if match else None
