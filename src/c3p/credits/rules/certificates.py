"""Retirement certificates: a retirement's facts signed with the registry's Ed25519 key.

The facts are what the journal proves of one retirement entry: who retired which credits, for
whom and why, the serial ranges with their issuance, project, host country, vintage and Article
6.2 labels as they were at that moment. They are signed as canonical JSON (sorted keys, no
spaces, UTF-8), the same encoding and key as the signed checkpoints
(:mod:`c3p.credits.rules.checkpoints`). The short **code** printed on the certificate names the
registry and the retirement's journal entry and ends with the first letters of the signature's
digest; since Ed25519 signatures are deterministic, signing the journal's facts again gives the
same code, so the code alone can be checked too.

>>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
>>> facts = Facts(12, "k", "2026-01-01T00:00:00+00:00", "JPN", "JPN-P-000002", "Acme", "NDC", 5, ())
>>> signed = sign(Ed25519PrivateKey.generate(), facts)
>>> signature_holds(signed), signed.code.startswith("JPN-12-")
(True, True)
>>> differences(facts.to_json(), {**facts.to_json(), "credits": 6})
['credits: the certificate says 5, the journal 6']
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import asdict, dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from c3p.credits.rules.checkpoints import public_hex
from c3p.credits.rules.journal import canonical
from c3p.errors import InvalidInput
from c3p.messages import N_, Message

FORMAT = "c3p-retirement-certificate-1"
CODE = re.compile(r"(?P<registry>[A-Z]{3})-(?P<seq>[1-9][0-9]{0,11})-(?P<digest>[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})")
_HEX = re.compile(r"[0-9a-f]+")


@dataclass(frozen=True)
class RetiredRange:
    """One serial range of a retirement, with its issuance and its Article 6.2 labels then."""

    serials: str
    credits: int
    issuance: str
    project: str
    host_country: str
    vintage_year: int
    authorized: bool
    first_transferred: bool
    #: the retiring registry's country records a corresponding adjustment for this use (Article 6.2)
    use_adjusted: bool


@dataclass(frozen=True)
class Facts:
    retirement: int
    key: str
    retired_at: str
    registry: str
    account: str
    beneficiary: str
    purpose: str
    credits: int
    ranges: tuple[RetiredRange, ...]
    format: str = FORMAT

    def to_json(self) -> dict[str, Any]:
        body = asdict(self)
        body["ranges"] = [asdict(r) for r in self.ranges]
        return body


@dataclass(frozen=True)
class Certificate:
    facts: dict[str, Any]
    public_key: str
    signature: str

    @property
    def signed_part(self) -> bytes:
        return canonical(self.facts).encode("utf-8")

    @property
    def code(self) -> str:
        return code_of(self.facts.get("registry", ""), self.facts.get("retirement", 0), self.signature)

    def to_json(self) -> dict[str, Any]:
        return {"facts": self.facts, "public_key": self.public_key, "signature": self.signature, "code": self.code}


def code_of(registry: str, seq: int, signature: str) -> str:
    """``JPN-12-ABCD-EFGH-JKLM``: registry, journal entry, 60 bits of the signature's SHA-256 in base32."""
    digest = base64.b32encode(hashlib.sha256(bytes.fromhex(signature)).digest()).decode("ascii")[:12]
    return f"{registry}-{seq}-{digest[:4]}-{digest[4:8]}-{digest[8:]}"


def sign(key: Ed25519PrivateKey, facts: Facts) -> Certificate:
    body = facts.to_json()
    return Certificate(body, public_hex(key), key.sign(canonical(body).encode("utf-8")).hex())


def signature_holds(certificate: Certificate) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(certificate.public_key))
        key.verify(bytes.fromhex(certificate.signature), certificate.signed_part)
    except (InvalidSignature, ValueError):
        return False
    return True


def differences(claimed: dict[str, Any], journal: dict[str, Any]) -> list[str]:
    """Each fact the certificate states otherwise than the journal, named (ranges by their number)."""
    found = []
    for name in sorted(set(claimed) | set(journal)):
        mine, theirs = claimed.get(name), journal.get(name)
        if name == "ranges" and isinstance(mine, list) and isinstance(theirs, list) and len(mine) == len(theirs):
            for number, (a, b) in enumerate(zip(mine, theirs, strict=True), start=1):
                if isinstance(a, dict) and isinstance(b, dict):
                    found += [f"range {number} {line}" for line in differences(a, b)]
                elif a != b:
                    found.append(f"range {number}: the certificate says {a!r}, the journal {b!r}")
        elif mine != theirs:
            found.append(f"{name}: the certificate says {_shown(mine)}, the journal {_shown(theirs)}")
    return found


def _shown(value: Any) -> str:
    return "nothing" if value is None else repr(value) if isinstance(value, str) else str(value)


def parse(body: object) -> Certificate:
    """A certificate from its JSON (as embedded in the PDF), every part checked."""
    if not isinstance(body, dict) or not isinstance(body.get("facts"), dict):
        raise InvalidInput(N_("a retirement certificate is a JSON object with its facts"), field="certificate")
    facts = body["facts"]
    if facts.get("format") != FORMAT:
        raise InvalidInput(Message(N_("not a certificate of format %(format)s"), {"format": FORMAT}), field="format")
    seq = facts.get("retirement")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise InvalidInput(N_("the certificate names no journal entry of a retirement"), field="retirement")
    for name, length in (("public_key", 64), ("signature", 128)):
        value = body.get(name)
        if not isinstance(value, str) or len(value) != length or not _HEX.fullmatch(value):
            refusal = N_("%(field)s must be %(length)s lowercase hexadecimal digits")
            raise InvalidInput(Message(refusal, {"field": name, "length": length}), field=name)
    return Certificate(facts, body["public_key"], body["signature"])


def parse_code(text: str) -> tuple[str, int]:
    """The registry and journal entry a verification code names; ``InvalidInput`` showing the form otherwise."""
    match = CODE.fullmatch(text.strip().upper())
    if not match:
        refusal = N_("'%(code)s' is not a verification code (expected e.g. JPN-12-ABCD-EFGH-JKLM)")
        raise InvalidInput(Message(refusal, {"code": text}), field="code")
    return match["registry"], int(match["seq"])
