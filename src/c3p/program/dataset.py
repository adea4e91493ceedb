"""The seed dataset as read: every record with the file and line it came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

from c3p.program import records as r

RecordT = TypeVar("RecordT", bound=BaseModel)


@dataclass(frozen=True)
class Located(Generic[RecordT]):
    """A record with the place it was read from, so later checks can name file and line."""

    record: RecordT
    path: str
    line: int


@dataclass(frozen=True)
class SeedDataset:
    countries: list[Located[r.CountryRecord]]
    japanese_governments: list[Located[r.JapaneseGovernmentRecord]]
    partner_places: list[Located[r.PartnerPlaceRecord]]
    organizations: list[Located[r.OrganizationRecord]]
    partnerships: list[Located[r.PartnershipRecord]]
    partnership_members: list[Located[r.PartnershipMemberRecord]]
    vocabulary: list[Located[r.VocabularyTermRecord]]
    projects: list[Located[r.ProjectRecord]]
    events: list[Located[r.EventRecord]]
    related_programs: list[Located[r.RelatedProgramRecord]]
    websites: list[Located[r.WebsiteRecord]]
    program_reach: list[Located[r.ProgramReachRecord]]
    call_rounds: list[Located[r.CallRoundRecord]]
    data_notes: list[Located[r.DataNoteRecord]]
    sha256: str
