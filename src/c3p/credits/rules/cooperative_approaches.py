"""Each JCM partnership's cooperative approach ID, which every Article 6.2 unique identifier begins with.

Decision 6/CMA.4 (annex I, para. 5) builds an ITMO's unique identifier from the cooperative
approach's identifier, which the UNFCCC's centralized accounting and reporting platform gives
when a Party reports the approach. The JCM is one cooperative approach per partnership (Japan and
one partner), so the ID is a record per partner country, kept in a reviewed data file with its
source. Until a partnership's ID is on record its units carry the placeholder ``CA0000``, and a
report that shows one is a **draft**: it can be read and checked, but it is marked as such
wherever it is shown, so a placeholder never passes for a real identifier.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ConfigDict, Field, ValidationError, field_validator

from c3p.errors import DataFileError
from c3p.schema import Schema

#: what a unit's identifier carries while its partnership's ID is not on record
PLACEHOLDER = "CA0000"


class CooperativeApproach(Schema):
    """One partnership's cooperative approach ID, with where it was read and when."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    partner: str = Field(pattern=r"^[A-Z]{3}$", description="the partner country (ISO3); Japan is the other Party")
    cooperative_approach_id: str = Field(
        pattern=r"^CA\d{4}$", description="the ID the UNFCCC's platform gave the approach, e.g. CA0012"
    )
    source: str = Field(min_length=1, description="where the ID is published (an address or document symbol)")
    read_on: dt.date = Field(description="the day the source was read")

    @field_validator("cooperative_approach_id")
    @classmethod
    def _not_placeholder(cls, value: str) -> str:
        if value == PLACEHOLDER:
            raise ValueError(f"{PLACEHOLDER} is the placeholder for an ID not on record; leave the record out")
        return value

    @field_validator("partner")
    @classmethod
    def _not_japan(cls, value: str) -> str:
        if value == "JPN":
            raise ValueError("Japan is a Party to every partnership; name the partner country")
        return value


def parse_approaches(records: Any, path: str) -> dict[str, str]:
    """The IDs of a data file's records, by partner; a bad record names its position and field.

    >>> parse_approaches([{"partner": "VNM", "cooperative_approach_id": "CA0012", "source": "s",
    ...                    "read_on": "2026-12-06"}], "f.yaml")
    {'VNM': 'CA0012'}
    """
    if records is None:
        return {}
    if not isinstance(records, list):
        raise DataFileError(path, None, "expected a list of partnership records")
    found: dict[str, str] = {}
    for number, record in enumerate(records, start=1):
        try:
            approach = CooperativeApproach.model_validate(record)
        except ValidationError as error:
            detail = error.errors()[0]
            where = ".".join(str(part) for part in detail["loc"]) or "record"
            raise DataFileError(path, None, f"record {number}: {where}: {detail['msg']}") from None
        if approach.partner in found:
            raise DataFileError(path, None, f"record {number}: {approach.partner} is listed twice")
        if approach.cooperative_approach_id in found.values():
            raise DataFileError(path, None, f"record {number}: {approach.cooperative_approach_id} is listed twice")
        found[approach.partner] = approach.cooperative_approach_id
    return found


def approach_id(approaches: Mapping[str, str], host: str) -> str:
    """The ID of the partnership a unit hosted by ``host`` belongs to; the placeholder when none is on record."""
    return approaches.get(host, PLACEHOLDER)


def without_id(approaches: Mapping[str, str], hosts: Iterable[str]) -> list[str]:
    """The partners among ``hosts`` whose partnership has no ID on record (what makes a report a draft).

    >>> without_id({"VNM": "CA0012"}, ["VNM", "MNG", "MNG"])
    ['MNG']
    """
    return sorted({host for host in hosts if host not in approaches})
