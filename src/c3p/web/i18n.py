"""Languages of the portal: gettext catalogs managed with Babel, chosen per request.

Message catalogs live as reviewable ``.po`` files under ``web/locale``; they are compiled in
memory at start-up (no build step, no generated files in the repository). The language of a
request comes from ``?lang=``, then the ``lang`` cookie, then ``Accept-Language``.
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from starlette.requests import Request

from c3p.messages import Message

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("ja", "en")
COOKIE = "lang"


@lru_cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of ``language`` (English text is the message id itself)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def choose_language(request: Request, default: str) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(COOKIE)
    if asked in LANGUAGES:
        return asked
    header = request.headers.get("accept-language", "")
    preferred = [part.split(";")[0].strip().replace("-", "_") for part in header.split(",") if part.strip()]
    return negotiate_locale(preferred, list(LANGUAGES), sep="_") or default


def locale_name(language: str) -> str:
    return Locale.parse(language).get_display_name(language) or language


def translate(message: Message | str, language: str) -> str:
    """A message made in Python (marked with ``N_``) in ``language``."""
    if isinstance(message, str):
        return translations(language).gettext(message)
    return message.render(translations(language).gettext, language)
