"""The packaged methodology specifications, loaded once and looked up by ID and version."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from c3p.errors import NotFound
from c3p.messages import N_, Message
from c3p.mrv.spec import Methodology, load_methodology, version_key

SPEC_DIR = Path(__file__).parent / "methodologies"


@lru_cache(maxsize=1)
def all_methodologies() -> tuple[Methodology, ...]:
    """Every packaged specification, sorted by ID then version (a broken file raises)."""
    loaded = [load_methodology(path) for path in sorted(SPEC_DIR.glob("*.yaml"))]
    return tuple(sorted(loaded, key=lambda m: (m.id, version_key(m.version))))


def get_methodology(methodology_id: str, version: str | None = None) -> Methodology:
    """The latest version of ``methodology_id`` (or the given version)."""
    wanted = methodology_id.strip().upper()
    if "@" in wanted and version is None:
        wanted, version = wanted.split("@", 1)
    matches = [m for m in all_methodologies() if m.id == wanted]
    if version is not None:
        matches = [m for m in matches if version_key(m.version) == version_key(version)]
    if not matches:
        known = ", ".join(sorted({m.id for m in all_methodologies()}))
        refusal = N_("unknown methodology '%(methodology)s' (known: %(known)s)")
        raise NotFound(Message(refusal, {"methodology": methodology_id, "known": known}))
    return matches[-1]


def search_methodologies(
    country: str | None = None, sector: str | None = None, q: str | None = None
) -> list[Methodology]:
    """Methodologies of a host country (ISO3) and sector whose ID, title or sector match ``q``."""
    found = list(all_methodologies())
    if country:
        found = [m for m in found if m.spec.host_country == country.strip().upper()]
    if sector:
        found = [m for m in found if m.spec.sector.casefold() == sector.strip().casefold()]
    for word in (q or "").casefold().split():
        found = [m for m in found if word in f"{m.id} {m.spec.title} {m.spec.sector}".casefold()]
    return found
