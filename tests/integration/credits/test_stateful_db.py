"""Random operation sequences through the database services (few steps: each runs on a real
database): the same invariants as the in-memory machine, checked by ``verify`` and totals."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import select

from c3p.credits import queries, service
from c3p.credits.tables import CreditBlock, PendingTransfer
from c3p.credits.verify import verify
from c3p.db.database import Database
from c3p.errors import C3PError
from tests.support.credits import OPERATOR, Registry, create_issuance, create_registry


def make_machine(new_url):  # type: ignore[no-untyped-def]
    class DatabaseRegistryMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.database = Database(new_url())
            self.database.upgrade()
            self.registry: Registry = create_registry(self.database)
            self.issued = 0
            self.issuances = 0

        def teardown(self) -> None:
            self.database.dispose()

        def _snapshot(self) -> Any:
            with self.database.reading() as session:
                blocks = session.execute(
                    select(
                        CreditBlock.registry_code,
                        CreditBlock.start_serial,
                        CreditBlock.end_serial,
                        CreditBlock.account_id,
                    )
                ).all()
                return sorted(blocks), [(a.number, a.balance_credits) for a in queries.accounts(session)]

        def _attempt(self, command) -> Any:  # type: ignore[no-untyped-def]
            before = self._snapshot()
            try:
                with self.database.unit_of_work() as session:
                    return command(session)
            except C3PError:
                assert self._snapshot() == before
                return None

        @rule(jp=st.integers(0, 400), vn=st.integers(-1, 300))
        def issue(self, jp: int, vn: int) -> None:
            self.issuances += 1
            try:
                create_issuance(
                    self.registry, {self.registry.jp_gov: jp, self.registry.vn_pp: vn}, ref=f"JC-{self.issuances}"
                )
                self.issued += jp + vn
            except C3PError:
                pass

        @rule(source=st.integers(0, 3), to=st.integers(0, 3), credits=st.integers(0, 200))
        def transfer(self, source: int, to: int, credits: int) -> None:
            accounts = self.registry.holding
            self._attempt(lambda s: service.transfer(s, OPERATOR, accounts[source], accounts[to], credits))

        @rule(source=st.integers(0, 3), credits=st.integers(1, 100), cancel=st.booleans())
        def retire(self, source: int, credits: int, cancel: bool) -> None:
            account = self.registry.holding[source]
            if cancel:
                self._attempt(lambda s: service.cancel(s, OPERATOR, account, credits))
            else:
                self._attempt(lambda s: service.retire(s, OPERATOR, account, "NDC", "someone", credits))

        def _pending(self) -> list[str]:
            with self.database.reading() as session:
                return list(session.scalars(select(PendingTransfer.key).where(PendingTransfer.status == "pending")))

        @precondition(lambda self: True)
        @rule(accept=st.booleans())
        def resolve(self, accept: bool) -> None:
            for key in self._pending()[:1]:
                self._attempt(lambda s, k=key: service.resolve_pending(s, OPERATOR, k, accept))

        @invariant()
        def the_journal_replays_to_the_state_and_supply_is_conserved(self) -> None:
            with self.database.reading() as session:
                report = verify(session)
                held = sum(a.balance_credits for a in queries.accounts(session) if a.kind != "issuance")
            assert report.ok, report.problems
            assert report.supply_credits == held == self.issued

    return DatabaseRegistryMachine


def test_random_operations_through_the_database_keep_the_invariants(backend: str, new_database_url) -> None:  # type: ignore[no-untyped-def]
    machine = make_machine(lambda: new_database_url(backend))
    machine.TestCase.settings = settings(
        max_examples=5 if backend == "postgresql" else 8,
        stateful_step_count=15,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    machine.TestCase().runTest()


pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
