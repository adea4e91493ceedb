"""The translation catalogs: one ``.po`` file per language, compiled in memory when first used.

The catalogs hold the portal's template strings and the messages made in Python
(:mod:`c3p.messages`), so pages, e-mails and notifications say the same thing in the same
words. They live as reviewable ``.po`` files under ``web/locale`` (managed with Babel); no
compiled files are kept in the repository. Compiling a catalog takes a tenth of a second, so
the compiled form is kept in the user's cache folder under the hash of its ``.po`` file:
an edited catalog is compiled afresh, an unchanged one is read back.
"""

from __future__ import annotations

import gettext
import hashlib
import io
from functools import lru_cache
from pathlib import Path

from c3p.messages import Message
from c3p.user_cache import keep, user_cache_folder

LOCALE_DIR = Path(__file__).parent / "web" / "locale"
LANGUAGES = ("ja", "en")


@lru_cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of ``language`` (English text is the message id itself)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return gettext.NullTranslations()
    source = path.read_bytes()
    folder = user_cache_folder("catalogs")
    kept = folder / f"{language}-{hashlib.sha256(source).hexdigest()[:32]}.mo" if folder else None
    if kept is not None and kept.is_file():
        compiled = kept.read_bytes()
    else:
        compiled = compile_catalog(source, language)
        if kept is not None:
            keep(kept, compiled)
    return gettext.GNUTranslations(io.BytesIO(compiled))


def compile_catalog(source: bytes, language: str) -> bytes:
    """The ``.mo`` form of a ``.po`` catalog, as gettext reads it."""
    from babel.messages.mofile import write_mo  # here: a start with a compiled catalog skips Babel's reader
    from babel.messages.pofile import read_po

    buffer = io.BytesIO()
    write_mo(buffer, read_po(io.BytesIO(source), locale=language))
    return buffer.getvalue()


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
