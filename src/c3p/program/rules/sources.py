"""Sources said to people: the reference files the data was compiled from, named in words.

Seed records cite their sources down to the compiler's files (``reference/jcm-facts.md §7``,
``computed from partner_places.csv``). Those file names mean nothing to a reader and name the
server's internals, so the views people read say them in words; the records (and exports) keep them.
"""

from __future__ import annotations

import re

FILE_REFERENCE = re.compile(r"(?<![\w/.-])(?:[\w-]+/)*([\w-]+)\.(?:csv|md|yaml|yml|json|txt|xlsx)\b")
#: reference files whose stem does not read well as words
NAMES = {
    "README": "the compiler's reference notes",
    "GLOSSARY": "the program glossary",
    "jcm-facts": "the JCM fact sheet",
}


def readable(text: str) -> str:
    """``text`` with each file reference said in words.

    >>> readable("brochure BOX 1; reference/jcm-facts.md §6; computed from partner_places.csv")
    'brochure BOX 1; the JCM fact sheet §6; computed from the partner places table'
    """
    return FILE_REFERENCE.sub(lambda found: NAMES.get(found[1]) or f"the {_words(found[1])} table", text)


def _words(stem: str) -> str:
    return re.sub(r"[_-]+", " ", stem).strip()
