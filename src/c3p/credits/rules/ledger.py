"""The ledger in memory: state rebuilt from journal entries, and the rules every entry obeys.

:meth:`Ledger.apply` is the only way the state changes; it checks an entry against the
rules (legs balance, moved serials are held by the sender, issued serials are new, no
holding account goes negative) before changing anything. ``c3p registry verify`` replays
the stored journal through it and compares the result with the database, and the property
tests replay the journal the credit service wrote. The planners below decide what a
transaction moves; the credit service (:mod:`c3p.credits.service`) is their only caller.
"""

from __future__ import annotations

import json
from bisect import bisect_right, insort
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from c3p.credits.rules import article6
from c3p.credits.rules.authorizations import (
    LEGACY_FIRST_TRANSFER,
    AuthorizedRange,
    FirstTransfer,
    first_transfers_on_record,
    legacy,
    record_at,
)
from c3p.credits.rules.blocks import Block, take
from c3p.credits.rules.holding_accounts import AccountKind, AccountStatus
from c3p.credits.rules.transactions import Entry, Leg, Move, TransactionKind, legs_for
from c3p.errors import InvalidInput
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


@dataclass(frozen=True)
class PendingState:
    """A transfer to the other registry as the journal tells it: proposed, then maybe resolved."""

    key: str
    from_account: int
    to_account: int
    credits: int
    moves: tuple[Move, ...]
    proposed_seq: int
    status: str = "pending"
    resolved_seq: int | None = None


@dataclass(frozen=True)
class ProposalState:
    """A transfer waiting for a second representative, as the journal tells it: proposed, then decided."""

    key: str
    from_account: int
    to_account: int
    credits: int
    serial: str
    proposed_by_id: int | None
    proposed_by: str
    proposed_seq: int
    status: str = "proposed"
    resolved_by: str = ""
    resolved_seq: int | None = None


@dataclass(frozen=True)
class AdjustmentState:
    """A corresponding adjustment an entry calls for, with the entry's sequence number."""

    country: str
    year: int
    kind: str
    credits: int
    journal_seq: int


@dataclass
class Ledger:
    accounts: dict[int, AccountState] = field(default_factory=dict)
    balances: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    issuances: dict[int, IssuanceState] = field(default_factory=dict)
    pending: dict[str, tuple[Move, ...]] = field(default_factory=dict)
    #: every transfer to the other registry, open or resolved, by key
    transfers: dict[str, PendingState] = field(default_factory=dict)
    adjustments: list[AdjustmentState] = field(default_factory=list)
    #: every transfer proposed for a second representative's approval, open or decided, by key
    proposals: dict[str, ProposalState] = field(default_factory=dict)
    #: the last sealed content of each credit fact row, by (table, key as JSON), with its entry's seq
    records: dict[tuple[str, str], tuple[dict[str, object] | None, int]] = field(default_factory=dict)
    #: Article 6.2 authorization records by issuance, and the ranges each issuance issued
    authorizations: dict[int, list[AuthorizedRange]] = field(default_factory=dict)
    issued: dict[int, list[tuple[str, int, int]]] = field(default_factory=dict)
    notification_refs: dict[int, str] = field(default_factory=dict)
    _starts: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    _blocks: dict[tuple[str, int], Block] = field(default_factory=dict)
    #: each registry's issuance account, kept as accounts open (a moving entry's legs are checked against it)
    _issuance_accounts: dict[str, int] = field(default_factory=dict)
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
            self._authorize(entry)
        elif entry.kind is TransactionKind.record:
            for row in entry.details["rows"]:
                self.records[(row["table"], json.dumps(row["key"]))] = (row["row"], entry.seq)
        elif entry.kind is TransactionKind.transfer_proposed:
            self._propose(entry)
        elif entry.kind is TransactionKind.transfer_refused:
            self._decide(entry, "refused")
        else:
            self._move(entry)
        self.seq = entry.seq

    def replay_moves(self, seq: int, moves: Iterable[Move]) -> None:
        """Only the blocks of ``moves``: how a credit's history replays the entries touching its range."""
        for move in moves:
            self._apply_move(seq, move)

    def _open(self, entry: Entry) -> None:
        d = entry.details
        if d["account_id"] in self.accounts:
            raise LedgerError(f"account {d['account_id']} is opened twice")
        account = AccountState(d["account_id"], d["registry"], AccountKind(d["kind"]), d["number"])
        self.accounts[account.id] = account
        if account.kind is AccountKind.issuance:
            self._issuance_accounts[account.registry] = account.id

    def _authorize(self, entry: Entry) -> None:
        """A whole issuance authorized or not (``status``), or one record of a range (``authorization``)."""
        d = entry.details
        old = self.issuances.get(d["issuance_id"])
        if old is None:
            raise LedgerError(f"entry {entry.seq}: unknown issuance {d['issuance_id']}")
        authorized = d["status"] == "authorized"
        if "authorization" in d:
            record = AuthorizedRange.from_terms(old.id, d["authorization"], entry.actor, entry.seq)
            kept = [
                r
                for r in self.authorizations.get(old.id, [])
                if not r.overlaps(record.registry, record.start, record.end)
            ]
            self.authorizations[old.id] = sorted([*kept, record], key=lambda r: (r.registry, r.start))
            self.split(record.registry, record.start, record.end)
            self._first_transfer_on_record(entry, record)
        elif authorized and not old.authorized:
            self.authorizations[old.id] = self._legacy(old.id, entry)
        elif not authorized:
            self.authorizations.pop(old.id, None)
        self.issuances[old.id] = replace(old, authorized=authorized)

    def _first_transfer_on_record(self, entry: Entry, record: AuthorizedRange) -> None:
        """The credits a record first-transfers when it is recorded: the entry's moves must be exactly those."""
        held = [
            (b, str(self.accounts[b.account_id].kind))
            for b in self.blocks_in(record.registry, record.start, record.end)
        ]
        if list(entry.moves) != first_transfers_on_record(record, held):
            raise LedgerError(f"entry {entry.seq}: its first transfers are not those its authorization defines")
        for move in entry.moves:
            self._apply_move(entry.seq, move)
        self._adjust(entry)

    def blocks_in(self, registry: str, start: int, end: int) -> list[Block]:
        """The blocks of ``registry`` starting inside ``start..end``, in serial order."""
        starts = self._starts[registry]
        first, last = bisect_right(starts, start - 1), bisect_right(starts, end)
        return [self._blocks[(registry, at)] for at in starts[first:last]]

    def _legacy(self, issuance_id: int, entry: Entry) -> list[AuthorizedRange]:
        """The records of a whole issuance authorized at ``entry``, decided by its notification (which may
        name the first-transfer definition when it authorizes at issuance)."""
        ref, day = self.notification_refs[issuance_id], entry.occurred_at[:10]
        definition = FirstTransfer(entry.details.get("first_transfer", LEGACY_FIRST_TRANSFER))
        return legacy(issuance_id, self.issued[issuance_id], ref, day, entry.actor, entry.seq, definition)

    def split(self, registry: str, start: int, end: int) -> None:
        """Cut the blocks crossing ``start`` or ``end`` so none lies partly inside ``start..end``."""
        for at in (start, end + 1):
            block = self.block_at(registry, at)
            if block is not None and block.start < at:
                left, right = block.cut(at)
                self._blocks[(registry, left.start)] = left
                self._put(right)

    def authorization_of(self, issuance_id: int, registry: str, start: int, end: int) -> AuthorizedRange | None:
        return record_at(self.authorizations.get(issuance_id, ()), registry, start, end)

    def _move(self, entry: Entry) -> None:
        if entry.kind is TransactionKind.issuance:
            d = entry.details
            if d["issuance_id"] in self.issuances:
                raise LedgerError(f"issuance {d['issuance_id']} is recorded twice")
            self.issuances[d["issuance_id"]] = IssuanceState(d["issuance_id"], d["host"], d["authorized"])
            self.issued[d["issuance_id"]] = issued_ranges(entry.moves)
            self.notification_refs[d["issuance_id"]] = d.get("notification_ref", "")
            if d["authorized"]:
                self.authorizations[d["issuance_id"]] = self._legacy(d["issuance_id"], entry)
        try:
            expected = legs_for(entry.moves, self._issuance_accounts)
        except (KeyError, ValueError) as error:
            raise LedgerError(f"entry {entry.seq}: {error}") from None
        # legs_for gives one leg per account, in account order: only the entry's own legs need sorting
        if list(expected) != sorted(entry.legs, key=_account_of):
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
        if "approval_of" in entry.details:
            self._decide(entry, "approved")
        self._track_pending(entry)
        self._adjust(entry)

    def _propose(self, entry: Entry) -> None:
        d = entry.details
        if entry.key in self.proposals:
            raise LedgerError(f"entry {entry.seq}: transfer {entry.key} is proposed twice")
        self.proposals[entry.key] = ProposalState(
            entry.key,
            d["from_account"],
            d["to_account"],
            d["credits"],
            d["serial"],
            d.get("proposed_by_id"),
            entry.actor,
            entry.seq,
        )

    def _decide(self, entry: Entry, status: str) -> None:
        """An approval (the transfer's own entry) or a refusal closes an open proposal of the same sender."""
        key = entry.details["approval_of"]
        proposal = self.proposals.get(key)
        if proposal is None or proposal.status != "proposed":
            raise LedgerError(f"entry {entry.seq}: no open proposal {key}")
        if status == "approved" and {m.from_account for m in entry.moves} != {proposal.from_account}:
            raise LedgerError(f"entry {entry.seq}: it moves credits of another account than proposal {key}")
        if entry.actor == proposal.proposed_by:
            raise LedgerError(f"entry {entry.seq}: proposal {key} is decided by its proposer")
        self.proposals[key] = replace(proposal, status=status, resolved_by=entry.actor, resolved_seq=entry.seq)

    def _track_pending(self, entry: Entry) -> None:
        if entry.kind is TransactionKind.external_transfer:
            self.pending[entry.key] = entry.moves
            sender = entry.moves[0].from_account if entry.moves else None
            self.transfers[entry.key] = PendingState(
                entry.key, sender or 0, entry.details.get("to_account", 0), entry.credits, entry.moves, entry.seq
            )
        elif entry.kind in (TransactionKind.acceptance, TransactionKind.rejection):
            proposal = entry.details["proposal"]
            if self.pending.pop(proposal, None) is None:
                raise LedgerError(f"entry {entry.seq}: no pending transfer {proposal}")
            status = "accepted" if entry.kind is TransactionKind.acceptance else "rejected"
            self.transfers[proposal] = replace(self.transfers[proposal], status=status, resolved_seq=entry.seq)

    def _adjust(self, entry: Entry) -> None:
        """The Article 6.2 adjustments of a moving entry, by the rule the service records them with."""
        movements = []
        for move in entry.moves:
            issuance, to = self.issuances[move.issuance_id], self.accounts[move.to_account]
            # an issuance with any authorization record is marked authorized: the record decides per range
            if not article6.may_adjust(move.first_transfer, issuance.authorized):
                continue
            authorized = self.authorization_of(move.issuance_id, move.registry, move.start, move.end) is not None
            movements.append(
                article6.Movement(move.credits, move.first_transfer, authorized, issuance.host, to.registry, to.kind)
            )
        for found in article6.adjustments_for(movements, int(entry.occurred_at[:4])):
            self.adjustments.append(
                AdjustmentState(found.country, found.year, str(found.kind), found.credits, entry.seq)
            )

    def _apply_move(self, seq: int, move: Move) -> None:
        if move.from_account is None:
            starts = self._starts[move.registry]
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
        first, *rest = block.carve(move.start, move.end, move.to_account, move.first_transfer)
        self._blocks[(block.registry, block.start)] = first  # the first piece keeps the block's start
        for piece in rest:
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


def _account_of(leg: Leg) -> int:
    return leg.account_id


# ---- planners: what a transaction moves (used by the credit service) ----


def issued_ranges(moves: Iterable[Move]) -> list[tuple[str, int, int]]:
    """The serial range an issuance's moves made in each registry (its serials there are consecutive)."""
    ranges: dict[str, tuple[int, int]] = {}
    for move in moves:
        low, high = ranges.get(move.registry, (move.start, move.end))
        ranges[move.registry] = (min(low, move.start), max(high, move.end))
    return [(registry, low, high) for registry, (low, high) in sorted(ranges.items())]


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
