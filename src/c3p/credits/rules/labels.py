"""The Article 6.2 labels of credits: what travels with every block and what the public pages show.

A block's labels follow from three facts, and only from them, so the open-data dump, the
issuance and retirement lists and a credit's history say the same thing:

* its **authorization record** (blocks are cut at a record's bounds, so at most one covers a
  block): authorized, and for which purposes (``ndc``, ``oimp`` or both);
* whether it was **first transferred** (the block's own flag, set by the first-transfer
  definition of its record);
* whether its host country **recorded the corresponding adjustments** of its first transfers.
  The credit service records a host's adjustment in the same transaction as the first transfer,
  so c3p calls a host's first-transferred credits correspondingly adjusted while its recorded
  first-transfer adjustments cover every credit it first transferred (:func:`adjusted_hosts`).

>>> Labels.of(["oimp"], first_transferred=True, host_adjusted=True).codes()
['article6_authorized', 'authorized_for_oimp', 'first_transferred', 'correspondingly_adjusted']
>>> Labels.of(None, first_transferred=False, host_adjusted=True).authorized
False
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from c3p.credits.rules.authorizations import Purpose


@dataclass(frozen=True)
class Labels:
    """The labels of one block (or of any range lying inside one block)."""

    purposes: frozenset[Purpose] = frozenset()
    first_transferred: bool = False
    correspondingly_adjusted: bool = False

    @property
    def authorized(self) -> bool:
        return bool(self.purposes)

    @classmethod
    def of(cls, purposes: Iterable[str] | None, first_transferred: bool, host_adjusted: bool) -> Labels:
        """The labels from the purposes of the record covering the block (None: no record covers it)."""
        if purposes is None:
            return cls()
        first = bool(first_transferred)
        return cls(frozenset(Purpose(p) for p in purposes), first, first and host_adjusted)

    @classmethod
    def from_codes(cls, codes: Iterable[str]) -> Labels:
        """The labels the open data's codes name (the inverse of :meth:`codes`), so an export read from
        the dump applies this rule, not a reading of its own.

        >>> labels = Labels.of(["ndc"], first_transferred=True, host_adjusted=False)
        >>> Labels.from_codes(labels.codes()) == labels
        True
        """
        names = set(codes)
        purposes = frozenset(Purpose(p) for p in Purpose if f"authorized_for_{p}" in names)
        return cls(purposes, "first_transferred" in names, "correspondingly_adjusted" in names)

    def codes(self) -> list[str]:
        """The labels as the open data names them."""
        if not self.authorized:
            return []
        codes = ["article6_authorized", *(f"authorized_for_{p}" for p in sorted(self.purposes))]
        if self.first_transferred:
            codes.append("first_transferred")
        if self.correspondingly_adjusted:
            codes.append("correspondingly_adjusted")
        return codes


def adjusted_hosts(first_transferred: Mapping[str, int], recorded: Mapping[str, int]) -> frozenset[str]:
    """The host countries whose recorded first-transfer adjustments cover every credit they first transferred.

    >>> sorted(adjusted_hosts({"VNM": 10, "MNG": 5}, {"VNM": 10, "MNG": 4}))
    ['VNM']
    """
    return frozenset(host for host, credits in first_transferred.items() if recorded.get(host, 0) >= credits)


class Scope(StrEnum):
    """How much of an issuance is authorized."""

    full = "full"
    partial = "partial"
    none = "none"


def scope_of(authorized_credits: int, issued_credits: int) -> Scope:
    """Authorized in full, in part or not at all.

    >>> [str(scope_of(n, 100)) for n in (40, 100, 0)]
    ['partial', 'full', 'none']
    """
    if authorized_credits <= 0:
        return Scope.none
    return Scope.full if authorized_credits >= issued_credits else Scope.partial


@dataclass(frozen=True)
class LabelCounts:
    """How many credits of several ranges carry each label (a retirement's ranges, say)."""

    credits: int = 0
    authorized: int = 0
    first_transferred: int = 0
    correspondingly_adjusted: int = 0
    purposes: frozenset[Purpose] = frozenset()


def counted(pieces: Iterable[tuple[int, Labels]]) -> LabelCounts:
    """The credits of each label over ``(credits, labels)`` pieces.

    >>> counted([(6, Labels(frozenset({Purpose.ndc}), True, True)), (4, Labels())]).authorized
    6
    """
    credits = authorized = first = adjusted = 0
    purposes: set[Purpose] = set()
    for count, labels in pieces:
        credits += count
        authorized += count if labels.authorized else 0
        first += count if labels.first_transferred else 0
        adjusted += count if labels.correspondingly_adjusted else 0
        purposes |= labels.purposes
    return LabelCounts(credits, authorized, first, adjusted, frozenset(purposes))
