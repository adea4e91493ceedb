"""The corresponding-adjustment gap view on both backends: through the query, the CLI and real HTTP.

The credits are issued and retired through the real service, so the journal's entries carry
this calendar year; each expected figure is worked from the amounts moved here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from c3p.accounts.service import members as account_svc
from c3p.cli import app
from c3p.credits import service
from c3p.credits.adjustments import adjustment_gap
from c3p.credits.rules.adjustments import Contributions, Method, NdcChoice, NdcPeriod
from c3p.db.database import Database
from c3p.errors import C3PError, InvalidInput
from c3p.program.seed_loader import init_database
from c3p.settings import Settings
from tests.conftest import LiveServer
from tests.support.accounts import create_token, create_user
from tests.support.credits import OPERATOR, Registry, create_issuance, create_registry

THIS_YEAR = dt.datetime.now(dt.UTC).year
runner = CliRunner()


def moved(registry: Registry) -> None:
    """600 credits first transferred from Viet Nam into Japan's registry; 100 of them used by Japan."""
    create_issuance(registry, {registry.jp_gov: 600, registry.vn_pp: 400}, authorized=True)
    with registry.database.unit_of_work() as session:
        service.retire(session, OPERATOR, registry.jp_gov, "NDC", "GoJ", 100)


def averaging(contributions: Contributions | None = None) -> dict[str, NdcChoice]:
    span = NdcPeriod(
        first_year=2021, last_year=2030, target_year=2030, method=Method.averaging, source="t", assumed=True
    )
    return {"VNM": NdcChoice(country="VNM", periods=(span,), contributions=contributions)}


def test_annual_method_due_equals_recorded_until_a_record_goes_missing(registry: Registry) -> None:
    moved(registry)
    with registry.database.reading() as session:
        host = {r.year: r for r in adjustment_gap(session, "VNM").rows}
        user = {r.year: r for r in adjustment_gap(session, "jpn").rows}
    assert (host[THIS_YEAR].due_credits, host[THIS_YEAR].recorded_credits, host[THIS_YEAR].gap_credits) == (600, 600, 0)
    assert (user[THIS_YEAR].due_credits, user[THIS_YEAR].recorded_credits, user[THIS_YEAR].gap_credits) == (
        -100,
        -100,
        0,
    )
    assert host[THIS_YEAR].omge_cancellation_credits is None  # Viet Nam did not opt in
    with registry.database.unit_of_work() as session:  # a record lost: the journal still proves the transfer
        session.execute(text("DELETE FROM corresponding_adjustments WHERE country = 'VNM'"))
    with registry.database.reading() as session:
        row = adjustment_gap(session, "VNM", THIS_YEAR).rows[0]
    assert (row.first_transferred_credits, row.recorded_credits, row.gap_credits) == (600, 0, 600)


def test_averaging_spreads_the_first_transfer_over_the_elapsed_years(registry: Registry) -> None:
    moved(registry)
    opted_in = Contributions(
        omge_cancellation_pct=Decimal(2), share_of_proceeds_pct=Decimal(5), source="t", assumed=True
    )
    with registry.database.reading() as session:
        gap = adjustment_gap(session, "VNM", choices=averaging(opted_in))
    elapsed = THIS_YEAR - 2021 + 1
    average = -(-600 // elapsed)  # 600 over the years elapsed since 2021, rounded up
    assert [r.due_credits for r in gap.rows] == [average] * elapsed
    assert sum(r.gap_credits for r in gap.rows) == average * elapsed - 600  # 0 <= this < elapsed
    this_year = gap.rows[-1]
    assert (this_year.omge_cancellation_credits, this_year.share_of_proceeds_credits) == (12, 30)  # 2%, 5% of 600


def test_bad_questions_are_refused_by_name(registry: Registry) -> None:
    with registry.database.reading() as session:
        with pytest.raises(C3PError, match="FRA has no NDC period"):
            adjustment_gap(session, "FRA")
        with pytest.raises(InvalidInput, match="2019 is outside the NDC periods of VNM"):
            adjustment_gap(session, "VNM", 2019)
        with pytest.raises(InvalidInput, match="2029 has not begun"):
            adjustment_gap(session, "VNM", 2029, as_of_year=2026)


def test_the_cli_shows_the_gap_and_reads_a_reviewed_methods_file(registry: Registry, tmp_path: Path) -> None:
    moved(registry)
    url = registry.database.url
    result = runner.invoke(app, ["registry", "adjustments", "--country", "VNM", "--format", "json", "--db", url])
    assert result.exit_code == 0, result.output
    rows = {r["year"]: r for r in json.loads(result.output)["rows"]}
    assert rows[THIS_YEAR]["due_credits"] == 600 and rows[THIS_YEAR]["gap_credits"] == 0
    reviewed = tmp_path / "methods.yaml"
    reviewed.write_text(
        "- country: VNM\n  periods:\n"
        f"    - {{first_year: {THIS_YEAR}, last_year: 2030, target_year: 2030, method: multi_year,"
        " source: reviewed, assumed: false}\n"
        "  contributions: {omge_cancellation_pct: 2, source: reviewed, assumed: false}\n",
        encoding="utf-8",
    )
    table = runner.invoke(app, ["registry", "adjustments", "--country", "VNM", "--methods", str(reviewed), "--db", url])
    assert table.exit_code == 0, table.output
    assert "multi_year" in table.output and " 12 " in table.output  # 2% of 600 to cancel
    for args, message in (
        (["--country", "FRA"], "FRA has no NDC period"),
        (["--country", "VNM", "--year", "2019"], "2019 is outside the NDC periods of VNM"),
        (["--country", "VNM", "--methods", str(tmp_path / "none.yaml")], "cannot be read"),
    ):
        refused = runner.invoke(app, ["registry", "adjustments", *args, "--db", url])
        assert isinstance(refused.exception, C3PError) and message in refused.exception.detail


@pytest.fixture(scope="module")
def server(backend: str, new_database_url, tmp_path_factory) -> Iterator[tuple[LiveServer, dict[str, str]]]:  # type: ignore[no-untyped-def]
    from c3p.web.app import create_app

    database = Database(new_database_url(backend))
    init_database(database)
    moved(create_registry(database))
    tokens = {}
    for email, role, org in (
        ("admin-jp@example.org", "registry_administrator", "moej"),
        ("admin-vn@example.org", None, "vn-mone"),
        ("member@example.org", None, "moej"),
        ("platform@example.org", "administrator", "moej"),
    ):
        create_user(database, email, *([role] if role else []), organization=org)
        tokens[email.split("@")[0]] = create_token(database, email, "credits.*")
    with database.unit_of_work() as session:  # a registry administrator of Viet Nam only
        user = account_svc.user_by_email(session, "admin-vn@example.org")
        account_svc.grant(session, OPERATOR, user, "registry_administrator", "VNM")  # type: ignore[arg-type]
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), database_url=database.url)
    live = LiveServer(create_app(settings, database), settings.data_dir).start()
    yield live, tokens
    live.stop()
    database.dispose()


def test_the_api_serves_registry_administrators_and_explains_refusals(server) -> None:  # type: ignore[no-untyped-def]
    live, tokens = server
    base = live.url + "/api/v1/registry/adjustments"
    admin = {"authorization": f"Bearer {tokens['admin-vn']}"}
    found = httpx.get(f"{base}/VNM", headers=admin, timeout=30)
    assert found.status_code == 200, found.text
    row = next(r for r in found.json()["rows"] if r["year"] == THIS_YEAR)
    assert (row["first_transferred_credits"], row["due_credits"], row["gap_credits"]) == (600, 600, 0)
    assert found.json()["periods"][0]["assumed"] is True
    japan = {"authorization": f"Bearer {tokens['admin-jp']}"}
    used = httpx.get(f"{base}/JPN?year={THIS_YEAR}", headers=japan, timeout=30).json()["rows"]
    assert [(r["used_credits"], r["due_credits"]) for r in used] == [(100, -100)]
    assert httpx.get(f"{base}/VNM", headers=japan, timeout=30).status_code == 403  # another country's registry
    assert httpx.get(f"{base}/VNM", timeout=30).status_code == 401
    member = {"authorization": f"Bearer {tokens['member']}"}
    assert httpx.get(f"{base}/VNM", headers=member, timeout=30).status_code == 403
    for path, status, words in (("/FRA", 404, "FRA has no NDC period"), ("/VNM?year=2019", 422, "2019 is outside")):
        refused = httpx.get(base + path, headers={"authorization": f"Bearer {tokens['platform']}"}, timeout=30)
        assert refused.status_code == status and refused.headers["content-type"] == "application/problem+json"
        assert words in refused.json()["detail"]
