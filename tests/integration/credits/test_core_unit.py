"""The Core unit of work the edges move credits in: no ORM session unless asked for, one
transaction for its statements and its session's writes, and the session's hooks kept."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from c3p.credits import queries, service
from c3p.credits.tables import JournalEntry
from c3p.credits.verify import verify
from c3p.db.history import act_as
from c3p.db.history_table import HistoryEntry
from tests.support.credits import OPERATOR, Registry, create_issuance


def _balances(registry: Registry) -> dict[str, int]:
    with registry.database.reading() as session:
        return {a.number: a.balance_credits for a in queries.accounts(session)}


def test_credits_move_in_a_core_unit_without_an_orm_session(registry: Registry) -> None:
    create_issuance(registry, {registry.jp_gov: 100}, authorized=False)
    with registry.database.core_unit() as unit:
        moved = service.transfer(unit, OPERATOR, registry.jp_gov, registry.jp_pp, 30)
        service.retire(unit, OPERATOR, registry.jp_pp, "NDC", "Japan", 10)
        service.cancel(unit, OPERATOR, registry.jp_gov, 5, reason="voluntary")
        assert not unit.session_made
    balances = _balances(registry)
    assert (moved.status, balances[registry.jp_gov], balances[registry.jp_pp]) == ("completed", 65, 20)
    with registry.database.reading() as session:
        assert verify(session).ok


def test_a_failure_in_a_core_unit_undoes_its_statements_and_its_sessions_writes(registry: Registry) -> None:
    create_issuance(registry, {registry.jp_gov: 100}, authorized=False)
    before = _balances(registry)
    with registry.database.reading() as session:
        entries = session.scalar(select(func.count()).select_from(JournalEntry))
    with pytest.raises(RuntimeError), registry.database.core_unit() as unit:
        service.transfer(unit, OPERATOR, registry.jp_gov, registry.jp_pp, 30)
        service.set_account_status(unit, OPERATOR, registry.jp_pp, "suspended")  # an ORM write: makes the session
        assert unit.session_made
        raise RuntimeError("the request failed after both writes")
    assert _balances(registry) == before
    with registry.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(JournalEntry)) == entries
        assert {a.number: a.status for a in queries.accounts(session)}[registry.jp_pp] == "open"


def test_orm_writes_in_a_core_unit_reach_the_history_under_its_actor(registry: Registry) -> None:
    with registry.database.core_unit() as unit:
        act_as(unit, None, "Registry Clerk")
        service.set_account_status(unit, OPERATOR, registry.jp_pp, "suspended")
    with registry.database.reading() as session:
        recorded = session.scalars(
            select(HistoryEntry).where(HistoryEntry.table_name == "credit_accounts", HistoryEntry.operation == "update")
        ).all()
        assert [(h.actor, h.changes["status"]) for h in recorded] == [("Registry Clerk", ["open", "suspended"])]
