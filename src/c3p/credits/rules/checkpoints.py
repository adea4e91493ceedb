"""Signed checkpoints: the journal head (sequence number and hash) signed with the registry's Ed25519 key.

A checkpoint is JSON with ``format``, ``head_seq``, ``head_hash``, ``signed_at`` (ISO 8601,
UTC), ``public_key`` (the raw 32-byte Ed25519 key, hex) and ``signature`` (64 bytes, hex). The
signature covers the canonical JSON (sorted keys, no spaces, UTF-8) of the other five fields.
Anyone who saved one can later prove that the ledger still extends it: the journal's entry
``head_seq`` must still have the hash ``head_hash``. A chain rewritten and re-hashed by
someone with write access to the database cannot keep that hash.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from c3p.credits.rules.journal import canonical
from c3p.errors import InvalidInput
from c3p.messages import N_, Message

FORMAT = "c3p-checkpoint-1"
_HEX = re.compile(r"[0-9a-f]+")


@dataclass(frozen=True)
class Checkpoint:
    head_seq: int
    head_hash: str
    signed_at: str
    public_key: str
    signature: str = ""
    format: str = FORMAT

    def signed_part(self) -> bytes:
        """The bytes the signature covers: every field but the signature, as canonical JSON."""
        fields = {k: v for k, v in asdict(self).items() if k != "signature"}
        return canonical(fields).encode("utf-8")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def public_hex(key: Ed25519PrivateKey) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def sign(key: Ed25519PrivateKey, head_seq: int, head_hash: str, signed_at: str) -> Checkpoint:
    unsigned = Checkpoint(head_seq, head_hash, signed_at, public_hex(key))
    return Checkpoint(head_seq, head_hash, signed_at, unsigned.public_key, key.sign(unsigned.signed_part()).hex())


def signature_holds(checkpoint: Checkpoint) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(checkpoint.public_key))
        key.verify(bytes.fromhex(checkpoint.signature), checkpoint.signed_part())
    except (InvalidSignature, ValueError):
        return False
    return True


def parse(body: object) -> Checkpoint:
    """A checkpoint from its JSON, every field checked (a hand-edited file gets a clear refusal)."""
    if not isinstance(body, dict):
        raise InvalidInput(N_("a checkpoint is a JSON object"), field="checkpoint")
    if body.get("format") != FORMAT:
        refusal = N_("not a checkpoint of format %(format)s")
        raise InvalidInput(Message(refusal, {"format": FORMAT}), field="format")
    seq = body.get("head_seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise InvalidInput(N_("head_seq must be a whole number, at least 0"), field="head_seq")
    for name, length in (("head_hash", 64), ("public_key", 64), ("signature", 128)):
        value = body.get(name)
        if not isinstance(value, str) or len(value) != length or not _HEX.fullmatch(value):
            refusal = N_("%(field)s must be %(length)s lowercase hexadecimal digits")
            raise InvalidInput(Message(refusal, {"field": name, "length": length}), field=name)
    if not isinstance(body.get("signed_at"), str):
        raise InvalidInput(N_("signed_at must be a time in ISO 8601"), field="signed_at")
    return Checkpoint(seq, body["head_hash"], body["signed_at"], body["public_key"], body["signature"])
