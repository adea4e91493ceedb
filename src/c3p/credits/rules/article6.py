"""Article 6.2 of the Paris Agreement: authorization, first transfer, corresponding adjustments.

The JCM-specific definitions are not in our sources (jcm-facts §1.3, §9), so c3p follows the
Article 6.2 guidance (decision 2/CMA.3) with these assumptions, documented in
``docs/registry.md``:

* an issuance is ``authorized`` or ``not_authorized``; only authorized credits are ITMOs;
* an authorized credit is **first-transferred** at the event its authorization record's
  definition names (:func:`c3p.credits.rules.authorizations.is_first_transfer`); retiring it in
  the host's own registry is domestic use, not a transfer;
* authorization is irrevocable once any credit of the issuance was first transferred
  (:func:`check_authorization_change`);
* the host country records a corresponding adjustment for every first-transferred credit in
  the calendar year of the first transfer, and the country whose retirement account receives
  an authorized credit hosted elsewhere records one for its use.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from c3p.credits.rules.holding_accounts import AccountKind
from c3p.errors import Conflict
from c3p.messages import N_, Message


class Authorization(StrEnum):
    not_authorized = "not_authorized"
    authorized = "authorized"


class AdjustmentKind(StrEnum):
    first_transfer = "first_transfer"  # recorded by the host country
    use = "use"  # recorded by the country that uses the credit toward its NDC


def check_authorization_change(notification_ref: str, wanted: Authorization, first_transferred: int) -> None:
    """Authorization is irrevocable once a credit of the issuance was first transferred.

    The host country has then reported a corresponding adjustment for it (decision 2/CMA.3
    makes the first transfer the trigger), and the credit may already count toward another
    country's NDC; withdrawing it would leave the Article 6 report with first transfers of
    unauthorized credits. Reversing adjustments are not recorded instead: the guidance gives no
    way to undo a first transfer, so c3p refuses rather than invent one.
    """
    if wanted is Authorization.not_authorized and first_transferred > 0:
        refusal = N_(
            "%(credits)s credits of notification %(ref)s were already first transferred; "
            "their Article 6.2 authorization can no longer be withdrawn"
        )
        raise Conflict(Message(refusal, {"credits": first_transferred, "ref": notification_ref}))


def is_first_transfer(authorized: bool, host: str, to_registry: str, to_kind: str, already: bool) -> bool:
    """Whether moving an authorized credit into this account may be its first transfer, before its
    authorization record is read: the record's definition then decides
    (:func:`c3p.credits.rules.authorizations.is_first_transfer`, never true where this is false for
    a credit not yet first transferred).

    >>> is_first_transfer(True, "VNM", "JPN", "government_holding", already=False)
    True
    >>> is_first_transfer(True, "VNM", "VNM", "retirement", already=False)
    False
    """
    if not authorized or already:
        return False
    return to_registry != host or to_kind == AccountKind.cancellation


def is_use(authorized: bool, host: str, to_registry: str, to_kind: str) -> bool:
    """Retirement of an authorized credit in another country's registry: that country's use of an ITMO."""
    return authorized and to_kind == AccountKind.retirement and to_registry != host


@dataclass(frozen=True)
class Adjustment:
    country: str
    year: int
    kind: AdjustmentKind
    credits: int


def summed(adjustments: list[Adjustment]) -> list[Adjustment]:
    """One adjustment per (country, year, kind)."""
    totals: dict[tuple[str, int, AdjustmentKind], int] = defaultdict(int)
    for a in adjustments:
        totals[(a.country, a.year, a.kind)] += a.credits
    return [Adjustment(c, y, k, n) for (c, y, k), n in sorted(totals.items())]


@dataclass(frozen=True)
class Movement:
    """What Article 6.2 needs to know of one moved range: its issuance's terms and where it went."""

    credits: int
    first_transfer: bool
    authorized: bool
    host: str
    to_registry: str
    to_kind: str


def may_adjust(first_transfer: bool, authorized: bool) -> bool:
    """Whether a moved range can call for any adjustment: only a first transfer or an authorized credit can.

    Lets a replay of many entries skip the rest for the ordinary transfer of unauthorized credits;
    :func:`adjustments_for` never finds one otherwise (a property test holds it to that).
    """
    return first_transfer or authorized


def first_transferred_by_host(movements: Iterable[Movement]) -> dict[str, int]:
    """The credits of one entry's moves that it first transferred, per host country: what the service adds
    to each host's running total (the blocks it marks first transferred; ``verify`` sums their marks).

    >>> first_transferred_by_host([Movement(5, True, True, "VNM", "JPN", "government_holding"),
    ...                            Movement(3, False, True, "VNM", "JPN", "government_holding")])
    {'VNM': 5}
    """
    found: dict[str, int] = {}
    for move in movements:
        if move.first_transfer:
            found[move.host] = found.get(move.host, 0) + move.credits
    return found


def adjustments_for(movements: Iterable[Movement], year: int) -> list[Adjustment]:
    """The corresponding adjustments one journal entry's moves call for, summed per country and kind.

    The credit service records them and ``verify`` recomputes them from the journal, with this one rule.

    >>> adjustments_for([Movement(5, True, True, "VNM", "JPN", "government_holding")], 2026)
    [Adjustment(country='VNM', year=2026, kind=<AdjustmentKind.first_transfer: 'first_transfer'>, credits=5)]
    """
    found: list[Adjustment] = []
    for move in movements:
        if move.first_transfer:
            found.append(Adjustment(move.host, year, AdjustmentKind.first_transfer, move.credits))
        if is_use(move.authorized, move.host, move.to_registry, move.to_kind):
            found.append(Adjustment(move.to_registry, year, AdjustmentKind.use, move.credits))
    return summed(found)
