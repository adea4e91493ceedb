"""Registries and their accounts: which kinds exist, who holds them, what each may do.

Each country of a JCM partnership keeps its own registry (Common Specifications §6): Japan's
registry (``JPN``) and the partner's (e.g. ``VNM``). A credit hosted by country H may only
ever sit in registry ``JPN`` or ``H``. Account kinds follow the Common Specifications
(holding accounts of governments and entities, cancellation, retirement) plus two system
accounts c3p needs to keep every credit in exactly one account at every moment:

* ``issuance``: the registry's contra account; its balance is minus what it issued, so the
  sum over all accounts is always zero;
* ``pending``: credits of a transfer to the other registry, waiting for that side to accept;
* ``returns``: credits a rejected transfer could not give back, because the sending account
  was closed or suspended meanwhile; the registry's administrators pass them on. It is opened
  on first need (:data:`OPENED_ON_NEED`), so registries opened before it need no migration.
"""

from __future__ import annotations

from enum import StrEnum

from c3p.errors import Conflict, InvalidInput
from c3p.messages import N_, Message

JAPAN = "JPN"


class AccountKind(StrEnum):
    issuance = "issuance"
    government_holding = "government_holding"
    participant_holding = "participant_holding"
    cancellation = "cancellation"
    retirement = "retirement"
    pending = "pending"
    returns = "returns"

    @property
    def holding(self) -> bool:
        return self in HOLDING_KINDS

    @property
    def system(self) -> bool:
        """One per registry, held by the registry itself."""
        return self in SYSTEM_KINDS or self in OPENED_ON_NEED

    @property
    def letter(self) -> str:
        return {
            "issuance": "I",
            "government_holding": "G",
            "participant_holding": "P",
            "cancellation": "C",
            "retirement": "R",
            "pending": "T",
            "returns": "H",
        }[self.value]


#: the kinds that hold credits for their holder, by value (a kind read from the database is a str)
HOLDING_KINDS = frozenset({AccountKind.government_holding, AccountKind.participant_holding})
SYSTEM_KINDS = (AccountKind.issuance, AccountKind.cancellation, AccountKind.retirement, AccountKind.pending)
#: system accounts a registry opens the first time it needs them
OPENED_ON_NEED = (AccountKind.returns,)


class AccountStatus(StrEnum):
    open = "open"
    suspended = "suspended"
    closed = "closed"


#: the words for statuses and system kinds inside messages, said in the reader's language
STATUS_WORDS = {"open": N_("open"), "suspended": N_("suspended"), "closed": N_("closed")}
KIND_WORDS = {
    "issuance": N_("issuance"),
    "cancellation": N_("cancellation"),
    "retirement": N_("retirement"),
    "pending": N_("pending"),
    "returns": N_("returns"),
}


SAME_ACCOUNTS = N_("the sending and receiving accounts are the same")
NO_ACCOUNT = N_("no account %(number)s")


def _word(words: dict[str, str], code: str) -> Message | str:
    return Message(words[code]) if code in words else code


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
        refusal = N_("unknown account status '%(status)s'; use open, suspended or closed")
        raise InvalidInput(Message(refusal, {"status": wanted})) from None
    if target not in STATUS_CHANGES[AccountStatus(current)]:
        refusal = N_("account %(number)s is %(status)s and cannot become %(wanted)s")
        words = {"status": _word(STATUS_WORDS, current), "wanted": _word(STATUS_WORDS, target)}
        raise Conflict(Message(refusal, {"number": number, **words}))
    if target is AccountStatus.closed and balance != 0:
        refusal = N_("account %(number)s still holds %(balance)s credits; transfer them before closing it")
        raise Conflict(Message(refusal, {"number": number, "balance": balance}))
    return target


def check_may_hold(registry: str, host_country: str) -> None:
    """A credit hosted by ``host_country`` may sit only in Japan's or the host's registry."""
    if registry not in (JAPAN, host_country):
        refusal = N_("credits hosted by %(host)s cannot enter the registry of %(registry)s")
        raise InvalidInput(Message(refusal, {"host": host_country, "registry": registry}))


def may_take_back(status: str) -> bool:
    """Whether a sender can take back the credits of its rejected transfer: only while open."""
    return status == AccountStatus.open


def check_usable(number: str, status: str, kind: str, *, sending: bool) -> None:
    """An account that sends or receives in a transfer must be an open holding account
    (the registry's returns account sends too: that is how its credits are passed on)."""
    if status != AccountStatus.open:
        raise Conflict(
            Message(N_("account %(number)s is %(status)s"), {"number": number, "status": _word(STATUS_WORDS, status)})
        )
    if not (kind in HOLDING_KINDS or (sending and kind == AccountKind.returns)):
        refusal = (
            N_("account %(number)s is a %(kind)s account and cannot send transfers")
            if sending
            else N_("account %(number)s is a %(kind)s account and cannot receive transfers")
        )
        raise InvalidInput(Message(refusal, {"number": number, "kind": _word(KIND_WORDS, kind)}))
