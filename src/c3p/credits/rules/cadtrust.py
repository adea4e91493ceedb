"""Units listed in two registries: the check an aggregator such as the Climate Action Data Trust runs.

A unit is named by its serial block. Two listings name the same credits when their blocks
come from the same origin (for a JCM serial: prefix, registry, host country, project and
period, i.e. everything but the unit numbers; for any other serial: the text before its last
run of digits) and their unit numbers overlap. Each credit may be listed once across all the
registries compared; a second listing, in another registry or the same one, is a finding.

Field names follow the CAD Trust data model's units (``unitBlockStart``, ``unitBlockEnd``,
``unitCount``, ``vintageYear``, ``unitStatus``), as read from its public API validations.

A unit's corresponding adjustment (:func:`corresponding_adjustment`) is read from the block's
Article 6.2 labels, the rule the public pages use (:class:`~c3p.credits.rules.labels.Labels`),
and said in the CAD Trust's pick lists. Source: the CAD Trust reference implementation
(Chia-Network/cadt), ``src/validations/units.validations.js`` (both fields required, each
checked against its pick list) and the governance pick list in ``docs/cadt_rpc_api.md``:
``correspondingAdjustmentDeclaration`` one of "Committed", "Not Required", "Unknown";
``correspondingAdjustmentStatus`` one of "Not Applicable", "Not Started", "Pending", "Completed".
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from c3p.credits.rules.labels import Labels
from c3p.credits.rules.serials import DEFAULT_FORMAT
from c3p.errors import InvalidInput
from c3p.messages import N_, Message

#: the fields that name a unit block
BLOCK_FIELDS = ("unitBlockStart", "unitBlockEnd")
_LAST_DIGITS = re.compile(r"^(?P<origin>.*?)(?P<number>\d+)$")


class AdjustmentDeclaration(StrEnum):
    """The CAD Trust's ``correspondingAdjustmentDeclaration`` pick list."""

    committed = "Committed"
    not_required = "Not Required"
    unknown = "Unknown"


class AdjustmentStatus(StrEnum):
    """The CAD Trust's ``correspondingAdjustmentStatus`` pick list."""

    not_applicable = "Not Applicable"
    not_started = "Not Started"
    pending = "Pending"
    completed = "Completed"


def corresponding_adjustment(labels: Labels) -> tuple[AdjustmentDeclaration, AdjustmentStatus]:
    """A unit's corresponding-adjustment declaration and status, from its Article 6.2 labels.

    An authorized unit's host has committed to adjust for it; the adjustment is not started
    before the unit's first transfer, pending once first transferred, and completed when the
    host's recorded adjustments cover it (the "correspondingly adjusted" label). A unit no
    record authorizes is no ITMO: no adjustment is required (*assumed*: no JCM text says how
    such units are declared to an aggregator).

    >>> [str(v) for v in corresponding_adjustment(Labels.of(["ndc"], True, host_adjusted=True))]
    ['Committed', 'Completed']
    >>> [str(v) for v in corresponding_adjustment(Labels.of(["oimp"], True, host_adjusted=False))]
    ['Committed', 'Pending']
    >>> [str(v) for v in corresponding_adjustment(Labels())]
    ['Not Required', 'Not Applicable']
    """
    if not labels.authorized:
        return AdjustmentDeclaration.not_required, AdjustmentStatus.not_applicable
    if labels.correspondingly_adjusted:
        return AdjustmentDeclaration.committed, AdjustmentStatus.completed
    if labels.first_transferred:
        return AdjustmentDeclaration.committed, AdjustmentStatus.pending
    return AdjustmentDeclaration.committed, AdjustmentStatus.not_started


@dataclass(frozen=True)
class Listing:
    """One unit block as a registry lists it."""

    registry: str
    start: str
    end: str
    status: str = ""


@dataclass(frozen=True)
class Overlap:
    """Credits listed twice: the two listings and the unit numbers they share."""

    first: Listing
    second: Listing
    origin: str
    shared_from: int
    shared_to: int

    @property
    def credits(self) -> int:
        return self.shared_to - self.shared_from + 1


def span(listing: Listing) -> tuple[str, int, int]:
    """``(origin, first unit, last unit)`` of a listing; a block whose ends disagree is refused."""
    start, end = _origin_and_number(listing.start), _origin_and_number(listing.end)
    if start[0] != end[0] or end[1] < start[1]:
        said = {"registry": listing.registry, "start": listing.start, "end": listing.end}
        raise InvalidInput(Message(N_("%(registry)s lists a block %(start)s … %(end)s that is not one range"), said))
    return start[0], start[1], end[1]


def _origin_and_number(serial: str) -> tuple[str, int]:
    text = serial.strip().upper()
    if text.startswith(DEFAULT_FORMAT.prefix + DEFAULT_FORMAT.separator):
        parsed = DEFAULT_FORMAT.parse(text)
        origin = DEFAULT_FORMAT.separator.join(
            [DEFAULT_FORMAT.prefix, parsed.registry, parsed.host, parsed.project, str(parsed.period)]
        )
        return origin, parsed.start
    match = _LAST_DIGITS.match(text)
    if not match:
        raise InvalidInput(Message(N_("'%(serial)s' has no unit number at its end"), {"serial": serial}))
    return match["origin"], int(match["number"])


def read_units(units: Any, registry: str) -> list[Listing]:
    """CAD Trust units (a JSON list, or ``{"units": [...]}``) as listings; a unit without its block is refused."""
    if isinstance(units, dict):
        units = units.get("units")
    if not isinstance(units, list):
        raise InvalidInput(Message(N_("%(registry)s: expected a list of CAD Trust units"), {"registry": registry}))
    found = []
    for number, unit in enumerate(units, start=1):
        if not isinstance(unit, dict) or not all(isinstance(unit.get(f), str) for f in BLOCK_FIELDS):
            said = {"registry": registry, "number": number}
            refusal = N_("%(registry)s: unit %(number)s has no unitBlockStart and unitBlockEnd")
            raise InvalidInput(Message(refusal, said))
        source = str(unit.get("registry") or registry)
        found.append(Listing(source, unit["unitBlockStart"], unit["unitBlockEnd"], str(unit.get("unitStatus", ""))))
    return found


def listed_twice(listings: Iterable[Listing]) -> list[Overlap]:
    """Every pair of listings that share credits, in origin and unit order."""
    by_origin: dict[str, list[tuple[int, int, Listing]]] = defaultdict(list)
    for listing in listings:
        origin, first, last = span(listing)
        by_origin[origin].append((first, last, listing))
    ordered = {origin: sorted(by_origin[origin], key=lambda r: r[:2]) for origin in sorted(by_origin)}
    return [overlap for origin, ranges in ordered.items() for overlap in _overlaps(origin, ranges)]


def _overlaps(origin: str, ranges: Sequence[tuple[int, int, Listing]]) -> list[Overlap]:
    """Sweep the ranges in start order, keeping those still open (a few, unless the data is bad)."""
    found: list[Overlap] = []
    open_ranges: list[tuple[int, int, Listing]] = []
    for first, last, listing in ranges:
        open_ranges = [r for r in open_ranges if r[1] >= first]
        for _, other_last, other in open_ranges:
            found.append(Overlap(other, listing, origin, first, min(last, other_last)))
        open_ranges.append((first, last, listing))
    return found
