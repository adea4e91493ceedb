"""The translation catalogs: one ``.po`` file per language, compiled in memory when first used.

The catalogs hold the portal's template strings and the messages made in Python
(:mod:`c3p.messages`), so pages, e-mails and notifications say the same thing in the same
words. They live as reviewable ``.po`` files under ``web/locale`` (managed with Babel); no
compiled files are kept in the repository.
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from c3p.messages import Message

LOCALE_DIR = Path(__file__).parent / "web" / "locale"
LANGUAGES = ("ja", "en")


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


def translate(message: Message | str, language: str) -> str:
    """A message made in Python (marked with ``N_``) in ``language``."""
    if isinstance(message, str):
        return translations(language).gettext(message)
    return message.render(translations(language).gettext, language)


def language_of(message: Message | str, language: str) -> str:
    """The language ``message`` is said in on a ``language`` page: English when the catalog lacks it.

    Messages that only developers see (and the words of libraries) stay English, and the page
    marks them ``lang="en"`` so screen readers pronounce them right.
    """
    text = message.text if isinstance(message, Message) else message
    return language if language == "en" or translations(language).gettext(text) != text else "en"
