"""The partnerships as a GeoJSON map layer: points for places and governments, lines between."""

from __future__ import annotations

import json

from c3p.program import schemas as v
from c3p.program.snapshot import RegistrySnapshot


def partnerships_geojson(
    snapshot: RegistrySnapshot, partnerships: list[v.PartnershipView], partial: list[str] | None = None
) -> bytes:
    """Points for places and governments, and a line for every government–place pair.

    ``partial`` says why the filters asked cannot be answered in full (a foreign member).
    """
    features: list[dict] = []
    places: dict[str, v.PlaceView] = {}
    governments: dict[str, v.GovernmentView] = {}
    for partnership in partnerships:
        for government_ref in partnership.japanese_governments:
            government = governments.setdefault(government_ref.slug, snapshot.japanese_governments[government_ref.slug])
            for place_ref in partnership.partner_places:
                place = places.setdefault(place_ref.slug, snapshot.partner_places[place_ref.slug])
                features.append(_line(partnership, government, place))
    features += [_point("partner_place", place, place.country_iso3) for place in places.values()]
    features += [_point("japanese_government", gov, "JPN") for gov in governments.values()]
    collection = {"type": "FeatureCollection", "features": features, "partial": partial or []}
    return json.dumps(collection, ensure_ascii=False).encode()


def _point(kind: str, record: v.PlaceView | v.GovernmentView, country_iso3: str) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [record.lon, record.lat]},
        "properties": {
            "kind": kind,
            "slug": record.slug,
            "name_ja": record.name_ja,
            "name_en": record.name_en,
            "country_iso3": country_iso3,
            "partnerships": len(record.partnerships),
        },
    }


def _line(partnership: v.PartnershipView, government: v.GovernmentView, place: v.PlaceView) -> dict:
    return {
        "type": "Feature",
        "geometry": {
            "type": "LineString",
            "coordinates": [[government.lon, government.lat], [place.lon, place.lat]],
        },
        "properties": {
            "kind": "partnership",
            "slug": partnership.slug,
            "japanese_government": government.slug,
            "partner_place": place.slug,
            "country_iso3": partnership.country_iso3,
            "in_fy2025": partnership.in_fy2025,
            "fiscal_years": partnership.fiscal_years,
        },
    }
