"""``c3p registry statement`` through the CLI runner on both backends: table, JSON and CSV agree
with the live balance; bad periods and formats are clean errors; a stranger is refused."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from c3p.cli import app
from c3p.credits import service
from c3p.db.database import Database
from c3p.errors import Forbidden, InvalidInput
from tests.support.credits import OPERATOR, Registry, create_issuance, create_registry
from tests.support.workflow import create_person

runner = CliRunner()


@pytest.fixture
def registry(fresh_database: Database) -> Registry:
    fresh_database.upgrade()
    registry = create_registry(fresh_database)
    create_issuance(registry, {registry.jp_gov: 500, registry.vn_pp: 100})
    with fresh_database.unit_of_work() as session:
        service.transfer(session, OPERATOR, registry.jp_gov, registry.jp_pp, 120)
        service.retire(session, OPERATOR, registry.jp_gov, "NDC", "Government of Japan", 30)
    return registry


def run(registry: Registry, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["registry", "statement", *args, "--db", registry.database.url], env={"COLUMNS": "200"})


def test_the_statement_in_each_format(registry: Registry) -> None:
    found = json.loads(run(registry, registry.jp_gov, "--format", "json").output)
    assert [line["kind"] for line in found["lines"]] == ["issuance", "transfer", "retirement"]
    assert [line["balance_credits"] for line in found["lines"]] == [500, 380, 350]
    assert (found["opening_balance_credits"], found["closing_balance_credits"]) == (0, 350)
    assert found["lines"][1]["counterparty"] == registry.jp_pp

    rows = list(csv.DictReader(io.StringIO(run(registry, registry.jp_gov, "-f", "csv").output)))
    assert [r["kind"] for r in rows] == ["opening_balance", "issuance", "transfer", "retirement", "closing_balance"]
    assert rows[-1]["balance_credits"] == "350"

    table = run(registry, registry.jp_gov, "--from", "2000-01-01", "--to", "2999-12-31")
    assert table.exit_code == 0, table.output
    assert "opening 0 + in 500 - out 150 = closing 350" in table.output
    later = json.loads(run(registry, registry.jp_gov, "--from", "2999-01-01", "-f", "json").output)
    assert later["lines"] == [] and later["opening_balance_credits"] == 350


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2026-13-01"), "is not a date"),
        (("--from", "2026-05-02", "--to", "2026-05-01"), "after it ends"),
        (("--format", "xml"), "expected table, json or csv"),
    ],
)
def test_bad_input_is_a_clean_error(registry: Registry, args: tuple[str, ...], message: str) -> None:
    result = run(registry, registry.jp_gov, *args)
    assert isinstance(result.exception, InvalidInput) and message in result.exception.detail


def test_a_stranger_is_refused(registry: Registry) -> None:
    stranger = create_person(registry.database, None)
    holder = create_person(registry.database, None, organization="acme-jp")
    url = registry.database.url
    refused = runner.invoke(app, ["--as", stranger.email, "registry", "statement", registry.jp_pp, "--db", url])
    assert isinstance(refused.exception, Forbidden)
    own = runner.invoke(app, ["--as", holder.email, "registry", "statement", registry.jp_pp, "-f", "json", "--db", url])
    assert own.exit_code == 0 and json.loads(own.output)["closing_balance_credits"] == 120
