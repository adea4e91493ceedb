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


def test_text_that_is_not_yaml_is_refused_at_its_line(tmp_path):
    path = broken(tmp_path, "sectoral_scope: 1", "sectoral_scope: [1")
    with pytest.raises(DataFileError, match="not YAML") as info:
        load_methodology(path)
    assert info.value.line is not None
    assert info.value.line >= line_of(path.read_text(), "sectoral_scope: [1")


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


def test_japanese_text_without_its_source_is_refused(tmp_path):
    source_line = next(line for line in GOOD.splitlines() if line.startswith("ja_source:"))
    path = broken(tmp_path, source_line + "\n", "")
    with pytest.raises(DataFileError, match="ja_source"):
        load_methodology(path)


#: the English fields a methodology page shows as prose (titles and proponents are names)
PROSE = ("text", "description", "frequency", "source", "choice", "verification_note")


def _untranslated(data: object, where: str = "") -> list[str]:
    """Prose fields with no Japanese twin (URLs are addresses; bounds and QA/QC are not shown as prose)."""
    if isinstance(data, list):
        return [m for i, item in enumerate(data) for m in _untranslated(item, f"{where}[{i}]")]
    if not isinstance(data, dict):
        return []
    missing = [
        f"{where}.{key}"
        for key in PROSE
        if isinstance(data.get(key), str) and not data[key].startswith("http") and not data.get(f"{key}_ja")
    ]
    nested = [key for key in data if key not in ("bounds", "qaqc") and isinstance(data[key], dict | list)]
    return missing + [m for key in nested for m in _untranslated(data[key], f"{where}.{key}")]


@pytest.mark.parametrize("path", sorted(SPEC_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_packaged_methodology_reads_in_japanese(path: Path):
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert _untranslated(data) == []
    assert data["ja_source"]


def test_every_packaged_emission_factor_note_reads_in_japanese():
    from c3p.mrv.factors import default_registry

    factors = default_registry().all()
    assert [f.ref for f in factors if f.note and not f.note_ja] == []
    assert any(f.note_ja for f in factors)


def test_a_translation_leaves_the_digest_reports_recorded(tmp_path):
    """Monitoring reports record the specification's digest; the Japanese lines change no result."""
    ja_line = next(line for line in GOOD.splitlines() if line.lstrip().startswith("description_ja:"))
    retranslated = broken(tmp_path, ja_line, ja_line.replace('"', '"（改訂）', 1))
    assert load_methodology(retranslated).sha256 == load_methodology(SPEC_DIR / "MN_AM003_ver2.0.yaml").sha256
    changed = broken(tmp_path, "unit: MWh", "unit: kWh")
    assert load_methodology(changed).sha256 != load_methodology(SPEC_DIR / "MN_AM003_ver2.0.yaml").sha256
