"""The full history of a serial range: every split, transfer and label change, as a tree.

The tree is rebuilt from the journal entries whose moves touch the range, replayed by the
ledger's own move rule (:meth:`~c3p.credits.rules.ledger.Ledger.replay_moves`), so a
history can never tell another story than ``c3p registry verify``. Each issued range is a
root; a move out of a node's range splits it into children: the part that moved (the entry's
kind) and the parts that stayed (``split``); an Article 6.2 authorization change of a whole
issuance gives every current node of it one child carrying the new label, and a record of a
serial range cuts the nodes at its bounds (as the ledger cuts blocks) and gives the part inside
it a child carrying the record's purposes. Nodes are clipped to the
range asked for, so the leaves are the range's final state and always sum to what was
issued in it.

Replaying only the touching entries is enough: a move lies inside one block of the full
ledger, and every block that meets the range lies inside one block of the partial replay
with the same holder (moves that miss the range only split blocks outside it).

>>> from c3p.credits.rules.transactions import Entry, Move, TransactionKind as K
>>> issue = Entry(1, "a", K.issuance, "2026-01-01", "x", moves=(Move("JPN", 1, 10, None, 5, 1),),
...               details={"authorized": False})
>>> move = Entry(2, "b", K.transfer, "2026-02-01", "x", moves=(Move("JPN", 4, 6, 5, 6, 1),))
>>> tree = history([issue, move], "JPN", 1, 10)
>>> [(n.start, n.end, n.account_id, n.kind) for n in tree.leaves()]
[(1, 3, 5, 'split'), (4, 6, 6, 'transfer'), (7, 10, 5, 'split')]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise

from c3p.credits.rules.authorizations import AuthorizedRange, legacy, record_at
from c3p.credits.rules.blocks import Block
from c3p.credits.rules.ledger import Ledger, LedgerError, issued_ranges
from c3p.credits.rules.transactions import Entry, Move, TransactionKind

#: the kind of a node that stayed with its holder when part of its range moved
SPLIT = "split"


@dataclass
class Node:
    """Serials ``start..end`` in one account, from the entry ``seq`` that put them there."""

    start: int
    end: int
    account_id: int
    issuance_id: int
    seq: int
    kind: str
    occurred_at: str
    #: the purposes of the authorization record covering the range then (empty: not authorized)
    purposes: frozenset[str]
    first_transferred: bool
    children: list[Node] = field(default_factory=list)

    @property
    def credits(self) -> int:
        return self.end - self.start + 1

    @property
    def authorized(self) -> bool:
        return bool(self.purposes)

    def leaves(self) -> Iterator[Node]:
        return (node for _depth, node in walk([self]) if not node.children)


@dataclass
class History:
    """The trees of serials ``start..end`` of ``registry``: one root per issued range in it."""

    registry: str
    start: int
    end: int
    roots: list[Node] = field(default_factory=list)

    @property
    def issued_credits(self) -> int:
        return sum(root.credits for root in self.roots)

    def leaves(self) -> list[Node]:
        return [node for _depth, node in walk(self.roots) if not node.children]


def walk(roots: list[Node]) -> Iterator[tuple[int, Node]]:
    """Every node with its depth, depth first, without recursion: a block split by thousands of
    transfers, each taking the end of what is left, is a chain thousands of nodes deep."""
    stack = [(0, root) for root in reversed(roots)]
    while stack:
        depth, node = stack.pop()
        yield depth, node
        stack.extend((depth + 1, child) for child in reversed(node.children))


def touches(move: Move, registry: str, start: int, end: int) -> bool:
    return move.registry == registry and move.start <= end and start <= move.end


def history(entries: Iterable[Entry], registry: str, start: int, end: int) -> History:
    """The history of serials ``start..end`` of ``registry`` from the journal ``entries``, oldest first.

    ``entries`` may hold any others; those that neither move serials of the range nor change the
    authorization of an issuance in it are skipped. :class:`LedgerError` if the moves do not replay.
    """
    found = History(registry, start, end)
    ledger, nodes = Ledger(), _Nodes(start, end)
    labels = _Records(registry)
    for entry in entries:
        if entry.kind is TransactionKind.authorization:
            # a label change; its moves, if any, first-transfer credits where they are
            labels.change(nodes, ledger, entry)
        moves = [m for m in entry.moves if touches(m, registry, start, end)]
        if entry.kind is TransactionKind.issuance and moves:
            labels.issue(entry, moves[0].issuance_id)
        for move in moves:
            parent = None if move.from_account is None else ledger.block_at(registry, move.start)
            ledger.replay_moves(entry.seq, [move])
            if parent is None:
                root = nodes.add(
                    Block(registry, move.start, move.end, move.to_account, move.issuance_id, move.first_transfer), entry
                )
                root.purposes = labels.purposes_at(root.issuance_id, root.start, root.end)
                found.roots.append(root)
            else:
                nodes.split(parent, ledger, entry, move)
    return found


class RecordsInForce:
    """The authorization records of each issuance met so far, entry by entry, as the ledger keeps them.

    Fed the journal's issuance and authorization entries oldest first, it holds the records in
    force after the last one: a credit's history labels its nodes with them, and the retirements
    list labels each retirement's credits with those in force when it was made.
    """

    def __init__(self) -> None:
        self.issued: dict[int, list[tuple[str, int, int]]] = {}
        self.records: dict[int, list[AuthorizedRange]] = {}

    def of(self, issuance: int) -> list[AuthorizedRange]:
        return self.records.get(issuance, [])

    def issue(self, entry: Entry, issuance: int) -> None:
        self.issued[issuance] = issued_ranges(m for m in entry.moves if m.issuance_id == issuance)
        self.records[issuance] = self._legacy(issuance, entry) if entry.details.get("authorized") else []

    def _legacy(self, issuance: int, entry: Entry) -> list[AuthorizedRange]:
        return legacy(issuance, self.issued[issuance], "", entry.occurred_at[:10], entry.actor, entry.seq)

    def apply(self, entry: Entry) -> AuthorizedRange | None:
        """An issuance or authorization entry; the record of a range it makes, if it makes one."""
        if entry.kind is TransactionKind.issuance and entry.moves:
            self.issue(entry, entry.moves[0].issuance_id)
            return None
        issuance = entry.details.get("issuance_id")
        if entry.kind is not TransactionKind.authorization or issuance not in self.records:
            return None
        if "authorization" in entry.details:
            record = AuthorizedRange.from_terms(issuance, entry.details["authorization"], entry.actor, entry.seq)
            kept = [r for r in self.records[issuance] if not r.overlaps(record.registry, record.start, record.end)]
            self.records[issuance] = [*kept, record]
            return record
        authorized = entry.details.get("status") == "authorized"
        if authorized and not self.records[issuance]:
            self.records[issuance] = self._legacy(issuance, entry)
        elif not authorized:
            self.records[issuance] = []
        return None


class _Records(RecordsInForce):
    """The records in force, labelling the nodes of one registry's range as they change."""

    def __init__(self, registry: str) -> None:
        super().__init__()
        self.registry = registry

    def purposes_at(self, issuance: int, start: int, end: int) -> frozenset[str]:
        record = record_at(self.of(issuance), self.registry, start, end)
        return frozenset() if record is None else frozenset(str(p) for p in record.purposes)

    def change(self, nodes: _Nodes, ledger: Ledger, entry: Entry) -> None:
        """A whole issuance authorized or not, or one record of a range: the nodes it relabels get a child."""
        issuance = entry.details.get("issuance_id")
        if issuance not in self.records:
            return
        record = self.apply(entry)
        if record is not None:
            if record.registry == self.registry:
                nodes.cut(ledger, entry, record, self.purposes_at)
            return
        for key, node in list(nodes.current.items()):
            if node.issuance_id == issuance:
                child = _child(node, node.start, node.end, node.account_id, entry, str(entry.kind))
                child.purposes = self.purposes_at(issuance, node.start, node.end)
                nodes.current[key] = child


class _Nodes:
    """The current node of each replayed block that meets the range, by the block's start."""

    def __init__(self, start: int, end: int) -> None:
        self.start, self.end = start, end
        self.current: dict[int, Node] = {}

    def add(self, block: Block, entry: Entry) -> Node:
        node = Node(
            max(block.start, self.start),
            min(block.end, self.end),
            block.account_id,
            block.issuance_id,
            entry.seq,
            str(entry.kind),
            entry.occurred_at,
            frozenset(),
            block.first_transferred,
        )
        self.current[block.start] = node
        return node

    def cut(self, ledger: Ledger, entry: Entry, record: AuthorizedRange, purposes_at: _PurposesAt) -> None:
        """Cut the blocks of ``record``'s issuance at its bounds; each node's part inside it gets a child."""
        for key, node in list(self.current.items()):
            block = ledger.block_at(record.registry, key)
            if node.issuance_id != record.issuance_id or block is None or not record.overlaps(*_span(block)):
                continue
            del self.current[key]
            for low, high in _pieces(block.start, block.end, record.start, record.end):
                first, last = max(low, node.start), min(high, node.end)
                if first > last:
                    continue
                inside = record.covers(record.registry, first, last)
                if not inside and (first, last) == (node.start, node.end):
                    self.current[low] = node
                    continue
                child = _child(node, first, last, node.account_id, entry, str(entry.kind) if inside else SPLIT)
                child.purposes = purposes_at(node.issuance_id, first, last)
                self.current[low] = child
        ledger.split(record.registry, record.start, record.end)

    def split(self, parent: Block, ledger: Ledger, entry: Entry, move: Move) -> None:
        """Replace the parent block's node by one child per piece of it that meets the range."""
        node = self.current.pop(parent.start, None)
        if node is None:
            raise LedgerError(f"entry {entry.seq}: serials {move.start}-{move.end} have no history before it")
        unit = parent.start
        while unit <= parent.end:
            piece = ledger.block_at(parent.registry, unit)
            assert piece is not None
            low, high = max(piece.start, self.start), min(piece.end, self.end)
            if low <= high:
                moved = piece.start == move.start
                kind = str(entry.kind) if moved else SPLIT
                child = _child(node, low, high, piece.account_id, entry, kind)
                child.first_transferred = piece.first_transferred
                self.current[piece.start] = child
            unit = piece.end + 1


def _child(node: Node, start: int, end: int, account_id: int, entry: Entry, kind: str) -> Node:
    child = Node(
        start,
        end,
        account_id,
        node.issuance_id,
        entry.seq,
        kind,
        entry.occurred_at,
        node.purposes,
        node.first_transferred,
    )
    node.children.append(child)
    return child


_PurposesAt = Callable[[int, int, int], frozenset[str]]


def _span(block: Block) -> tuple[str, int, int]:
    return block.registry, block.start, block.end


def _pieces(start: int, end: int, cut_start: int, cut_end: int) -> list[tuple[int, int]]:
    """``start..end`` cut before ``cut_start`` and after ``cut_end``: the non-empty pieces in order.

    >>> _pieces(1, 100, 11, 20)
    [(1, 10), (11, 20), (21, 100)]
    """
    bounds = [start, *(b for b in (cut_start, cut_end + 1) if start < b <= end), end + 1]
    return [(low, high - 1) for low, high in pairwise(bounds)]
