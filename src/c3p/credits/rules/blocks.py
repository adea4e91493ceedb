"""Serial blocks: a run of consecutive credits held together, and how runs split and merge.

A block is ``[start, end]`` (inclusive) of one issuing registry's unit numbers, with the
attributes every credit in it shares (account, issuance, first-transfer mark). Moving part
of a block splits it into at most three pieces; :func:`normalize` merges neighbours with
equal attributes so two ledgers can be compared however their blocks were cut.

>>> b = Block("JPN", 1, 100, account_id=7, issuance_id=1)
>>> [(p.start, p.end, p.account_id) for p in b.carve(11, 20, to_account=9)]
[(1, 10, 7), (11, 20, 9), (21, 100, 7)]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import NamedTuple

from c3p.errors import InvalidInput
from c3p.messages import N_, Message


@dataclass(frozen=True, order=True)
class Block:
    registry: str
    start: int
    end: int
    account_id: int
    issuance_id: int
    first_transferred: bool = False

    def __post_init__(self) -> None:
        if self.start < 1 or self.end < self.start:
            raise ValueError(f"empty or negative block {self.start}-{self.end}")

    @property
    def credits(self) -> int:
        return self.end - self.start + 1

    def contains(self, start: int, end: int) -> bool:
        return self.start <= start and end <= self.end

    def attributes(self) -> tuple[str, int, int, bool]:
        return (self.registry, self.account_id, self.issuance_id, self.first_transferred)

    def cut(self, at: int) -> tuple[Block, Block]:
        """The block in two: serials before ``at``, and from ``at`` on (an authorization's bound)."""
        if not self.start < at <= self.end:
            raise ValueError(f"serial {at} does not cut block {self.start}-{self.end}")
        return replace(self, end=at - 1), replace(self, start=at)

    def carve(self, start: int, end: int, to_account: int, first_transferred: bool | None = None) -> list[Block]:
        """This block with ``[start, end]`` moved to ``to_account``: the pieces in serial order."""
        if not self.contains(start, end):
            raise InvalidInput(f"serials {start}-{end} are not inside block {self.start}-{self.end}")
        flag = self.first_transferred if first_transferred is None else (self.first_transferred or first_transferred)
        # built directly rather than with dataclasses.replace, which costs a few µs a call on the transfer path
        registry, issuance, account, mark = self.registry, self.issuance_id, self.account_id, self.first_transferred
        pieces = []
        if start > self.start:
            pieces.append(Block(registry, self.start, start - 1, account, issuance, mark))
        pieces.append(Block(registry, start, end, to_account, issuance, flag))
        if end < self.end:
            pieces.append(Block(registry, end + 1, self.end, account, issuance, mark))
        return pieces


class Take(NamedTuple):
    """Part of one block that a transaction moves: ``[start, end]`` of ``block`` (a tuple: made for every part a
    transfer takes, and read once)."""

    block: Block
    start: int
    end: int

    @property
    def credits(self) -> int:
        return self.end - self.start + 1


def take(blocks: Iterable[Block], credits: int) -> list[Take]:
    """``credits`` credits from ``blocks``: whole blocks in the order given, then the end of the next one.

    Taking the *end* of a partly used block leaves its remainder with the same start serial,
    so the block's row keeps its place in the (registry, start) index and only its end changes.

    >>> [(t.start, t.end) for t in take([Block("JPN", 1, 5, 1, 1), Block("JPN", 9, 20, 1, 1)], 7)]
    [(1, 5), (19, 20)]
    """
    wanted, taken = credits, []
    for block in blocks:
        if wanted == 0:
            break
        n = min(wanted, block.credits)
        taken.append(Take(block, block.end - n + 1, block.end))
        wanted -= n
    if wanted:
        refusal = N_("the account holds only %(held)s of the %(credits)s credits asked for")
        raise InvalidInput(Message(refusal, {"held": credits - wanted, "credits": credits}))
    return taken


def normalize(blocks: Iterable[Block]) -> list[Block]:
    """Blocks sorted by serial, neighbours with equal attributes merged; overlaps refused."""
    merged: list[Block] = []
    for block in sorted(blocks, key=lambda b: (b.registry, b.start)):
        last = merged[-1] if merged else None
        if last and last.registry == block.registry and block.start <= last.end:
            raise ValueError(f"serials {block.start}-{min(block.end, last.end)} of {block.registry} are in two blocks")
        if last and last.attributes() == block.attributes() and last.end + 1 == block.start:
            merged[-1] = replace(last, end=block.end)
        else:
            merged.append(block)
    return merged
