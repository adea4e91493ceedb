"""Ledger transactions: their kinds, the moves of serial ranges and the balanced legs.

Every transaction is one journal :class:`Entry`. Its ``moves`` say which serial ranges went
from which account to which (``from_account`` is ``None`` when a range is created by
issuance); its ``legs`` are the resulting change of each account's balance, and they always
sum to zero, because issuance debits the registry's ``issuance`` account. Entries that move
nothing (an account opened, an issuance authorized) have no legs; an authorization that
first-transfers credits where they are carries moves from and to the same account, and no legs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from c3p.errors import InvalidInput
from c3p.messages import N_, Message


class TransactionKind(StrEnum):
    issuance = "issuance"
    transfer = "transfer"  # inside one registry
    external_transfer = "external_transfer"  # to the other registry: waits for it to accept
    acceptance = "acceptance"
    rejection = "rejection"  # the credits go back to the sender
    cancellation = "cancellation"
    retirement = "retirement"
    account_opened = "account_opened"
    account_status = "account_status"
    authorization = "authorization"
    record = "record"  # seals the current content of credit fact rows (reports, issuances, accounts …)
    transfer_proposed = "transfer_proposed"  # above the registry's threshold: waits for a second representative
    transfer_refused = "transfer_refused"  # the second representative refused it; nothing moved


MOVING_KINDS = frozenset(
    {
        TransactionKind.issuance,
        TransactionKind.transfer,
        TransactionKind.external_transfer,
        TransactionKind.acceptance,
        TransactionKind.rejection,
        TransactionKind.cancellation,
        TransactionKind.retirement,
    }
)


class Leg(NamedTuple):
    """The change of one account's balance in a transaction (a tuple: two are made for every transfer)."""

    account_id: int
    credits: int


class Move(NamedTuple):
    """Serials ``start..end`` of ``registry`` move from one account to another.

    A tuple, not a frozen dataclass: one is made for every range a transaction moves, and a dataclass sets
    each of its seven fields through ``object.__setattr__``. Change one with ``_replace``.
    """

    registry: str
    start: int
    end: int
    from_account: int | None
    to_account: int
    issuance_id: int
    first_transfer: bool = False

    @property
    def credits(self) -> int:
        return self.end - self.start + 1

    def to_json(self) -> list[Any]:
        return list(self)

    @classmethod
    def from_json(cls, value: list[Any]) -> Move:
        return cls(*value)


@dataclass(frozen=True)
class Entry:
    seq: int
    key: str
    kind: TransactionKind
    occurred_at: str
    actor: str
    legs: tuple[Leg, ...] = ()
    moves: tuple[Move, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def credits(self) -> int:
        return sum(leg.credits for leg in self.legs if leg.credits > 0)

    def to_json(self) -> dict[str, Any]:
        """The entry as JSON values; its legs and moves are tuples, which JSON writes as arrays (the text is
        that of lists, without a list made per leg and move)."""
        return {
            "seq": self.seq,
            "key": self.key,
            "kind": str(self.kind),
            "at": self.occurred_at,
            "actor": self.actor,
            "legs": list(self.legs),
            "moves": list(self.moves),
            "details": dict(self.details),
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Entry:
        return cls(
            seq=body["seq"],
            key=body["key"],
            kind=TransactionKind(body["kind"]),
            occurred_at=body["at"],
            actor=body["actor"],
            legs=tuple(Leg(a, c) for a, c in body["legs"]),
            moves=tuple(Move.from_json(m) for m in body["moves"]),
            details=body.get("details", {}),
        )


def legs_for(moves: Iterable[Move], issuance_accounts: Mapping[str, int]) -> tuple[Leg, ...]:
    """The balanced legs of ``moves``; issued ranges are debited to their registry's issuance account.

    >>> legs_for([Move("JPN", 1, 10, None, 5, 1)], {"JPN": 1})
    (Leg(account_id=1, credits=-10), Leg(account_id=5, credits=10))
    """
    change: dict[int, int] = {}
    for move in moves:
        source = issuance_accounts[move.registry] if move.from_account is None else move.from_account
        credits = move.credits
        change[source] = change.get(source, 0) - credits
        change[move.to_account] = change.get(move.to_account, 0) + credits
    legs = tuple([Leg(account, credits) for account, credits in sorted(change.items()) if credits])
    check_balanced(legs)
    return legs


def check_balanced(legs: Iterable[Leg]) -> None:
    total = sum([leg.credits for leg in legs])
    if total:
        raise ValueError(f"legs do not balance: they sum to {total}")


#: the most credits one transaction moves or issues (documented in docs/registry.md, "Bounds")
MAX_CREDITS = 10**12


def check_amount(credits: object) -> int:
    """A number of credits: a whole number from 1 to :data:`MAX_CREDITS` (never a float or a string).

    The upper bound keeps every serial printable and every sum far inside a 64-bit integer.
    """
    if isinstance(credits, bool) or not isinstance(credits, int):
        refusal = Message(N_("credits must be a whole number, got %(credits)s"), {"credits": repr(credits)})
        raise InvalidInput(refusal, field="credits")
    if credits <= 0:
        raise InvalidInput(
            Message(N_("credits must be at least 1, got %(credits)s"), {"credits": credits}), field="credits"
        )
    if credits > MAX_CREDITS:
        too_many = N_("credits must be at most %(max)s, got %(credits)s")
        raise InvalidInput(Message(too_many, {"credits": credits, "max": MAX_CREDITS}), field="credits")
    return credits
