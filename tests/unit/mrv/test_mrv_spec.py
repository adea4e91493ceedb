"""A specification that breaks a rule is refused with its line and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from c3p.errors import DataFileError
from c3p.mrv.catalog import SPEC_DIR
from c3p.mrv.spec import load_methodology

GOOD = (SPEC_DIR / "MN_AM003_ver2.0.yaml").read_text(encoding="utf-8")


def broken(tmp_path: Path, old: str, new: str) -> Path:
    assert old in GOOD
    path = tmp_path / "spec.yaml"
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_good_file_loads():
    assert load_methodology(SPEC_DIR / "MN_AM003_ver2.0.yaml").id == "MN_AM003"


def test_undefined_symbol(tmp_path):
    path = broken(tmp_path, "expression: sum(EG_i,p * EF_RE,i)", "expression: sum(EG_i,p * EF_X)")
    with pytest.raises(DataFileError, match="'EF_X' is not defined") as info:
        load_methodology(path)
    assert info.value.line == line_of(path.read_text(), "sum(EG_i,p * EF_X)")


def test_inconsistent_units(tmp_path):
    path = broken(tmp_path, "expression: sum(EG_i,p * EF_RE,i)", "expression: sum(EG_i,p + EF_RE,i)")
    with pytest.raises(DataFileError, match="different dimensions") as info:
        load_methodology(path)
    assert info.value.line == line_of(path.read_text(), "sum(EG_i,p + EF_RE,i)")


def test_declared_unit_must_match(tmp_path):
    path = broken(tmp_path, "expression: sum(EG_i,p * EF_RE,i)", "expression: sum(EG_i,p)")
    with pytest.raises(DataFileError, match="gives MWh but the declared unit is tCO2"):
        load_methodology(path)


def test_unknown_key(tmp_path):
    path = broken(tmp_path, "sectoral_scope: 1", "sectoral_scope: 1\ncolour: blue")
    with pytest.raises(DataFileError, match="colour") as info:
        load_methodology(path)
    assert info.value.line == line_of(path.read_text(), "colour")


def test_unknown_unit(tmp_path):
    path = broken(tmp_path, "unit: kW\n", "unit: furlongs_per_blorb\n")
    with pytest.raises(DataFileError, match="unknown unit"):
        load_methodology(path)


def test_cycle(tmp_path):
    path = broken(tmp_path, 'expression: "0"', "expression: ER_p")
    with pytest.raises(DataFileError, match="refers to itself"):
        load_methodology(path)


def test_unknown_factor(tmp_path):
    path = broken(tmp_path, "[MNG-captive, MNG-grid]", "[MNG-captive, MNG-nowhere]")
    with pytest.raises(DataFileError, match="unknown emission factor"):
        load_methodology(path)


def test_syntax_error_names_the_character(tmp_path):
    path = broken(tmp_path, "expression: RE_p - PE_p", "expression: RE_p - - * PE_p")
    with pytest.raises(DataFileError, match="at character 10"):
        load_methodology(path)
