"""``c3p registry article6-check`` on both backends, over the seeded three-year partnership.

Every registry and year passes (the reports' checks, and the first transfers and uses their
tables imply equal to those the journal proves and those recorded); a recorded adjustment added
by hand makes that country's year fail and the command exit 1; bad years are clean errors.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from c3p.cli import app
from c3p.db.database import Database
from c3p.errors import InvalidInput
from tests.support.article6_demo import FIRST_TRANSFERRED, YEARS, after_the_last_year, seeded
from tests.support.credits import Registry

runner = CliRunner()


@pytest.fixture
def demo(fresh_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    yield from seeded(fresh_database, tmp_path, monkeypatch)


def check(registry: Registry, *args: str):  # type: ignore[no-untyped-def]
    command = ["registry", "article6-check", *args, "--db", registry.database.url]
    with after_the_last_year():
        return runner.invoke(app, command, env={"COLUMNS": "220"})


def test_every_registry_and_year_passes(demo: Registry) -> None:
    result = check(demo, "--from", str(YEARS[0]), "--to", str(YEARS[-1]), "-f", "json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert [(r["country"], r["year"]) for r in found] == [(c, y) for y in YEARS for c in ("JPN", "VNM")]
    assert all(r["passed"] and not r["draft"] for r in found)
    assert [r["in_report"]["first_transferred"] for r in found if r["country"] == "VNM"] == [
        FIRST_TRANSFERRED[y] for y in YEARS
    ]
    table = check(demo, "--from", str(YEARS[0]), "--to", str(YEARS[-1]))
    assert table.exit_code == 0 and "FAILED" not in table.output and "mirror JPN: ok" in table.output


def test_a_recorded_adjustment_added_by_hand_fails_that_year(demo: Registry) -> None:
    with demo.database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO corresponding_adjustments (country, year, kind, credits, journal_seq) "
                "VALUES ('VNM', 2026, 'first_transfer', 7, 1)"
            )
        )
    result = check(demo, "--from", str(YEARS[0]), "--to", str(YEARS[-1]), "-f", "json")
    assert result.exit_code == 1
    failed = [(r["country"], r["year"]) for r in json.loads(result.output) if not r["passed"]]
    assert failed == [("VNM", 2026)]


@pytest.mark.parametrize(
    ("years", "message"),
    [(("--from", "2027", "--to", "2025"), "comes after"), (("--from", "2012"), "year must be a whole year from 2013")],
)
def test_bad_years_are_a_clean_error(demo: Registry, years: tuple[str, ...], message: str) -> None:
    result = check(demo, *years)
    assert isinstance(result.exception, InvalidInput) and message in result.exception.detail
