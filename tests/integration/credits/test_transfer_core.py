"""The transfer core on a real database, checked against the pure rules.

On PostgreSQL a transfer, cancellation or retirement runs in one call of the server-side
function ``c3p_move_out``; a unit of work can ask for the Python path (``REFERENCE_PATH``). Random
operations pick a path each, and an ORM unit of work or a Core one (the edges' hot path), so the
journal mixes entries of all; after every step it replays
through the pure :class:`~c3p.credits.rules.ledger.Ledger` to exactly the database's blocks,
balances and Article 6.2 adjustments, its hash chain holds, and ``verify`` passes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from c3p.credits import service
from c3p.credits.rules.blocks import Block, normalize
from c3p.credits.rules.journal import StoredEntry, canonical, entry_hash, first_bad_entry
from c3p.credits.rules.ledger import Ledger
from c3p.credits.rules.transactions import Entry
from c3p.credits.store import REFERENCE_PATH
from c3p.credits.tables import CorrespondingAdjustment, CreditAccount, CreditBlock, JournalEntry, PendingTransfer
from c3p.credits.verify import verify
from c3p.db.database import Database
from c3p.errors import C3PError, Conflict, InvalidInput
from tests.support.credits import OPERATOR, Registry, create_issuance, create_registry
from tests.support.tampering import reseal_from

State = tuple[list[Block], dict[int, int], list[tuple[Any, ...]]]


def database_state(session: Session) -> State:
    """Blocks (merged), non-zero balances and adjustments as the database holds them."""
    rows = session.execute(
        select(
            CreditBlock.registry_code,
            CreditBlock.start_serial,
            CreditBlock.end_serial,
            CreditBlock.account_id,
            CreditBlock.issuance_id,
            CreditBlock.first_transferred,
        )
    ).all()
    blocks = normalize(Block(r, s, e, a, i, bool(f)) for r, s, e, a, i, f in rows)
    balances = {i: b for i, b in session.execute(select(CreditAccount.id, CreditAccount.balance)).all() if b}
    adjustments = session.execute(
        select(
            CorrespondingAdjustment.country,
            CorrespondingAdjustment.year,
            CorrespondingAdjustment.kind,
            CorrespondingAdjustment.credits,
            CorrespondingAdjustment.journal_seq,
        )
    ).all()
    return blocks, balances, sorted(tuple(a) for a in adjustments)


def rules_state(session: Session) -> State:
    """The same, from the journal replayed through the pure ledger (its chain checked first)."""
    stored = session.execute(
        select(JournalEntry.seq, JournalEntry.entry, JournalEntry.previous_hash, JournalEntry.hash).order_by(
            JournalEntry.seq
        )
    ).all()
    assert first_bad_entry(StoredEntry(*row) for row in stored) is None
    ledger = Ledger()
    for row in stored:
        assert canonical(json.loads(row.entry)) == row.entry  # every entry's text is canonical JSON
        ledger.apply(Entry.from_json(json.loads(row.entry)))
    ledger.check()
    balances = {i: b for i, b in ledger.balances.items() if b}
    adjustments = sorted((a.country, a.year, a.kind, a.credits, a.journal_seq) for a in ledger.adjustments)
    return normalize(ledger.blocks()), balances, adjustments


def attempt(database: Database, reference: bool, command: Callable[[Any], Any], core: bool = False) -> Any:
    """Run ``command`` on the Python path (``reference``) or the server path, in an ORM unit of work or a
    Core one (``core``, the hot path's); a refusal changes nothing."""
    with database.reading() as session:
        before = database_state(session)
    try:
        return attempt_strict(database, reference, command, core)
    except C3PError:
        with database.reading() as session:
            assert database_state(session) == before
        return None


def make_machine(new_url: Callable[[], str]) -> type[RuleBasedStateMachine]:
    class TransferCoreMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.database = Database(new_url())
            self.database.upgrade()
            self.registry: Registry = create_registry(self.database)
            self.refs: list[str] = []

        def teardown(self) -> None:
            self.database.dispose()

        @rule(jp=st.integers(1, 80), vn=st.integers(1, 80), authorized=st.booleans())
        def issue(self, jp: int, vn: int, authorized: bool) -> None:
            ref = f"JC-{len(self.refs) + 1}"
            allocation = {self.registry.jp_gov: jp, self.registry.vn_pp: vn, self.registry.vn_gov: vn}
            try:
                create_issuance(self.registry, allocation, ref=ref, authorized=authorized, model_project=False)
                self.refs.append(ref)
            except C3PError:
                pass

        @rule(data=st.data(), authorized=st.booleans(), core=st.booleans())
        def authorize(self, data: st.DataObject, authorized: bool, core: bool) -> None:
            if self.refs:
                ref = data.draw(st.sampled_from(self.refs))
                status = "authorized" if authorized else "not_authorized"
                attempt(self.database, True, lambda s: service.authorize(s, OPERATOR, ref, status), core)

        @rule(
            source=st.integers(0, 3),
            to=st.integers(0, 3),
            credits=st.integers(1, 100),
            reference=st.booleans(),
            core=st.booleans(),
        )
        def transfer(self, source: int, to: int, credits: int, reference: bool, core: bool) -> None:
            sender, receiver = self.registry.holding[source], self.registry.holding[to]
            attempt(self.database, reference, lambda s: service.transfer(s, OPERATOR, sender, receiver, credits), core)

        @rule(
            source=st.integers(0, 3),
            credits=st.integers(1, 100),
            cancel=st.booleans(),
            reference=st.booleans(),
            core=st.booleans(),
        )
        def retire(self, source: int, credits: int, cancel: bool, reference: bool, core: bool) -> None:
            account = self.registry.holding[source]
            command: Callable[[Any], Any] = (
                (lambda s: service.cancel(s, OPERATOR, account, credits, reason="x"))
                if cancel
                else (lambda s: service.retire(s, OPERATOR, account, "NDC", 'Mr "B" \\ 東京\n', credits))
            )
            attempt(self.database, reference, command, core)

        @rule(accept=st.booleans())
        def resolve(self, accept: bool) -> None:
            with self.database.reading() as session:
                keys = list(session.scalars(select(PendingTransfer.key).where(PendingTransfer.status == "pending")))
            for key in keys[:1]:
                attempt(self.database, True, lambda s, k=key: service.resolve_pending(s, OPERATOR, k, accept))

        @rule(account=st.integers(0, 3), suspend=st.booleans(), core=st.booleans())
        def set_status(self, account: int, suspend: bool, core: bool) -> None:
            number = self.registry.holding[account]
            status = "suspended" if suspend else "open"
            attempt(self.database, True, lambda s: service.set_account_status(s, OPERATOR, number, status), core)

        @invariant()
        def the_database_is_what_the_rules_make_of_its_journal(self) -> None:
            with self.database.reading() as session:
                assert database_state(session) == rules_state(session)
                report = verify(session)
            assert report.ok, report.problems

    return TransferCoreMachine


def test_both_paths_leave_the_state_the_pure_rules_replay(backend: str, new_database_url) -> None:  # type: ignore[no-untyped-def]
    machine = make_machine(lambda: new_database_url(backend))
    machine.TestCase.settings = settings(
        max_examples=10, stateful_step_count=14, deadline=None, suppress_health_check=list(HealthCheck)
    )
    machine.TestCase().runTest()


def _server_calls(session: Session) -> int:
    found = session.execute(
        text("SELECT calls FROM pg_stat_xact_user_functions WHERE funcname = 'c3p_move_out'")
    ).scalar()
    return int(found or 0)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_postgresql_moves_credits_in_one_server_call(registry: Registry) -> None:
    create_issuance(registry, {registry.jp_gov: 100, registry.vn_pp: 40}, authorized=False)
    with registry.database.unit_of_work() as session:
        session.execute(text("SET LOCAL track_functions = 'pl'"))
        view = service.transfer(session, OPERATOR, registry.jp_gov, registry.jp_pp, 30)
        retired = service.retire(session, OPERATOR, registry.jp_pp, "NDC", "Japan", 10)
        cancelled = service.cancel(session, OPERATOR, registry.vn_pp, 5, reason="voluntary")
        assert _server_calls(session) == 3
    assert (view.credits, view.status, view.to_account) == (30, "completed", registry.jp_pp)
    assert len(view.serials) == 1 and view.serials[0].endswith("71-000000000100"), view.serials
    assert (retired.to_account, cancelled.to_account, cancelled.details) == (None, None, {"reason": "voluntary"})
    with registry.database.reading() as session:
        adjustments = session.execute(
            select(CorrespondingAdjustment.country, CorrespondingAdjustment.kind, CorrespondingAdjustment.credits)
        ).all()
        assert database_state(session) == rules_state(session)
        assert verify(session).ok
    assert adjustments == []  # credits not authorized under Article 6.2: no adjustment


def _block_writes(session: Session) -> tuple[int, int, int]:
    """Rows of ``credit_blocks`` inserted, updated and updated HOT (in place, no index written) by this backend
    since its counts were last sent to the statistics (PostgreSQL 15 keeps earlier transactions' until then)."""
    found = session.execute(
        text("SELECT n_tup_ins, n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'credit_blocks'")
    ).one()
    return found.n_tup_ins, found.n_tup_upd, found.n_tup_hot_upd


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_one_server_call_moves_whole_blocks_and_shortens_the_one_it_cuts_in_place(registry: Registry) -> None:
    create_issuance(registry, {registry.jp_gov: 100, registry.jp_pp: 100}, authorized=False)
    for _ in range(2):  # the receiver holds 91-95, 96-100 and 101-200
        attempt_strict(
            registry.database, False, lambda s: service.transfer(s, OPERATOR, registry.jp_gov, registry.jp_pp, 5)
        )
    with registry.database.unit_of_work() as session:
        session.execute(text("SET LOCAL track_functions = 'pl'"))
        before = _block_writes(session)
        view = service.transfer(session, OPERATOR, registry.jp_pp, registry.jp_gov, 13)
        assert _server_calls(session) == 1
        # two whole blocks moved, the third shortened to 101-197 in place, 198-200 inserted
        assert tuple(a - b for a, b in zip(_block_writes(session), before, strict=True)) == (1, 3, 1)
    assert [serials.rsplit("-", 2)[-2:] for serials in view.serials] == [
        ["000000000091", "000000000095"],
        ["000000000096", "000000000100"],
        ["000000000198", "000000000200"],
    ]
    with registry.database.reading() as session:
        assert database_state(session) == rules_state(session)
        assert verify(session).ok


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_refusal_on_the_server_path_is_the_python_paths_refusal_and_changes_nothing(registry: Registry) -> None:
    create_issuance(registry, {registry.jp_gov: 100, registry.vn_pp: 40})
    refusals = []
    for reference in (True, False):
        for command in (
            lambda s: service.transfer(s, OPERATOR, registry.jp_gov, registry.jp_pp, 101),
            lambda s: service.retire(s, OPERATOR, registry.jp_pp, "NDC", "Japan", 1),
        ):
            with pytest.raises(InvalidInput) as refused:
                attempt_strict(registry.database, reference, command)
            refusals.append(str(refused.value.message))
    assert refusals[:2] == refusals[2:]
    with registry.database.unit_of_work() as session:
        service.set_account_status(session, OPERATOR, registry.jp_pp, "suspended")
    with pytest.raises(Conflict):
        attempt_strict(
            registry.database, False, lambda s: service.transfer(s, OPERATOR, registry.jp_gov, registry.jp_pp, 1)
        )
    with registry.database.reading() as session:
        assert database_state(session) == rules_state(session)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_authorized_credits_take_the_python_path_and_are_marked_as_the_rules_mark_them(registry: Registry) -> None:
    create_issuance(registry, {registry.jp_gov: 100, registry.vn_pp: 40, registry.vn_gov: 40}, authorized=False)
    with registry.database.unit_of_work() as session:
        service.authorize(session, OPERATOR, "JC-VN-001", "authorized")
        session.execute(text("SET LOCAL track_functions = 'pl'"))
        service.transfer(session, OPERATOR, registry.jp_gov, registry.jp_pp, 1)
        service.transfer(session, OPERATOR, registry.jp_pp, registry.jp_gov, 1)
        assert _server_calls(session) == 2  # called, and it left authorized credits to the Python path
    for credits in (60, 40):  # the end of the block, then the whole remainder
        attempt_strict(
            registry.database,
            False,
            lambda s, n=credits: service.transfer(s, OPERATOR, registry.jp_gov, registry.jp_pp, n),
        )
    attempt_strict(registry.database, False, lambda s: service.cancel(s, OPERATOR, registry.vn_pp, 40))
    attempt_strict(registry.database, False, lambda s: service.retire(s, OPERATOR, registry.vn_gov, "NDC", "VN", 10))
    with registry.database.reading() as session:
        blocks, _balances, adjustments = database_state(session)
        assert (blocks, _balances, adjustments) == rules_state(session)
    held = {(b.account_id, b.first_transferred): b.credits for b in blocks}
    assert sum(credits for (_a, first), credits in held.items() if first) == 140  # JPN 100, cancelled 40
    # one adjustment per entry that first-transferred; retiring in the host's own registry is domestic use
    assert sum(a[3] for a in adjustments if a[2] == "first_transfer") == 140  # each credit once
    assert [a for a in adjustments if a[2] == "use"] == []


def attempt_strict(database: Database, reference: bool, command: Callable[[Any], Any], core: bool = False) -> Any:
    """``command`` in its own unit of work: an ORM one, or a Core one of one command (its move commits with it)."""
    with database.core_unit(one_command=True) if core else database.unit_of_work() as work:
        work.info[REFERENCE_PATH] = reference
        return command(work)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_mixed_journal_verifies_and_an_entry_of_the_function_edited_is_found(registry: Registry) -> None:
    create_issuance(registry, {registry.jp_gov: 200, registry.vn_pp: 100, registry.vn_gov: 100})
    for reference in (False, True, False, True):
        attempt_strict(
            registry.database,
            reference,
            lambda s: service.transfer(s, OPERATOR, registry.vn_gov, registry.vn_pp, 7),
        )
        attempt_strict(
            registry.database, reference, lambda s: service.cancel(s, OPERATOR, registry.vn_pp, 3, reason="ü\t")
        )
    with registry.database.reading() as session:
        assert verify(session).ok
        last = session.execute(select(JournalEntry.seq, JournalEntry.entry).order_by(JournalEntry.seq.desc())).first()
        previous = session.scalar(select(JournalEntry.hash).where(JournalEntry.seq == last.seq - 1))
        stored_hash = session.scalar(select(JournalEntry.hash).where(JournalEntry.seq == last.seq))
    assert stored_hash == entry_hash(previous, last.entry)  # the function's hash is Python's hash of its text
    # a tamperer moves the function-made cancellation's credits to another account and re-seals the chain
    reseal_from(registry.database, last.seq - 2, lambda entry: entry["moves"][0].__setitem__(4, 1))
    with registry.database.reading() as session:
        assert not verify(session).ok


def test_a_database_made_from_the_tables_has_the_function_the_migrations_make(new_database_url) -> None:  # type: ignore[no-untyped-def]
    from c3p.db import migrate

    definitions = []
    for make in (migrate.upgrade, migrate.run_migrations):  # from the tables in one go; every migration in turn
        database = Database(new_database_url("postgresql"))
        make(database.engine)
        with database.reading() as session:
            found = "SELECT pg_get_functiondef(oid) FROM pg_proc WHERE proname = 'c3p_move_out'"  # body and settings
            definitions.append(session.scalar(text(found)))
        database.dispose()
    assert definitions[0] is not None and definitions[0] == definitions[1]


def test_downgrading_the_one_block_update_brings_back_the_function_before_it(new_database_url) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    from c3p.db import migrate

    database = Database(new_database_url("postgresql"))
    found = text("SELECT prosrc FROM pg_proc WHERE proname = 'c3p_move_out'")
    migrate.run_migrations(database.engine)
    with database.reading() as session:
        made = session.scalar(found)
    with database.engine.begin() as connection:
        config = migrate.alembic_config(database.engine)
        config.attributes["connection"] = connection
        command.downgrade(config, "20261207_1000")
    with database.reading() as session:
        before = session.scalar(found)
    migrate.run_migrations(database.engine)
    with database.reading() as session:
        again = session.scalar(found)
    database.dispose()
    assert "v_taken_ids" in made and "v_taken_ids" not in before and "v_cut_id" in before
    assert again == made
