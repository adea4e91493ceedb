"""Units of measure for the MRV engine, on one pint registry.

Greenhouse-gas masses get their own dimensions (``[co2]``, ``[ch4]``) so that a tonne of
waste can never be mistaken for a tonne of CO2, and a kWh can never be read where m³ of
gas is expected. Conversions happen once, as a scale factor per distinct unit string,
so that millions of rows are converted with one multiplication each.

The registry is built on first use (:func:`unit_registry`): pint and numpy take a third of a
second to import, which pages and commands that never convert a unit should not pay.
"""

from __future__ import annotations

import hashlib
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from c3p.errors import InvalidInput
from c3p.messages import N_, Message
from c3p.user_cache import user_cache_folder

if TYPE_CHECKING:
    import pint

_DEFINITIONS = """
gCO2 = [co2]
kgCO2 = 1000 * gCO2
tCO2 = 1e6 * gCO2 = tCO2 = tCO2e
ktCO2 = 1e9 * gCO2
gCH4 = [ch4]
kgCH4 = 1000 * gCH4
tCH4 = 1e6 * gCH4
Nm3 = meter ** 3 = Nm3 = Nm³
m3 = meter ** 3 = m3
"""

_REGISTRY_LOCK = threading.Lock()


def unit_registry() -> pint.UnitRegistry:
    """The one registry every unit comes from (units of two registries cannot be compared)."""
    with _REGISTRY_LOCK:  # two threads starting at once must not build two registries
        return _built_registry()


@lru_cache(maxsize=1)
def _built_registry() -> pint.UnitRegistry:
    import pint

    registry: pint.UnitRegistry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True, cache_folder=_pint_cache())
    for line in _DEFINITIONS.strip().splitlines():
        registry.define(line)
    return registry


def _pint_cache() -> Path | None:
    """Where pint keeps its parsed definitions (a 10× faster start): a folder of this installation's pint.

    Pint's own shared cache (``:auto:``) is keyed by the definitions' text and records the paths of
    the installation that wrote it; once that installation is removed (a virtual environment
    deleted), every other one reading the cache lost its units ("unknown unit 'GJ'").
    """
    import pint

    installed = Path(pint.__file__).resolve().parent
    digest = hashlib.sha256(f"{installed}|{pint.__version__}".encode()).hexdigest()[:16]
    return user_cache_folder(f"pint-{digest}")


_SUPERSCRIPTS = str.maketrans({"³": "**3", "²": "**2", "·": "*", "×": "*"})


# Spellings people write in monitoring sheets, keyed by their folded form (lower case, no
# spaces, hyphens or dots, CO2e read as CO2), each with the unit it means. Case folding is
# safe here because no one meters in milliwatt-hours: "mwh" is a megawatt-hour.
_SPELLINGS = {
    "gco2": "gCO2", "kgco2": "kgCO2", "tco2": "tCO2", "ktco2": "ktCO2",
    "kgch4": "kgCH4", "tch4": "tCH4", "wh": "Wh", "kwh": "kWh", "mwh": "MWh", "gwh": "GWh",
    "kj": "kJ", "mj": "MJ", "gj": "GJ", "tj": "TJ", "w": "W", "kw": "kW", "mw": "MW",
    "kg": "kg", "t": "t", "tonne": "t", "ton": "t", "l": "L", "kl": "kL", "m3": "m3",
    "nm3": "Nm3", "lm": "lm",
}  # fmt: skip
ACCEPTED_SPELLINGS = (
    "kWh, MWh, GWh, GJ, TJ, kW, MW, tCO2 (also t-CO2, tCO2e), kgCO2 (also kg-CO2, kgCO2e), tCH4, "
    "t, kg, m3 (m³), Nm3, L, kL, and quotients such as tCO2/MWh or GJ/m3; any case (kwh)"
)


def _canonical(text: str) -> str:
    """A unit in the spelling pint reads: ``t-CO2e/mwh`` -> ``tCO2/MWh``."""
    parts = []
    for part in text.split("/"):
        folded = re.sub(r"[\s.\-]", "", part).lower()
        folded = re.sub(r"(co2|ch4)(e|eq)$", r"\1", folded)
        parts.append(_SPELLINGS.get(folded, part.strip()))
    return "/".join(parts)


@lru_cache(maxsize=512)
def parse_unit(text: str) -> pint.Unit:
    """Parse a unit string such as ``kWh``, ``tCO2/MWh``, ``m³``, ``GJ/Nm3`` or ``t-CO2e``.

    >>> str(parse_unit("tCO2/MWh")), str(parse_unit("t-CO2e/mwh"))
    ('tCO2 / megawatt_hour', 'tCO2 / megawatt_hour')
    """
    cleaned = (text or "").strip().translate(_SUPERSCRIPTS)
    if cleaned in {"", "1", "-", "dimensionless"}:
        return unit_registry().dimensionless
    try:
        return unit_registry().parse_units(_canonical(cleaned))
    except Exception:  # pint raises many kinds (parser, tokenizer, attribute, key errors)
        refusal = N_("unknown unit %(unit)s; accepted spellings: %(accepted)s")
        raise InvalidInput(Message(refusal, {"unit": repr(text), "accepted": ACCEPTED_SPELLINGS})) from None


@lru_cache(maxsize=4096)
def scale_factor(from_unit: str, to_unit: str) -> float:
    """The number that converts a magnitude in ``from_unit`` to ``to_unit``.

    Raises :class:`InvalidInput` when the dimensions differ (kWh where m³ is expected).

    >>> scale_factor("kWh", "MWh")
    0.001
    """
    source, target = parse_unit(from_unit), parse_unit(to_unit)
    if source.dimensionality != target.dimensionality:
        raise InvalidInput(
            f"unit {from_unit!r} cannot be converted to {to_unit!r} "
            f"({source.dimensionality} is not {target.dimensionality})"
        )
    # 12 significant digits: removes float noise such as 0.9999999999999999 for m³ -> kL.
    return float(f"{unit_registry().Quantity(1.0, source).to(target).magnitude:.12g}")


def same_dimension(unit_a: pint.Unit, unit_b: pint.Unit) -> bool:
    return unit_a.dimensionality == unit_b.dimensionality


def format_unit(unit: pint.Unit) -> str:
    """A short human form of a unit (``tCO2/MWh``), used in reports and error messages."""
    return f"{unit:~}".replace(" ", "") or "1"


# Units offered to people entering values (the portal's calculator), per dimension.
COMMON_UNITS = (
    "kWh", "MWh", "GWh", "GJ", "TJ", "W", "kW", "MW", "kgCO2", "tCO2", "kgCH4", "tCH4",
    "kg", "t", "L", "kL", "m3", "Nm3", "tCO2/MWh", "kgCO2/kWh", "tCO2/GJ", "kgCO2/TJ",
    "GJ/m3", "MJ/m3", "GJ/Nm3", "lm/W", "1", "%",
)  # fmt: skip


def compatible_units(unit: str) -> list[str]:
    """``unit`` first, then the common units of the same dimension (for unit selectors).

    >>> compatible_units("MWh")
    ['MWh', 'kWh', 'GWh', 'GJ', 'TJ']
    """
    target = parse_unit(unit)
    found = [unit]
    for candidate in COMMON_UNITS:
        same_spelling = display_unit(candidate) == display_unit(unit).replace("³", "3")
        if not same_spelling and parse_unit(candidate).dimensionality == target.dimensionality:
            found.append(candidate)
    return found


def display_unit(unit: str) -> str:
    """A unit as people write it: ``m**3`` -> ``m³``; the dimensionless ``1`` -> ``—``."""
    if unit.strip() in {"", "1", "dimensionless"}:
        return "—"
    return unit.replace("**3", "³").replace("**2", "²")
