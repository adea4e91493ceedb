"""On both backends: the upgrade path of a registry written before sealing, and the signing key file."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from c3p.credits import checkpoints, facts, service
from c3p.credits.verify import NEVER_SEALED, seal_unsealed, verify
from c3p.errors import Conflict
from tests.support.credits import OPERATOR, Registry, create_issuance


@contextmanager
def before_sealing() -> Iterator[None]:
    """Write as the registry did before sealing existed: no record entries, no checkpoints."""
    event.remove(Session, "before_commit", facts._seal)
    try:
        yield
    finally:
        event.listen(Session, "before_commit", facts._seal)


def test_a_registry_from_before_sealing_is_sealed_once_by_the_operator(registry: Registry) -> None:
    with before_sealing():
        create_issuance(registry, {registry.jp_gov: 100})
        with registry.database.unit_of_work() as session:
            service.transfer(session, OPERATOR, registry.jp_gov, registry.jp_pp, 10)
    with registry.database.reading() as session:
        report = verify(session)
    assert not report.ok and all(NEVER_SEALED in p.what for p in report.problems)
    with registry.database.unit_of_work() as session:
        sealed = seal_unsealed(session)
    assert sealed > 0
    with registry.database.reading() as session:
        assert verify(session).ok
    with registry.database.unit_of_work() as session:
        assert seal_unsealed(session) == 0


def test_sealing_refuses_to_bless_a_tampered_registry(registry: Registry) -> None:
    with before_sealing():
        create_issuance(registry, {registry.jp_gov: 100})
    with registry.database.engine.begin() as connection:
        connection.execute(
            text("UPDATE credit_accounts SET balance = balance + 1 WHERE number = :n"), {"n": registry.jp_pp}
        )
    with pytest.raises(Conflict, match="nothing was sealed"), registry.database.unit_of_work() as session:
        seal_unsealed(session)


def test_the_signing_key_is_created_private_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "registry.pem"
    first = checkpoints.signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = checkpoints.signing_key(path)
    assert checkpoints.rules.public_hex(first) == checkpoints.rules.public_hex(again)
    path.chmod(0o644)
    with pytest.raises(Conflict, match="may be read by others"):
        checkpoints.signing_key(path)
