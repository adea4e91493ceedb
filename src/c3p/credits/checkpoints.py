"""Signing the journal head, publishing the checkpoints, and proving the ledger still extends one.

The registry's Ed25519 private key is kept in the file named by ``C3P_REGISTRY_SIGNING_KEY``
(default ``data_dir/registry_signing_key.pem``), created on first use with mode 0600; a key
file others may read is refused. Each checkpoint carries its public key, so checkpoints signed
before a key rotation still verify (docs/registry.md).
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from c3p.credits.rules import checkpoints as rules
from c3p.credits.rules.journal import GENESIS
from c3p.credits.schemas import CheckpointView, Problem, VerifyReport
from c3p.credits.tables import CreditCheckpoint, JournalEntry, JournalHead
from c3p.errors import Conflict
from c3p.messages import N_, Message
from c3p.settings import get_settings


def key_file() -> Path:
    return get_settings().resolved_registry_signing_key


def signing_key(path: Path | None = None) -> Ed25519PrivateKey:
    """The registry's key from ``path``, created there (mode 0600) if the file does not exist yet."""
    path = path or key_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return signing_key(path)  # another process created it meanwhile: use theirs
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        return key
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        refusal = N_("the registry's signing key %(path)s may be read by others (mode %(mode)s); make it 0600")
        raise Conflict(Message(refusal, {"path": str(path), "mode": oct(mode)}))
    loaded = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise Conflict(Message(N_("%(path)s holds no Ed25519 key"), {"path": str(path)}))
    return loaded


def sign_head(session: Session, path: Path | None = None) -> CheckpointView:
    """Sign the journal head as it is in this transaction and publish the checkpoint."""
    head = session.get(JournalHead, 1)
    seq, hashed = (head.seq, head.hash) if head is not None else (0, GENESIS)
    signed_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    checkpoint = rules.sign(signing_key(path), seq, hashed, signed_at)
    session.add(
        CreditCheckpoint(
            head_seq=seq,
            head_hash=hashed,
            signed_at=signed_at,
            public_key=checkpoint.public_key,
            signature=checkpoint.signature,
        )
    )
    session.flush()
    return CheckpointView.model_validate(checkpoint.to_json())


def published(row: CreditCheckpoint) -> rules.Checkpoint:
    return rules.Checkpoint(row.head_seq, row.head_hash, row.signed_at, row.public_key, row.signature)


def recent(session: Session, limit: int = 100) -> list[CheckpointView]:
    """The newest checkpoints first."""
    query = select(CreditCheckpoint).order_by(CreditCheckpoint.id.desc()).limit(limit)
    return [CheckpointView.model_validate(published(row).to_json()) for row in session.scalars(query)]


def problem_with(session: Session, checkpoint: rules.Checkpoint) -> str | None:
    """Why the journal does not extend ``checkpoint`` (or its signature fails), or None."""
    if not rules.signature_holds(checkpoint):
        return "its signature does not match its content and public key"
    if checkpoint.head_seq == 0:
        return None if checkpoint.head_hash == GENESIS else "it names entry 0 with a hash other than the start"
    found = session.scalar(select(JournalEntry.hash).where(JournalEntry.seq == checkpoint.head_seq))
    if found is None:
        return f"the journal has no entry {checkpoint.head_seq} any more"
    if found != checkpoint.head_hash:
        return f"journal entry {checkpoint.head_seq} now has another hash: the chain was rewritten after it"
    return None


#: a checkpoint from its JSON, every field checked
parse = rules.parse


def verify_extends(session: Session, report: VerifyReport, checkpoint: rules.Checkpoint) -> VerifyReport:
    """``report`` (a full verify) with the proof that the ledger extends the saved ``checkpoint``."""
    reason = problem_with(session, checkpoint)
    if reason is None:
        return report
    problem = Problem(seq=checkpoint.head_seq, what=f"the saved checkpoint of entry {checkpoint.head_seq}: {reason}")
    return report.model_copy(update={"ok": False, "problems": [*report.problems, problem]})
