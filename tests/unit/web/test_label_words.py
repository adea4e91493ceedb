"""Every first-transfer definition an authorization may name is said in words on the public pages."""

from __future__ import annotations

import pytest

from c3p.catalogs import LANGUAGES
from c3p.credits.rules.authorizations import FirstTransfer
from c3p.web.pages.render import environment


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_first_transfer_definition_has_its_own_words(language: str) -> None:
    macros = environment(language).get_template("credits/_labels.html").module
    said = {str(d): str(macros.first_transfer_definition(str(d))).strip() for d in FirstTransfer}  # type: ignore[attr-defined]
    assert all(text and text != code for code, text in said.items()), said
    assert len(set(said.values())) == len(said)  # no two definitions read alike
    if language == "ja":
        assert not any("transferred" in text for text in said.values()), said
