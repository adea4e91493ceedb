"""The portal's message catalogs: every UI string (templates, and Python marked N_) has a Japanese translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import c3p.catalogs
from c3p.catalogs import LANGUAGES, LOCALE_DIR, translations

REPO = Path(__file__).resolve().parents[3]
SOURCE_DIR = REPO / "src" / "c3p"


def template_msgids() -> set[str]:
    """Message ids found by the same extraction as ``pybabel extract -F babel.cfg src/c3p``."""
    with (REPO / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = set()
    for _filename, _line, message, _comments, _context in extract_from_dir(
        SOURCE_DIR, method_map=method_map, options_map=options_map
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(language: str):  # type: ignore[no-untyped-def]
    """The catalog as Babel reads it; a malformed entry (a msgid without its msgstr) fails the read."""
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language, abort_invalid=True)


def test_templates_have_messages() -> None:
    assert {"Home", "Map", "Projects", "Partner places", "Skip to main content"} <= template_msgids()


def test_python_messages_are_extracted() -> None:
    """Eligibility reasons and notifications are marked with ``N_`` and reach the catalogs."""
    assert {"Name at least one target field.", "Call %(call)s is open"} <= template_msgids()


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_parses(language: str) -> None:
    assert catalog(language).locale is not None
    assert translations(language).gettext("Home")


def test_every_template_message_has_a_japanese_translation() -> None:
    ja = catalog("ja")
    untranslated = sorted(
        msgid for msgid in template_msgids() if not (ja.get(msgid) and ja[msgid].string and not ja[msgid].fuzzy)
    )
    assert untranslated == []


def test_catalogs_hold_no_stale_messages() -> None:
    """The .po files are in sync with the templates (update with pybabel, see babel.cfg)."""
    current = template_msgids()
    for language in LANGUAGES:
        stale = sorted(m.id for m in catalog(language) if m.id and m.id not in current)
        assert stale == [], language


def test_japanese_placeholders_match() -> None:
    ja = catalog("ja")
    for message in ja:
        if message.id and message.string:
            for name in set(re.findall(r"%\(\w+\)s", message.id)) | set(re.findall(r"%\(\w+\)s", message.string)):
                assert (name in message.id) == (name in message.string), message.id


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_is_a_valid_format(language: str) -> None:
    """Templates %-format every text (Jinja newstyle gettext), so a lone % must be written %%."""
    for message in catalog(language):
        for text in (message.id, message.string):
            if text:
                names = re.findall(r"%\((\w+)\)", text)
                try:
                    text % dict.fromkeys(names, "x")
                except (ValueError, TypeError) as error:
                    pytest.fail(f"{language}: {text!r}: {error}")


def test_glossary_names_in_japanese() -> None:
    ja = translations("ja")
    assert ja.gettext("City-to-City Collaboration Program for Zero-Carbon Society (C3P)") == (
        "脱炭素社会実現のための都市間連携事業 (C3P)"
    )
    assert ja.gettext("Partner places") == "パートナー都市"
    assert ja.gettext("Partnerships") == "都市間連携"
    assert ja.gettext("year %(year)s of %(years)s") % {"year": 2, "years": 3} == "3年計画の2年目"


@pytest.fixture
def catalog_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The Japanese catalog copied to a folder of its own, with an empty user cache folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    po = tmp_path / "locale" / "ja" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_bytes((LOCALE_DIR / "ja" / "LC_MESSAGES" / "messages.po").read_bytes())
    monkeypatch.setattr(c3p.catalogs, "LOCALE_DIR", tmp_path / "locale")
    translations.cache_clear()
    yield po
    translations.cache_clear()


def test_a_compiled_catalog_is_kept_and_an_edited_one_compiled_afresh(catalog_copy: Path) -> None:
    assert translations("ja").gettext("Map") == "地図"
    kept = list((catalog_copy.parents[3] / "cache" / "c3p" / "catalogs").glob("ja-*.mo"))
    assert len(kept) == 1

    translations.cache_clear()
    assert translations("ja").gettext("Map") == "地図"  # read back: still one compiled file
    assert len(list(kept[0].parent.glob("ja-*.mo"))) == 1

    text = catalog_copy.read_text(encoding="utf-8")
    edited = text.replace('msgid "Map"\nmsgstr "地図"', 'msgid "Map"\nmsgstr "地図（改）"')
    catalog_copy.write_text(edited, encoding="utf-8")
    translations.cache_clear()
    assert translations("ja").gettext("Map") == "地図（改）"
    assert len(list(kept[0].parent.glob("ja-*.mo"))) == 2
