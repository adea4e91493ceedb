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

from c3p.credits.rules.holding_accounts import AccountKind
from c3p.errors import Conflict, InvalidInput
from c3p.messages import N_, Message


class Purpose(StrEnum):
    ndc = "ndc"  # use towards achievement of nationally determined contributions
    oimp = "oimp"  # other international mitigation purposes (e.g. CORSIA)


class FirstTransfer(StrEnum):
    """When an authorized credit is first transferred (decision 2/CMA.3, annex, para 2(b)).

    Towards NDCs it is always the first international transfer; for OIMP the Party chooses.
    """

    #: entering another country's registry only
    first_international_transfer = "first_international_transfer"
    #: entering another country's registry, or cancelled for OIMP (c3p's reading before records)
    use_or_cancellation = "use_or_cancellation"


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
    issuance_id: int, ranges: Iterable[tuple[str, int, int]], decision: str, decided_on: str, by: str, seq: int
) -> list[AuthorizedRange]:
    """The records an issuance authorized as a whole stands for: one per registry range it issued."""
    return [
        AuthorizedRange(
            issuance_id,
            registry,
            start,
            end,
            LEGACY_PURPOSES,
            (),
            LEGACY_FIRST_TRANSFER,
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
    also cancellation (c3p's reading before records)."""
    if not value:
        return (
            FirstTransfer.use_or_cancellation
            if Purpose.oimp in purposes
            else FirstTransfer.first_international_transfer
        )
    try:
        return FirstTransfer(value)
    except ValueError:
        refusal = N_(
            "unknown first-transfer definition '%(value)s'; use first_international_transfer or use_or_cancellation"
        )
        raise InvalidInput(Message(refusal, {"value": value}), field="first_transfer") from None


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


def cuts(start: int, end: int) -> tuple[int, int]:
    """The serials where blocks are cut so none crosses ``start..end``: before ``start`` and after ``end``."""
    return start, end + 1


def is_first_transfer(record: AuthorizedRange | None, host: str, to_registry: str, to_kind: str, already: bool) -> bool:
    """Whether moving a credit under ``record`` (None: not authorized) into this account is its first transfer.

    >>> r = legacy(1, [("VNM", 1, 9)], "JC-1", "2026-01-01", "", 1)[0]
    >>> is_first_transfer(r, "VNM", "VNM", "cancellation", already=False)
    True
    >>> is_first_transfer(replace(r, first_transfer=FirstTransfer.first_international_transfer), "VNM", "VNM",
    ...                   "cancellation", already=False)
    False
    """
    if record is None or already:
        return False
    if to_registry != host:
        return True
    return to_kind == AccountKind.cancellation and record.first_transfer is FirstTransfer.use_or_cancellation


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
