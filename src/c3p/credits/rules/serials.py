"""Serial numbers of JCM credits: one integer per credit, printed in a documented format.

The official JCM serial format is not in our sources (jcm-facts §2, §9), so c3p uses its own,
described in ``docs/registry.md`` and configurable through :class:`SerialFormat`. Inside
the ledger a credit is identified by ``(issuing registry, unit number)``: unit numbers are
allocated per registry from 1 upwards and never reused, and a credit keeps its serial for
life, whichever registry holds it later. The printed form adds what a reader needs to
recognise it without a look-up: host country, project, monitoring period number.

Default format, one credit and one block::

    JCM-JPN-VNM-VN001-002-000000012345
    JCM-JPN-VNM-VN001-002-000000012001-000000013000

>>> fmt = SerialFormat()
>>> fmt.block("JPN", "VNM", "vn001", 2, 12001, 13000)
'JCM-JPN-VNM-VN001-002-000000012001-000000013000'
>>> fmt.parse("JCM-JPN-VNM-VN001-002-000000012345").unit
12345
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from c3p.errors import InvalidInput
from c3p.messages import N_, Message

REGISTRY_CODE = re.compile(r"[A-Z]{3}")
PROJECT_CODE = re.compile(r"[A-Za-z0-9]{1,16}")
#: bounds of the printed parts (docs/registry.md, "Bounds"): a registry numbers at most
#: MAX_UNIT credits in its life, a project at most MAX_PERIOD monitoring periods
MAX_UNIT = 10**12 - 1
MAX_PERIOD = 999


def check_period(period: object) -> int:
    """A monitoring period number: a whole number from 1 to :data:`MAX_PERIOD`."""
    if isinstance(period, bool) or not isinstance(period, int) or not 1 <= period <= MAX_PERIOD:
        refusal = N_("a monitoring period number is a whole number from 1 to %(max)s, got %(period)s")
        raise InvalidInput(Message(refusal, {"period": repr(period), "max": MAX_PERIOD}), field="period_number")
    return period


def check_units_left(registry: str, first: int, count: int) -> None:
    """Refuse serials past :data:`MAX_UNIT`: they could not be printed (nor read back)."""
    if first + count - 1 > MAX_UNIT:
        refusal = N_("registry %(registry)s cannot number %(count)s more credits (serials end at %(max)s)")
        raise InvalidInput(Message(refusal, {"registry": registry, "count": count, "max": MAX_UNIT}))


@lru_cache(maxsize=4096)
def _project_code(project: str) -> str:
    code = re.sub(r"[^A-Za-z0-9]", "", project).upper()
    if not PROJECT_CODE.fullmatch(code):
        refusal = N_("project '%(project)s' cannot be encoded in a serial (1-16 letters or digits)")
        raise InvalidInput(Message(refusal, {"project": project}))
    return code


def check_project_code(code: str) -> str:
    """A JCM project's serial code as given at registration: 1-16 of A-Z and 0-9, upper case.

    >>> check_project_code("VN001")
    'VN001'
    """
    if not isinstance(code, str) or not PROJECT_CODE.fullmatch(code) or code != code.upper():
        refusal = N_("serial code '%(code)s' must be 1-16 upper-case letters A-Z or digits 0-9")
        raise InvalidInput(Message(refusal, {"code": code}), field="serial_code")
    return code


def next_project_code(country_iso2: str, taken: set[str]) -> str:
    """The first free serial code ``<ISO2><nnn>`` of a host country (VN001, VN002, …).

    >>> next_project_code("VN", {"VN001"})
    'VN002'
    """
    number = 1
    while f"{country_iso2.upper()}{number:03d}" in taken:
        number += 1
    return check_project_code(f"{country_iso2.upper()}{number:03d}")


@dataclass(frozen=True)
class SerialFormat:
    """How serials are printed: ``{prefix}{sep}{registry}{sep}{host}{sep}{project}{sep}{period}{sep}{unit}``."""

    prefix: str = "JCM"
    separator: str = "-"
    period_digits: int = 3
    unit_digits: int = 12

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Z0-9]{1,8}", self.prefix) or self.separator not in ("-", "_", ".", ":"):
            raise ValueError("serial prefix must be 1-8 of A-Z0-9 and the separator one of - _ . :")

    def project_code(self, project: str) -> str:
        """The project part: the project reference without punctuation, upper case."""
        return _project_code(project)

    def unit(self, registry: str, host: str, project: str, period: int, unit: int) -> str:
        prefix = _unit_prefix(self.prefix, self.separator, self.period_digits, registry, host, project, period)
        return f"{prefix}{str(unit).zfill(self.unit_digits)}"

    def block(self, registry: str, host: str, project: str, period: int, start: int, end: int) -> str:
        """A block's serials, printed for each move: ``zfill`` pads as ``0{digits}d`` would without a format spec
        built and parsed per number."""
        return f"{self.unit(registry, host, project, period, start)}{self.separator}{str(end).zfill(self.unit_digits)}"

    def _pattern(self) -> re.Pattern[str]:
        sep = re.escape(self.separator)
        return re.compile(
            rf"{re.escape(self.prefix)}{sep}(?P<registry>[A-Z]{{3}}){sep}(?P<host>[A-Z]{{3}}){sep}"
            rf"(?P<project>[A-Z0-9]{{1,16}}){sep}(?P<period>\d{{1,9}}){sep}(?P<start>\d{{1,18}})"
            rf"(?:{sep}(?P<end>\d{{1,18}}))?"
        )

    def parse(self, text: str) -> ParsedSerial:
        """A serial or block serial; ``InvalidInput`` naming the expected form otherwise."""
        match = self._pattern().fullmatch(text.strip().upper())
        if not match:
            example = self.unit("JPN", "VNM", "VN001", 1, 1)
            refusal = N_("'%(text)s' is not a credit serial (expected e.g. %(example)s)")
            raise InvalidInput(Message(refusal, {"text": text, "example": example}), field="serial")
        start = int(match["start"])
        end = int(match["end"]) if match["end"] else start
        if start < 1 or end < start:
            raise InvalidInput(Message(N_("'%(text)s': the serial range is empty"), {"text": text}), field="serial")
        if end > MAX_UNIT:
            refusal = N_("'%(text)s': serial numbers end at %(max)s")
            raise InvalidInput(Message(refusal, {"text": text, "max": MAX_UNIT}), field="serial")
        period = int(match["period"])
        if not 1 <= period <= MAX_PERIOD:
            refusal = N_("'%(text)s': monitoring period numbers run from 1 to %(max)s")
            raise InvalidInput(Message(refusal, {"text": text, "max": MAX_PERIOD}), field="serial")
        return ParsedSerial(match["registry"], match["host"], match["project"], period, start, end, text.strip())

    def check_names(self, parsed: ParsedSerial, host: str, project: str, period: int) -> None:
        """Every descriptive part of a serial must be that of the credits it numbers.

        A serial's unit numbers alone find the credits; its host country, project and
        period must then agree with their issuance, or the serial names other credits.
        """
        actual = (host, self.project_code(project), period)
        if (parsed.host, parsed.project, parsed.period) != actual:
            refusal = N_(
                "serial %(serial)s names %(named)s, but units %(start)s-%(end)s of %(registry)s are %(actual)s"
            )
            about = {"serial": parsed.text, "start": parsed.start, "end": parsed.end, "registry": parsed.registry}
            named = f"{parsed.host} {parsed.project} {parsed.period:0{self.period_digits}d}"
            shown = f"{host} {actual[1]} {period:0{self.period_digits}d}"
            raise InvalidInput(Message(refusal, {**about, "named": named, "actual": shown}), field="serial")


@lru_cache(maxsize=1024)  # a transfer prints the serials of a few issuances, again and again
def _unit_prefix(
    prefix: str, separator: str, period_digits: int, registry: str, host: str, project: str, period: int
) -> str:
    """A serial up to its unit number: ``{prefix}{sep}{registry}{sep}{host}{sep}{project}{sep}{period}{sep}``.

    Keyed by the format's parts, not the format: its dataclass hash is a Python call for every serial printed.
    """
    parts = [prefix, registry, host, _project_code(project), f"{period:0{period_digits}d}", ""]
    return separator.join(parts)


@dataclass(frozen=True)
class ParsedSerial:
    registry: str
    host: str
    project: str
    period: int
    start: int
    end: int
    text: str = ""

    @property
    def unit(self) -> int:
        return self.start

    @property
    def credits(self) -> int:
        return self.end - self.start + 1


DEFAULT_FORMAT = SerialFormat()
