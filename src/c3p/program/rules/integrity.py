"""Cross-file rules of the seed dataset: unique keys and resolvable references."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from c3p.errors import DataFileError
from c3p.program.dataset import Located, SeedDataset


def check_integrity(data: SeedDataset) -> None:
    """Raise :class:`DataFileError` at the first row that breaks a cross-file rule."""
    countries = _unique(data.countries, lambda rec: rec.iso3, "iso3")
    governments = _unique(data.japanese_governments, lambda rec: rec.slug, "slug")
    places = _unique(data.partner_places, lambda rec: rec.slug, "slug")
    organizations = _unique(data.organizations, lambda rec: rec.slug, "slug")
    partnerships = _unique(data.partnerships, lambda rec: rec.slug, "slug")
    terms = _unique(data.vocabulary, lambda rec: rec.slug, "slug")
    _unique(data.projects, lambda rec: rec.slug, "slug")
    _unique(data.projects, lambda rec: (rec.fiscal_year, rec.number), "fiscal_year + number")
    for name in ("events", "related_programs", "websites"):
        _unique(getattr(data, name), lambda rec: rec.slug, "slug")

    _refs(data.partner_places, "country_iso3", countries, lambda rec: [rec.country_iso3])
    _refs(data.partner_places, "parent_slug", places, lambda rec: [rec.parent_slug])
    _refs(data.organizations, "country_iso3", countries, lambda rec: [rec.country_iso3])
    _refs(data.partnerships, "country_iso3", countries, lambda rec: [rec.country_iso3])
    _refs(
        data.partnership_members,
        "partnership_slug",
        partnerships,
        lambda rec: [rec.partnership_slug],
    )
    for role, targets in (("japanese_government", governments), ("partner_place", places)):
        members = [item for item in data.partnership_members if item.record.role == role]
        _refs(members, "member_slug", targets, lambda rec: [rec.member_slug])
    sectors = {slug for slug, item in terms.items() if item.record.kind == "sector"}
    _refs(data.vocabulary, "sector_slug", sectors, lambda rec: [rec.sector_slug])
    _refs(data.projects, "partnership_slug", partnerships, lambda rec: [rec.partnership_slug])
    _refs(
        data.projects,
        "organizations",
        organizations,
        lambda rec: [o.organization_slug for o in rec.organizations],
    )
    _refs(data.projects, "tags", terms, lambda rec: [t.term_slug for t in rec.tags])
    _check_members(data)


def _unique(items: list[Located[Any]], key: Callable[[Any], Any], label: str) -> dict[Any, Located[Any]]:
    seen: dict[Any, Located[Any]] = {}
    for item in items:
        value = key(item.record)
        if value in seen:
            first = seen[value]
            raise DataFileError(item.path, item.line, f"duplicate {label} {value!r} (first at line {first.line})")
        seen[value] = item
    return seen


def _refs(
    items: Iterable[Located[Any]],
    field: str,
    targets: Iterable[Any],
    values: Callable[[Any], list[Any]],
) -> None:
    known = set(targets)
    for item in items:
        for value in values(item.record):
            if value is not None and value not in known:
                raise DataFileError(item.path, item.line, f"{field}: unknown reference {value!r}")


def _check_members(data: SeedDataset) -> None:
    """Every partnership needs at least one Japanese government and one partner place."""
    roles: dict[str, set[str]] = {}
    for member in data.partnership_members:
        roles.setdefault(member.record.partnership_slug, set()).add(member.record.role)
    for partnership in data.partnerships:
        missing = {"japanese_government", "partner_place"} - roles.get(partnership.record.slug, set())
        if missing:
            raise DataFileError(
                partnership.path, partnership.line, f"partnership has no {' or '.join(sorted(missing))} member"
            )
