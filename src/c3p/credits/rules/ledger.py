"""The ledger in memory: state rebuilt from journal entries, and the rules every entry obeys.

:meth:`Ledger.apply` is the only way the state changes; it checks an entry against the
rules (legs balance, moved serials are held by the sender, issued serials are new, no
holding account goes negative) before changing anything. ``c3p registry verify`` replays
the stored journal through it and compares the result with the database; the property
tests drive it with random operations through the planners below, which the database
service shares, so both apply one set of rules.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections import defaultdict
from dataclasses import dataclass, field, replace

from c3p.credits.rules import article6
from c3p.credits.rules.blocks import Block, take
from c3p.credits.rules.holding_accounts import SAME_ACCOUNTS, AccountKind, AccountStatus, check_may_hold, check_usable
from c3p.credits.rules.transactions import Entry, Move, TransactionKind, check_amount, legs_for
from c3p.errors import Conflict, InvalidInput
from c3p.messages import N_, Message


class LedgerError(ValueError):
    """An entry breaks a ledger rule (during replay: the journal does not describe a valid ledger)."""


@dataclass
class AccountState:
    id: int
    registry: str
    kind: AccountKind
    number: str
    status: AccountStatus = AccountStatus.open


@dataclass(frozen=True)
class IssuanceState:
    id: int
    host: str
    authorized: bool


@dataclass
class Ledger:
    accounts: dict[int, AccountState] = field(default_factory=dict)
    balances: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    issuances: dict[int, IssuanceState] = field(default_factory=dict)
    pending: dict[str, tuple[Move, ...]] = field(default_factory=dict)
    _starts: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    _blocks: dict[tuple[str, int], Block] = field(default_factory=dict)
    seq: int = 0

    # ---- reading ----
    def block_at(self, registry: str, unit: int) -> Block | None:
        starts = self._starts[registry]
        i = bisect_right(starts, unit) - 1
        if i < 0:
            return None
        block = self._blocks[(registry, starts[i])]
        return block if block.end >= unit else None

    def blocks(self) -> list[Block]:
        return sorted(self._blocks.values(), key=lambda b: (b.registry, b.start))

    def blocks_of(self, account_id: int) -> list[Block]:
        return [b for b in self.blocks() if b.account_id == account_id]

    def issuance_account(self, registry: str) -> int:
        for account in self.accounts.values():
            if account.registry == registry and account.kind is AccountKind.issuance:
                return account.id
        raise LedgerError(f"registry {registry} has no issuance account")

    def system_account(self, registry: str, kind: AccountKind) -> AccountState:
        for account in self.accounts.values():
            if account.registry == registry and account.kind is kind:
                return account
        raise LedgerError(f"registry {registry} has no {kind} account")

    def supply(self) -> int:
        return sum(b.credits for b in self._blocks.values())

    # ---- the one mutator ----
    def apply(self, entry: Entry) -> None:
        if entry.seq != self.seq + 1:
            raise LedgerError(f"entry {entry.seq} follows entry {self.seq}")
        if entry.kind is TransactionKind.account_opened:
            self._open(entry)
        elif entry.kind is TransactionKind.account_status:
            self.accounts[entry.details["account_id"]].status = AccountStatus(entry.details["status"])
        elif entry.kind is TransactionKind.authorization:
            old = self.issuances[entry.details["issuance_id"]]
            self.issuances[old.id] = replace(old, authorized=entry.details["status"] == "authorized")
        else:
            self._move(entry)
        self.seq = entry.seq

    def _open(self, entry: Entry) -> None:
        d = entry.details
        if d["account_id"] in self.accounts:
            raise LedgerError(f"account {d['account_id']} is opened twice")
        self.accounts[d["account_id"]] = AccountState(
            d["account_id"], d["registry"], AccountKind(d["kind"]), d["number"]
        )

    def _move(self, entry: Entry) -> None:
        if entry.kind is TransactionKind.issuance:
            d = entry.details
            if d["issuance_id"] in self.issuances:
                raise LedgerError(f"issuance {d['issuance_id']} is recorded twice")
            self.issuances[d["issuance_id"]] = IssuanceState(d["issuance_id"], d["host"], d["authorized"])
        issuance_accounts = {a.registry: a.id for a in self.accounts.values() if a.kind is AccountKind.issuance}
        try:
            expected = legs_for(entry.moves, issuance_accounts)
        except (KeyError, ValueError) as error:
            raise LedgerError(f"entry {entry.seq}: {error}") from None
        if sorted(expected, key=lambda leg: leg.account_id) != sorted(entry.legs, key=lambda leg: leg.account_id):
            raise LedgerError(f"entry {entry.seq}: its legs do not match its moves")
        for leg in entry.legs:
            if leg.account_id not in self.accounts:
                raise LedgerError(f"entry {entry.seq}: unknown account {leg.account_id}")
        for move in entry.moves:
            self._apply_move(entry.seq, move)
        for leg in entry.legs:
            self.balances[leg.account_id] += leg.credits
            account = self.accounts[leg.account_id]
            if account.kind is not AccountKind.issuance and self.balances[leg.account_id] < 0:
                raise LedgerError(f"entry {entry.seq}: account {account.number} would go negative")
        if entry.kind is TransactionKind.external_transfer:
            self.pending[entry.key] = entry.moves
        elif entry.kind in (TransactionKind.acceptance, TransactionKind.rejection) and (
            self.pending.pop(entry.details["proposal"], None) is None
        ):
            raise LedgerError(f"entry {entry.seq}: no pending transfer {entry.details['proposal']}")

    def _apply_move(self, seq: int, move: Move) -> None:
        starts = self._starts[move.registry]
        if move.from_account is None:
            before = self.block_at(move.registry, move.start)
            i = bisect_right(starts, move.start)
            if before is not None or (i < len(starts) and starts[i] <= move.end):
                raise LedgerError(f"entry {seq}: serials {move.start}-{move.end} of {move.registry} already exist")
            self._put(
                Block(move.registry, move.start, move.end, move.to_account, move.issuance_id, move.first_transfer)
            )
            return
        block = self.block_at(move.registry, move.start)
        if block is None or block.account_id != move.from_account or not block.contains(move.start, move.end):
            raise LedgerError(
                f"entry {seq}: serials {move.start}-{move.end} of {move.registry} are not held by account "
                f"{move.from_account}"
            )
        del self._blocks[(block.registry, block.start)]
        starts.pop(bisect_right(starts, block.start) - 1)
        for piece in block.carve(move.start, move.end, move.to_account, move.first_transfer):
            self._put(piece)

    def _put(self, block: Block) -> None:
        self._blocks[(block.registry, block.start)] = block
        insort(self._starts[block.registry], block.start)

    # ---- checks ----
    def check(self) -> None:
        """The invariants: supply conserved, no negative holding, balances equal the blocks held."""
        if sum(self.balances.values()) != 0:
            raise LedgerError("the balances do not sum to zero: credits were created or lost")
        held: dict[int, int] = defaultdict(int)
        for block in self._blocks.values():
            held[block.account_id] += block.credits
        for account in self.accounts.values():
            balance = self.balances.get(account.id, 0)
            if account.kind is AccountKind.issuance:
                continue
            if balance < 0 or balance != held.get(account.id, 0):
                raise LedgerError(f"account {account.number}: balance {balance}, blocks {held.get(account.id, 0)}")


# ---- planners: what a transaction moves (shared with the database service) ----


def plan_issuance(
    registry: str, next_unit: int, allocations: list[tuple[int, int, bool]], issuance_id: int
) -> list[Move]:
    """New serials from ``next_unit`` on, one range per (account, credits, first transfer)."""
    moves, unit = [], next_unit
    for account_id, credits, first in allocations:
        moves.append(Move(registry, unit, unit + credits - 1, None, account_id, issuance_id, first))
        unit += credits
    return moves


def plan_transfer(source: list[Block], credits: int, to_account: int, first_transfer: dict[int, bool]) -> list[Move]:
    """Move the first ``credits`` of ``source`` (lowest serial first) to ``to_account``.

    ``first_transfer`` maps an issuance id to whether this move is a first transfer of its credits.
    """
    moves = []
    for part in take(source, credits):
        first = first_transfer.get(part.block.issuance_id, False) and not part.block.first_transferred
        moves.append(
            Move(
                part.block.registry,
                part.start,
                part.end,
                part.block.account_id,
                to_account,
                part.block.issuance_id,
                first,
            )
        )
    return moves


def plan_range(source: list[Block], start: int, end: int, to_account: int, first: dict[int, bool]) -> list[Move]:
    """Move exactly serials ``start..end`` (they must all be in ``source``, the sender's blocks)."""
    moves, unit = [], start
    for block in sorted(source, key=lambda b: b.start):
        if block.end < unit or block.start > end:
            continue
        if block.start > unit:
            break
        last = min(end, block.end)
        flag = first.get(block.issuance_id, False) and not block.first_transferred
        moves.append(Move(block.registry, unit, last, block.account_id, to_account, block.issuance_id, flag))
        unit = last + 1
        if unit > end:
            return moves
    refusal = N_("serials %(start)s-%(end)s are not all held by the sending account")
    raise InvalidInput(Message(refusal, {"start": start, "end": end}), field="serial")


# ---- operations on the in-memory ledger (used by the property tests) ----


class MemoryRegistry:
    """The whole registry in memory, with the same rules as the database service."""

    def __init__(self) -> None:
        self.ledger = Ledger()
        self.journal: list[Entry] = []
        self.next_unit: dict[str, int] = defaultdict(lambda: 1)
        self._next_account = 1
        self._next_issuance = 1

    def _entry(self, kind: TransactionKind, moves: list[Move] | None = None, /, **details: object) -> Entry:
        issuance_accounts = {a.registry: a.id for a in self.ledger.accounts.values() if a.kind is AccountKind.issuance}
        moves = moves or []
        legs = legs_for(moves, issuance_accounts) if moves else ()
        key = f"k{self.ledger.seq + 1}"
        entry = Entry(self.ledger.seq + 1, key, kind, "2026-01-01T00:00:00+00:00", "test", legs, tuple(moves), details)
        self.ledger.apply(entry)
        self.journal.append(entry)
        return entry

    def open_account(self, registry: str, kind: AccountKind) -> int:
        account_id = self._next_account
        self._next_account += 1
        number = f"{registry}-{kind.letter}-{account_id:06d}"
        details = {"account_id": account_id, "registry": registry, "kind": str(kind), "number": number}
        self._entry(TransactionKind.account_opened, None, **details)
        return account_id

    def open_registry(self, registry: str) -> None:
        for kind in (AccountKind.issuance, AccountKind.cancellation, AccountKind.retirement, AccountKind.pending):
            self.open_account(registry, kind)

    def set_status(self, account_id: int, status: AccountStatus) -> None:
        self._entry(TransactionKind.account_status, account_id=account_id, status=str(status))

    def issue(self, host: str, allocations: list[tuple[int, int]], authorized: bool = True) -> int:
        for _account, credits in allocations:
            check_amount(credits)
        issuance_id = self._next_issuance
        self._next_issuance += 1
        by_registry: dict[str, list[tuple[int, int, bool]]] = defaultdict(list)
        for account_id, credits in allocations:
            account = self._usable(account_id, sending=False)
            check_may_hold(account.registry, host)
            first = article6.is_first_transfer(authorized, host, account.registry, account.kind, already=False)
            by_registry[account.registry].append((account_id, credits, first))
        moves = []
        for registry, lines in sorted(by_registry.items()):
            moves += plan_issuance(registry, self.next_unit[registry], lines, issuance_id)
            self.next_unit[registry] += sum(credits for _a, credits, _f in lines)
        self._entry(TransactionKind.issuance, moves, issuance_id=issuance_id, host=host, authorized=authorized)
        return issuance_id

    def _usable(self, account_id: int, *, sending: bool) -> AccountState:
        account = self.ledger.accounts.get(account_id)
        if account is None:
            raise InvalidInput(f"unknown account {account_id}")
        check_usable(account.number, account.status, account.kind, sending=sending)
        return account

    def _first(self, to: AccountState) -> dict[int, bool]:
        return {
            i.id: article6.is_first_transfer(i.authorized, i.host, to.registry, to.kind, already=False)
            for i in self.ledger.issuances.values()
        }

    def _hosts_allow(self, source: list[Block], moves: list[Move], registry: str) -> None:
        for move in moves:
            check_may_hold(registry, self.ledger.issuances[move.issuance_id].host)

    def transfer(self, from_id: int, to_id: int, credits: int) -> Entry:
        check_amount(credits)
        sender, receiver = self._usable(from_id, sending=True), self._usable(to_id, sending=False)
        if from_id == to_id:
            raise InvalidInput(SAME_ACCOUNTS)
        source = self.ledger.blocks_of(from_id)
        if sender.registry == receiver.registry:
            return self._entry(TransactionKind.transfer, plan_transfer(source, credits, to_id, self._first(receiver)))
        pending = self.ledger.system_account(sender.registry, AccountKind.pending)
        moves = plan_transfer(source, credits, pending.id, {})
        self._hosts_allow(source, moves, receiver.registry)
        return self._entry(TransactionKind.external_transfer, moves, to_account=to_id)

    def resolve(self, proposal: Entry, accept: bool) -> Entry:
        if proposal.key not in self.ledger.pending:
            raise Conflict(f"transfer {proposal.key} is not pending")
        to_id = int(proposal.details["to_account"] if accept else proposal.moves[0].from_account or 0)
        receiver = self.ledger.accounts[to_id]
        first = self._first(receiver) if accept else {}
        moves = [
            Move(
                m.registry,
                m.start,
                m.end,
                m.to_account,
                to_id,
                m.issuance_id,
                first.get(m.issuance_id, False) and not self._flag(m),
            )
            for m in proposal.moves
        ]
        kind = TransactionKind.acceptance if accept else TransactionKind.rejection
        return self._entry(kind, moves, proposal=proposal.key)

    def _flag(self, move: Move) -> bool:
        block = self.ledger.block_at(move.registry, move.start)
        return bool(block and block.first_transferred)

    def retire(self, from_id: int, credits: int, *, cancel: bool = False) -> Entry:
        check_amount(credits)
        sender = self._usable(from_id, sending=True)
        kind = AccountKind.cancellation if cancel else AccountKind.retirement
        target = self.ledger.system_account(sender.registry, kind)
        moves = plan_transfer(self.ledger.blocks_of(from_id), credits, target.id, self._first(target))
        return self._entry(TransactionKind.cancellation if cancel else TransactionKind.retirement, moves)
