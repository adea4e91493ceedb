"""The program as its brochure presents it, in Japanese and English, from one reviewable data file.

The overview, who may apply, the merits for each party, the JCM, its Model Projects, C2P2,
examples and the contact are text, not records: they change with each year's brochure and
nothing refers to them. They live in ``data/program_overview.yaml`` beside the records they
explain, are checked whole when read (both languages, a source for each section), and are
served from memory.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import ConfigDict, Field, model_validator

from c3p.schema import Schema

OVERVIEW_FILE = Path(__file__).parent / "data" / "program_overview.yaml"


class ProgramSection(Schema):
    """One section of the brochure's account of the program, in both languages, with its source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    group: str = Field("", description="sections sharing a group are shown under one heading")
    heading_ja: str = Field(min_length=1)
    heading_en: str = Field(min_length=1)
    note_ja: str = ""
    note_en: str = ""
    paragraphs_ja: list[str] = []  # noqa: RUF012
    paragraphs_en: list[str] = []  # noqa: RUF012
    items_ja: list[str] = []  # noqa: RUF012
    items_en: list[str] = []  # noqa: RUF012
    link: str = Field("", description="the portal page that lists what the section describes")
    links: list[str] = Field([], description="one page per item, in item order")
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _both_languages(self) -> ProgramSection:
        """Each paragraph and item exists in both languages, so neither reader misses a point."""
        if len(self.paragraphs_ja) != len(self.paragraphs_en) or len(self.items_ja) != len(self.items_en):
            raise ValueError(f"section {self.slug}: the Japanese and English texts differ in length")
        if bool(self.note_ja) != bool(self.note_en):
            raise ValueError(f"section {self.slug}: a note in one language only")
        if self.links and len(self.links) > len(self.items_ja):
            raise ValueError(f"section {self.slug}: more links than items")
        return self


def parse_overview(text: str) -> list[ProgramSection]:
    """The sections of an overview file; a bad section is refused, naming it."""
    raw = yaml.safe_load(text)
    if not isinstance(raw, list) or not raw:
        raise ValueError("the program overview must be a non-empty list of sections")
    sections = [ProgramSection.model_validate(item) for item in raw]
    slugs = [s.slug for s in sections]
    if len(set(slugs)) != len(slugs):
        raise ValueError("the program overview repeats a section slug")
    return sections


@cache
def program_overview() -> tuple[ProgramSection, ...]:
    return tuple(parse_overview(OVERVIEW_FILE.read_text(encoding="utf-8")))
