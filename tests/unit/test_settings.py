"""How a setting that breaks its rule is named (the commands' one-line errors are tested in tests/integration/cli)."""

from __future__ import annotations

import pytest

from c3p.settings import _problem


def test_a_secret_that_breaks_a_rule_is_named_without_its_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C3P_ADMIN_PASSWORD", "hunter2")
    found = {"loc": ("admin_password",), "input": "hunter2", "msg": "String should have at least 12 characters"}
    said = _problem(found)
    assert said == "setting C3P_ADMIN_PASSWORD: string should have at least 12 characters"


def test_a_value_is_repeated_as_written_not_as_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("c3p_session_lifetime", "-PT1H")  # the variables' names are read in any case
    found = {"loc": ("session_lifetime",), "input": "parsed", "msg": "Input should be greater than 0 seconds"}
    assert _problem(found) == "setting C3P_SESSION_LIFETIME ('-PT1H'): input should be greater than 0 seconds"
