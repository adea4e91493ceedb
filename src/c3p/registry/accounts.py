"""Registries and their accounts: which kinds exist, who holds them, what each may do.

Each country of a JCM partnership keeps its own registry (Common Specifications §6): Japan's
registry (``JPN``) and the partner's (e.g. ``VNM``). A credit hosted by country H may only
ever sit in registry ``JPN`` or ``H``. Account kinds follow the Common Specifications
(holding accounts of governments and entities, cancellation, retirement) plus two system
accounts c3p needs to keep every credit in exactly one account at every moment:

* ``issuance``: the registry's contra account; its balance is minus what it issued, so the
  sum over all accounts is always zero;
* ``pending``: credits of a transfer to the other registry, waiting for that side to accept.
"""

from __future__ import annotations

from enum import StrEnum

from c3p.errors import Conflict, InvalidInput

JAPAN = "JPN"


class AccountKind(StrEnum):
    issuance = "issuance"
    government_holding = "government_holding"
    participant_holding = "participant_holding"
    cancellation = "cancellation"
    retirement = "retirement"
    pending = "pending"

    @property
    def holding(self) -> bool:
        return self in (AccountKind.government_holding, AccountKind.participant_holding)

    @property
    def system(self) -> bool:
        """One per registry, opened with it, held by the registry itself."""
        return self in SYSTEM_KINDS

    @property
    def letter(self) -> str:
        return {
            "issuance": "I",
            "government_holding": "G",
            "participant_holding": "P",
            "cancellation": "C",
            "retirement": "R",
            "pending": "T",
        }[self.value]


SYSTEM_KINDS = (AccountKind.issuance, AccountKind.cancellation, AccountKind.retirement, AccountKind.pending)


class AccountStatus(StrEnum):
    open = "open"
    suspended = "suspended"
    closed = "closed"


#: allowed status changes (closing is final)
STATUS_CHANGES = {
    AccountStatus.open: (AccountStatus.suspended, AccountStatus.closed),
    AccountStatus.suspended: (AccountStatus.open, AccountStatus.closed),
    AccountStatus.closed: (),
}


def account_number(registry: str, kind: AccountKind, sequence: int) -> str:
    """``JPN-P-000012``: registry, kind letter, a number counted per registry.

    >>> account_number("VNM", AccountKind.government_holding, 3)
    'VNM-G-000003'
    """
    return f"{registry}-{kind.letter}-{sequence:06d}"


def check_status_change(number: str, current: str, wanted: str, balance: int) -> AccountStatus:
    try:
        target = AccountStatus(wanted)
    except ValueError:
        raise InvalidInput(f"unknown account status {wanted!r}; use open, suspended or closed") from None
    if target not in STATUS_CHANGES[AccountStatus(current)]:
        raise Conflict(f"account {number} is {current} and cannot become {target}")
    if target is AccountStatus.closed and balance != 0:
        raise Conflict(f"account {number} still holds {balance} credits; transfer them before closing it")
    return target


def check_may_hold(registry: str, host_country: str) -> None:
    """A credit hosted by ``host_country`` may sit only in Japan's or the host's registry."""
    if registry not in (JAPAN, host_country):
        raise InvalidInput(f"credits hosted by {host_country} cannot enter the registry of {registry}")


def check_usable(number: str, status: str, kind: str, *, sending: bool) -> None:
    """An account that sends or receives in a transfer must be an open holding account."""
    if status != AccountStatus.open:
        raise Conflict(f"account {number} is {status}")
    if not AccountKind(kind).holding:
        role = "send" if sending else "receive"
        raise InvalidInput(f"account {number} is a {kind} account and cannot {role} transfers")
