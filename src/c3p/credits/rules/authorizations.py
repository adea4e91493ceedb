"""Article 6.2 authorizations as records: which serials of an issuance are authorized, for what.

A host country authorizes a range of an issuance's serials (in one registry) for use towards
NDCs (``ndc``), for other international mitigation purposes (``oimp``), or both (decision
2/CMA.3, annex, para 1(f) and 2(b)), naming the entities authorized and, for OIMP, which event
is the first transfer. Changing a record makes a new version of it. The uses a credit may
serve follow from its record's purposes:

* retirement (use towards an NDC) needs ``ndc``;
* cancellation (use for other international mitigation purposes) needs ``oimp``.

A range is authorized as a whole or not at all: the credit service splits every block that
crosses its bounds (:func:`cuts`), so each block lies wholly inside or outside every record and
transfers, which carve blocks by serial, carry the label with the credits.

>>> r = AuthorizedRange(1, "VNM", 11, 20, frozenset({Purpose.ndc}), (), FirstTransfer.first_international_transfer, 1)
>>> r.covers("VNM", 12, 15), r.covers("VNM", 5, 15)
(True, False)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from c3p.credits.rules.blocks import Block
from c3p.credits.rules.holding_accounts import HOLDING_KINDS, AccountKind
from c3p.credits.rules.transactions import Move
from c3p.errors import Conflict, InvalidInput
from c3p.messages import N_, Message


class Purpose(StrEnum):
    ndc = "ndc"  # use towards achievement of nationally determined contributions
    oimp = "oimp"  # other international mitigation purposes (e.g. CORSIA)


class FirstTransfer(StrEnum):
    """When an authorized credit is first transferred (decision 2/CMA.3, annex, para 2(b)).

    Towards NDCs it is always the first international transfer; for OIMP the Party chooses
    authorization, issuance, or use or cancellation. A credit is first transferred once, at the
    earliest event its record names.
    """

    #: entering another country's registry only
    first_international_transfer = "first_international_transfer"
    #: cancelled for OIMP; for a record that also names NDCs, entering another country's registry too
    use_or_cancellation = "use_or_cancellation"
    #: when the record is recorded (credits already issued), or at issuance if authorized before it
    authorization = "authorization"
    #: at issuance; credits issued before the record: when it is recorded (they are issued and authorized then)
    issuance = "issuance"


#: the definitions under which credits are first transferred without moving: at issuance or authorization
AT_RECORD = frozenset({FirstTransfer.authorization, FirstTransfer.issuance})
#: accounts whose credits were used (NDC) or cancelled (OIMP): an authorization recorded later
#: does not make them first transferred (assumed: they were used before they were ITMOs)
USED_KINDS = frozenset({AccountKind.retirement, AccountKind.cancellation})


#: what an issuance authorized before authorizations were records means: the conservative reading
#: (both purposes, so every use it could already have served stays allowed, and cancellation
#: counted as the first transfer, so no adjustment reported so far changes)
LEGACY_PURPOSES = frozenset({Purpose.ndc, Purpose.oimp})
LEGACY_FIRST_TRANSFER = FirstTransfer.use_or_cancellation


@dataclass(frozen=True)
class AuthorizedRange:
    """One authorization record: serials ``start..end`` of ``registry`` of one issuance."""

    issuance_id: int
    registry: str
    start: int
    end: int
    purposes: frozenset[Purpose]
    entities: tuple[str, ...]
    first_transfer: FirstTransfer
    version: int
    decision: str = ""
    decided_on: str = ""  # ISO date of the decision
    recorded_by: str = ""
    journal_seq: int = 0

    @property
    def credits(self) -> int:
        return self.end - self.start + 1

    def covers(self, registry: str, start: int, end: int) -> bool:
        return registry == self.registry and self.start <= start and end <= self.end

    def overlaps(self, registry: str, start: int, end: int) -> bool:
        return registry == self.registry and start <= self.end and self.start <= end

    def terms(self) -> dict[str, Any]:
        """What a journal entry seals of the record (its issuance, range and terms)."""
        return {
            "registry": self.registry,
            "start": self.start,
            "end": self.end,
            "purposes": sorted(self.purposes),
            "entities": list(self.entities),
            "first_transfer": str(self.first_transfer),
            "version": self.version,
            "decision": self.decision,
            "decided_on": self.decided_on,
        }

    @classmethod
    def from_terms(cls, issuance_id: int, terms: dict[str, Any], recorded_by: str, seq: int) -> AuthorizedRange:
        return cls(
            issuance_id,
            terms["registry"],
            int(terms["start"]),
            int(terms["end"]),
            frozenset(Purpose(p) for p in terms["purposes"]),
            tuple(terms["entities"]),
            FirstTransfer(terms["first_transfer"]),
            int(terms["version"]),
            terms["decision"],
            terms["decided_on"],
            recorded_by,
            seq,
        )


def legacy(
    issuance_id: int,
    ranges: Iterable[tuple[str, int, int]],
    decision: str,
    decided_on: str,
    by: str,
    seq: int,
    first_transfer: FirstTransfer = LEGACY_FIRST_TRANSFER,
) -> list[AuthorizedRange]:
    """The records an issuance authorized as a whole stands for: one per registry range it issued
    (its notification may name the first-transfer definition; otherwise c3p's reading before records)."""
    return [
        AuthorizedRange(
            issuance_id,
            registry,
            start,
            end,
            LEGACY_PURPOSES,
            (),
            first_transfer,
            1,
            decision,
            decided_on,
            by,
            seq,
        )
        for registry, start, end in sorted(ranges)
    ]


def record_at(records: Sequence[AuthorizedRange], registry: str, start: int, end: int) -> AuthorizedRange | None:
    """The record covering serials ``start..end`` (blocks never cross a record's bounds), if any."""
    return next((r for r in records if r.covers(registry, start, end)), None)


def parse_purposes(values: Iterable[str]) -> frozenset[Purpose]:
    """Purposes named by their codes; at least one, each ``ndc`` or ``oimp``."""
    found = set()
    for value in values:
        try:
            found.add(Purpose(value.strip().lower()))
        except ValueError:
            refusal = N_("unknown purpose '%(purpose)s'; the purposes are ndc and oimp")
            raise InvalidInput(Message(refusal, {"purpose": value}), field="purposes") from None
    if not found:
        raise InvalidInput(N_("an authorization names at least one purpose: ndc, oimp or both"), field="purposes")
    return frozenset(found)


def parse_first_transfer(value: str | None, purposes: frozenset[Purpose]) -> FirstTransfer:
    """The first-transfer definition; by default the first international transfer, or for OIMP
    also cancellation (c3p's reading before records).

    The Party's choice (para 2(b)) is for OIMP: a record for NDC use only is first transferred at
    its first international transfer, and naming another definition for it is refused.
    """
    if not value:
        return (
            FirstTransfer.use_or_cancellation
            if Purpose.oimp in purposes
            else FirstTransfer.first_international_transfer
        )
    try:
        definition = FirstTransfer(value)
    except ValueError:
        refusal = N_(
            "unknown first-transfer definition '%(value)s'; use first_international_transfer, "
            "use_or_cancellation, authorization or issuance"
        )
        raise InvalidInput(Message(refusal, {"value": value}), field="first_transfer") from None
    if Purpose.oimp not in purposes and definition is not FirstTransfer.first_international_transfer:
        refusal = N_(
            "the first-transfer definition '%(value)s' is for credits authorized for oimp; credits authorized "
            "for ndc only are first transferred at their first international transfer"
        )
        raise InvalidInput(Message(refusal, {"value": value}), field="first_transfer")
    return definition


def check_decided_on(decided_on: dt.date, today: dt.date) -> None:
    if decided_on > today:
        refusal = N_("the authorization decision date %(date)s is in the future")
        raise InvalidInput(Message(refusal, {"date": decided_on.isoformat()}), field="decided_on")


def check_within(issued: Sequence[tuple[str, int, int]], registry: str, start: int, end: int, ref: str) -> None:
    """The range lies inside one range the issuance issued."""
    if start < 1 or end < start or not any(r == registry and s <= start and end <= e for r, s, e in issued):
        refusal = N_("serials %(start)s-%(end)s of %(registry)s are not credits of issuance %(ref)s")
        raise InvalidInput(
            Message(refusal, {"start": start, "end": end, "registry": registry, "ref": ref}), field="serials"
        )


def next_version(
    existing: Sequence[AuthorizedRange], wanted: AuthorizedRange, first_transferred: int
) -> AuthorizedRange:
    """``wanted`` as the next version of the record of the same range, or as a new record.

    A range overlapping another record but not equal to it is refused (one record per credit).
    Once credits of the range were first transferred, it keeps every purpose, entity and its
    first-transfer definition: the host has reported adjustments for them (no silent revocation,
    as :func:`c3p.credits.rules.article6.check_authorization_change` for a whole issuance).
    """
    same = [r for r in existing if (r.registry, r.start, r.end) == (wanted.registry, wanted.start, wanted.end)]
    others = [r for r in existing if r not in same and r.overlaps(wanted.registry, wanted.start, wanted.end)]
    if others:
        o = others[0]
        refusal = N_("serials %(start)s-%(end)s overlap the authorization of serials %(from)s-%(to)s")
        values = {"start": wanted.start, "end": wanted.end, "from": o.start, "to": o.end}
        raise Conflict(Message(refusal, values))
    if not same:
        return replace(wanted, version=1)
    old = same[0]
    if (old.purposes, old.entities, old.first_transfer, old.decision, old.decided_on) == (
        wanted.purposes,
        wanted.entities,
        wanted.first_transfer,
        wanted.decision,
        wanted.decided_on,
    ):
        raise Conflict(N_("serials already authorized with these terms: nothing changes"))
    if first_transferred and (
        not old.purposes <= wanted.purposes
        or not set(old.entities) <= set(wanted.entities)
        or old.first_transfer != wanted.first_transfer
    ):
        refusal = N_(
            "%(credits)s credits of serials %(start)s-%(end)s were already first transferred; their authorization "
            "can gain purposes and entities but not lose any, nor change its first-transfer definition"
        )
        raise Conflict(Message(refusal, {"credits": first_transferred, "start": wanted.start, "end": wanted.end}))
    return replace(wanted, version=old.version + 1)


def check_no_cut_in_transit(held: Iterable[tuple[Block, str]], start: int, end: int) -> None:
    """A range may not cut a block on its way to the other registry: the pending transfer delivers
    the block as its journal entry proposed it, whole."""
    for block, kind in held:
        cut = block.start < start <= block.end or block.start <= end < block.end
        if cut and AccountKind(kind) is AccountKind.pending:
            refusal = N_(
                "serials %(from)s-%(to)s are on their way to the other registry; authorize serials %(start)s-%(end)s "
                "once that transfer is accepted or rejected"
            )
            values = {"from": block.start, "to": block.end, "start": start, "end": end}
            raise Conflict(Message(refusal, values), field="serials")


def cuts(start: int, end: int) -> tuple[int, int]:
    """The serials where blocks are cut so none crosses ``start..end``: before ``start`` and after ``end``."""
    return start, end + 1


def is_first_transfer(record: AuthorizedRange | None, host: str, to_registry: str, to_kind: str, already: bool) -> bool:
    """Whether moving (or issuing) a credit under ``record`` (None: not authorized) into this account is
    its first transfer, by the definition the record names (decision 2/CMA.3, annex, para 2(b)).

    * ``authorization`` or ``issuance``: its issuance is (a credit issued before its record was
      first transferred when the record was recorded: :func:`first_transfers_on_record`);
    * ``use_or_cancellation``: its cancellation for OIMP, in either registry; and, when the
      record also names NDCs, its first international transfer (use towards an NDC abroad);
    * ``first_international_transfer``: entering another country's registry.

    >>> r = legacy(1, [("VNM", 1, 9)], "JC-1", "2026-01-01", "", 1)[0]
    >>> is_first_transfer(r, "VNM", "VNM", "cancellation", already=False)
    True
    >>> is_first_transfer(replace(r, first_transfer=FirstTransfer.first_international_transfer), "VNM", "VNM",
    ...                   "cancellation", already=False)
    False
    >>> oimp_only = replace(r, purposes=frozenset({Purpose.oimp}))
    >>> is_first_transfer(oimp_only, "VNM", "JPN", "participant_holding", already=False)
    False
    """
    if record is None or already:
        return False
    definition = record.first_transfer
    if definition in AT_RECORD:
        return True
    if to_kind == AccountKind.cancellation and definition is FirstTransfer.use_or_cancellation:
        return True
    international = Purpose.ndc in record.purposes or definition is FirstTransfer.first_international_transfer
    return to_registry != host and international


def first_transfers_on_record(record: AuthorizedRange, held: Iterable[tuple[Block, str]]) -> list[Move]:
    """The credits ``record`` first-transfers the moment it is recorded, as moves that leave each one where it is.

    Under ``authorization`` or ``issuance`` the credits of the range already issued become first
    transferred now, in whichever account of the registry holds them; credits already used or
    cancelled (:data:`USED_KINDS`) and those first transferred before are left alone. ``held``
    is each block of the range with its account's kind (the blocks were cut at the range's bounds).

    >>> r = replace(legacy(1, [("VNM", 1, 9)], "JC-1", "2026-01-01", "", 1)[0], first_transfer=FirstTransfer.issuance)
    >>> first_transfers_on_record(r, [(Block("VNM", 1, 4, 7, 1), "participant_holding"),
    ...                               (Block("VNM", 5, 9, 3, 1), "retirement")])
    [Move(registry='VNM', start=1, end=4, from_account=7, to_account=7, issuance_id=1, first_transfer=True)]
    """
    if record.first_transfer not in AT_RECORD:
        return []
    return [
        Move(block.registry, block.start, block.end, block.account_id, block.account_id, block.issuance_id, True)
        for block, kind in sorted(held, key=lambda pair: pair[0].start)
        if record.covers(block.registry, block.start, block.end)
        and block.issuance_id == record.issuance_id
        and not block.first_transferred
        and AccountKind(kind) not in USED_KINDS
    ]


def is_in_place(move: Move) -> bool:
    """A move that leaves its credits where they are: a first transfer on recording an authorization."""
    return move.from_account == move.to_account


def check_use(record: AuthorizedRange | None, to_kind: str) -> None:
    """An authorized credit serves only the uses of its purposes: retirement needs ndc, cancellation oimp."""
    if record is None:
        return
    needed = {AccountKind.retirement: Purpose.ndc, AccountKind.cancellation: Purpose.oimp}.get(AccountKind(to_kind))
    if needed is not None and needed not in record.purposes:
        refusal = N_("serials %(start)s-%(end)s are authorized for %(purposes)s only, not for %(needed)s")
        values = {
            "start": record.start,
            "end": record.end,
            "purposes": ", ".join(sorted(record.purposes)),
            "needed": str(needed),
        }
        raise Conflict(Message(refusal, values), field="purpose")


def check_entity(record: AuthorizedRange | None, to_kind: str, holder: str, account: str, ref: str) -> None:
    """Credits under a record that lists authorized entities go only into holding accounts of those entities.

    The guidance lets a Party authorize entities to take part (decision 2/CMA.3, annex,
    paras 2, 18(g) and 21(c)); a registry can keep units out of other hands, so c3p refuses the
    transfer rather than flag it afterwards (assumed; see docs/registry.md). A record naming no
    entity leaves every holder free, and the registry's own accounts (cancellation, retirement,
    pending, returns) are not entities.

    >>> ndc = frozenset({Purpose.ndc})
    >>> r = AuthorizedRange(1, "VNM", 1, 9, ndc, ("acme",), FirstTransfer.first_international_transfer, 2)
    >>> check_entity(r, "participant_holding", "acme", "VNM-P-000005", "JC-1")
    >>> try:
    ...     check_entity(r, "participant_holding", "other", "VNM-P-000006", "JC-1")
    ... except Conflict:
    ...     print("refused")
    refused
    """
    if record is None or not record.entities or AccountKind(to_kind) not in HOLDING_KINDS:
        return
    if holder in record.entities:
        return
    refusal = N_(
        "account %(account)s is held by %(entity)s, which is not an authorized entity of authorization %(ref)s "
        "(serials %(start)s-%(end)s, version %(version)s); the authorized entities are %(entities)s"
    )
    values = {
        "account": account,
        "entity": holder or "-",
        "start": record.start,
        "end": record.end,
        "ref": ref,
        "version": record.version,
        "entities": ", ".join(record.entities),
    }
    raise Conflict(Message(refusal, values), field="to")
