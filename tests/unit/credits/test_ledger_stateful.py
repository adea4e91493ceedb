"""Random operation sequences on the in-memory registry: the ledger's invariants always hold.

Supply is conserved (balances sum to zero; blocks add up to what was issued), no serial is in
two places, no holding account goes negative, a refused operation changes nothing, and
replaying the journal from scratch gives the same state.
"""

from __future__ import annotations

import copy

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from c3p.credits.rules.blocks import normalize
from c3p.credits.rules.holding_accounts import AccountKind, AccountStatus
from c3p.credits.rules.ledger import Ledger, MemoryRegistry
from c3p.credits.rules.transactions import Entry
from c3p.errors import C3PError


class RegistryMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.registry = MemoryRegistry()
        self.journal: list[Entry] = []
        self.issued = 0
        for code in ("JPN", "VNM"):
            self.registry.open_registry(code)
        self.holding = [
            self.registry.open_account(code, kind)
            for code in ("JPN", "VNM")
            for kind in (
                AccountKind.government_holding,
                AccountKind.participant_holding,
                AccountKind.participant_holding,
            )
        ]
        self.proposals: list[Entry] = []

    def _attempt(self, operation, *args, **kwargs):  # type: ignore[no-untyped-def]
        """Run an operation; a refusal must leave the ledger exactly as it was."""
        before = copy.deepcopy(self.registry.ledger)
        try:
            return operation(*args, **kwargs)
        except C3PError:
            after = self.registry.ledger
            assert (after.balances, after.blocks(), after.seq) == (before.balances, before.blocks(), before.seq)
            return None

    @rule(data=st.data(), authorized=st.booleans())
    def issue(self, data: st.DataObject, authorized: bool) -> None:
        accounts = data.draw(st.lists(st.sampled_from(self.holding), min_size=1, max_size=3, unique=True))
        lines = [(a, data.draw(st.integers(-2, 500))) for a in accounts]
        if self._attempt(self.registry.issue, "VNM", lines, authorized) is not None:
            self.issued += sum(c for _a, c in lines)

    @rule(source=st.integers(0, 5), to=st.integers(0, 5), credits=st.integers(-1, 300))
    def transfer(self, source: int, to: int, credits: int) -> None:
        entry = self._attempt(self.registry.transfer, self.holding[source], self.holding[to], credits)
        if entry is not None and entry.kind == "external_transfer":
            self.proposals.append(entry)

    @precondition(lambda self: self.proposals)
    @rule(accept=st.booleans(), data=st.data())
    def resolve(self, accept: bool, data: st.DataObject) -> None:
        proposal = data.draw(st.sampled_from(self.proposals))
        if self._attempt(self.registry.resolve, proposal, accept) is not None:
            self.proposals.remove(proposal)

    @rule(source=st.integers(0, 5), credits=st.integers(1, 200), cancel=st.booleans())
    def retire(self, source: int, credits: int, cancel: bool) -> None:
        self._attempt(self.registry.retire, self.holding[source], credits, cancel=cancel)

    @rule(account=st.integers(0, 5), status=st.sampled_from(list(AccountStatus)))
    def set_status(self, account: int, status: AccountStatus) -> None:
        state = self.registry.ledger.accounts[self.holding[account]]
        if status is AccountStatus.closed or state.status is AccountStatus.closed:
            return  # closing is final; keep the machine able to move credits
        self.registry.set_status(self.holding[account], status)

    @invariant()
    def supply_is_conserved_and_nothing_is_negative(self) -> None:
        ledger = self.registry.ledger
        ledger.check()
        assert ledger.supply() == self.issued
        normalize(ledger.blocks())  # raises if a serial is in two blocks

    @invariant()
    def replaying_the_journal_gives_the_same_state(self) -> None:
        replayed = Ledger()
        for entry in self.registry.journal:
            replayed.apply(Entry.from_json(entry.to_json()))
        ledger = self.registry.ledger
        assert replayed.blocks() == ledger.blocks()
        assert {k: v for k, v in replayed.balances.items() if v} == {k: v for k, v in ledger.balances.items() if v}


RegistryMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
TestRegistryLedger = RegistryMachine.TestCase
