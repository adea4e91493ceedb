"""The language of a portal request: ``?lang=``, then the ``lang`` cookie, then ``Accept-Language``
(English when it names neither language), then the configured default.

The catalogs themselves are in :mod:`c3p.catalogs`.
"""

from __future__ import annotations

from babel import Locale, negotiate_locale
from starlette.requests import Request

from c3p.catalogs import LANGUAGES

COOKIE = "lang"


def choose_language(request: Request, default: str) -> str:
    """The reader's language; a browser that asks only for other languages reads English.

    Japanese is for readers who ask for it; ``default`` is for those who state no language.
    """
    asked = request.query_params.get("lang") or request.cookies.get(COOKIE)
    if asked in LANGUAGES:
        return asked
    header = request.headers.get("accept-language", "")
    preferred = [part.split(";")[0].strip().replace("-", "_") for part in header.split(",") if part.strip()]
    stated = [tag for tag in preferred if tag != "*"]
    if not stated:
        return default
    return negotiate_locale(stated, list(LANGUAGES), sep="_") or "en"


def locale_name(language: str) -> str:
    return Locale.parse(language).get_display_name(language) or language
