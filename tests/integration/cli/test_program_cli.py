"""The registry commands, run through the CLI runner on real databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from c3p.cli import app
from c3p.db.database import Database
from c3p.program.export import dataset_records
from c3p.program.seed import read_seed
from c3p.program.seed_loader import init_database
from tests.support.cli import run_c3p

runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.sqlite3'}"


def test_db_init_is_idempotent(sqlite_url: str) -> None:
    first = invoke("db", "init", "--db", sqlite_url)
    assert first.exit_code == 0 and "Loaded" in first.output
    again = invoke("db", "init", "--db", sqlite_url)
    assert again.exit_code == 0 and "up to date" in again.output


def test_stats_and_projects_list_as_json(sqlite_url: str) -> None:
    stats = json.loads(invoke("stats", "--db", sqlite_url, "--format", "json").output)
    assert stats["jcm_partner_countries"] == sum(i.record.jcm_partner_order is not None for i in read_seed().countries)
    listed = json.loads(
        invoke("projects", "list", "--db", sqlite_url, "--year", "2025", "--country", "VNM", "--format", "json").output
    )
    assert listed["total"] == len(listed["items"]) > 0
    assert all(any(c["iso3"] == "VNM" for c in p["countries"]) for p in listed["items"])
    table = invoke("projects", "list", "--db", sqlite_url, "--year", "2025", "--country", "VNM")
    assert table.exit_code == 0 and f"{listed['total']} projects" in table.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("projects", "list", "--country", "VIETNAM"), "country"),
        (("stats", "--format", "yaml"), "--format"),
        (("import", "does-not-exist.json"), "does not exist"),
    ],
)
def test_bad_input_is_a_clean_error(sqlite_url: str, args: tuple[str, ...], message: str) -> None:
    result = runner.invoke(app, [*args, "--db", sqlite_url])
    assert result.exit_code != 0
    assert message in (result.output + str(result.exception))
    assert "Traceback" not in result.output


@pytest.mark.parametrize("export_format", ["json", "csv", "xlsx"])
def test_export_reimports_into_an_identical_dataset(
    export_format: str, fresh_database: Database, tmp_path: Path, new_database_url
) -> None:  # type: ignore[no-untyped-def]
    init_database(fresh_database)
    target = tmp_path / ("export" if export_format == "csv" else f"export.{export_format}")
    assert invoke("export", str(target), "--format", export_format, "--db", fresh_database.url).exit_code == 0
    copy_url = new_database_url("sqlite")
    result = invoke("import", str(target), "--db", copy_url)
    assert result.exit_code == 0, result.output
    copy = Database(copy_url)
    with fresh_database.reading() as original, copy.reading() as imported:
        assert dataset_records(imported) == dataset_records(original)
    copy.dispose()


def test_geojson_export_holds_every_partnership(sqlite_url: str, tmp_path: Path) -> None:
    target = tmp_path / "map.geojson"
    assert invoke("export", str(target), "--format", "geojson", "--db", sqlite_url).exit_code == 0
    features = json.loads(target.read_text(encoding="utf-8"))["features"]
    slugs = {f["properties"]["slug"] for f in features if f["properties"]["kind"] == "partnership"}
    assert slugs == {item.record.slug for item in read_seed().partnerships}


def test_a_broken_export_is_refused_and_changes_nothing(sqlite_url: str, tmp_path: Path) -> None:
    target = tmp_path / "export.json"
    invoke("export", str(target), "--db", sqlite_url)
    document = json.loads(target.read_text(encoding="utf-8"))
    document["records"]["projects"][3]["fiscal_year"] = "last year"
    target.write_text(json.dumps(document), encoding="utf-8")
    database = Database(sqlite_url)
    with database.reading() as session:
        before = dataset_records(session)
    result = runner.invoke(app, ["import", str(target), "--db", sqlite_url])
    assert result.exit_code != 0
    assert (
        "projects" in str(result.exception) and ":4" in str(result.exception) and "fiscal_year" in str(result.exception)
    )
    with database.reading() as session:
        assert dataset_records(session) == before


def test_an_error_is_one_unwrapped_line_with_its_text_as_given() -> None:
    """Scripts grep error lines: a narrow terminal must not wrap them, and ``[...]`` is text, not markup."""
    serial = "XX-[bad]-" + "9" * 60
    done = run_c3p("registry", "holder-of", serial, environment={"COLUMNS": "40"})
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("Error: ") and f"'{serial}' is not a credit serial" in line


@pytest.mark.parametrize(
    ("environment", "said"),
    [
        ({"C3P_PORT": "70000"}, ["setting C3P_PORT ('70000'): input should be less than or equal to 65535"]),
        (
            {"C3P_PORT": "abc", "C3P_SIGN_IN_LOCKOUT": "soon"},
            ["setting C3P_PORT ('abc'): input should be a valid integer", "setting C3P_SIGN_IN_LOCKOUT ('soon')"],
        ),
        ({"C3P_ATTACHMENT_EXTENSIONS": "pdf"}, ["setting C3P_ATTACHMENT_EXTENSIONS is written in JSON"]),
        ({"C3P_SESSION_LIFETIME": "-PT1H"}, ["setting C3P_SESSION_LIFETIME ('-PT1H'): input should be greater than 0"]),
        ({"C3P_ATTACHMENT_MAX_BYTES": "-1"}, ["setting C3P_ATTACHMENT_MAX_BYTES ('-1'): input should be greater"]),
        (
            {"C3P_DEFAULT_LANGUAGE": "fr"},
            ["setting C3P_DEFAULT_LANGUAGE ('fr'): value error, the portal speaks ja or en"],
        ),
    ],
)
def test_a_setting_that_is_not_valid_is_named_in_one_line(
    sqlite_url: str, environment: dict[str, str], said: list[str]
) -> None:
    """A bad environment variable stops the command before it starts, naming the variable and its rule."""
    done = run_c3p("stats", "--db", sqlite_url, environment=environment)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("Error: ") and all(part in line for part in said)
