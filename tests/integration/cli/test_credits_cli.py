"""``c3p registry`` through the CLI runner on both backends: the whole cycle from a monitoring
record to a retirement, JSON output, clean refusals, and ``verify`` failing on tampering."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from c3p.cli import app
from c3p.db.database import Database
from c3p.errors import C3PError, Conflict, Forbidden
from c3p.program.seed_loader import init_database
from c3p.settings import Settings
from tests.support.accounts import create_user
from tests.support.credits import TPE, create_jcm_project, create_organization, monitoring_data

runner = CliRunner()


def invoke(url: str, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [*args, "--db", url])


def ok(url: str, *args: str) -> str:
    result = invoke(url, *args)
    assert result.exit_code == 0, (result.output, result.exception)
    return str(result.output)


@pytest.fixture
def url(fresh_database: Database, tmp_path: Path) -> str:
    init_database(fresh_database)
    for org in ("moej", "acme-vn"):
        create_user(fresh_database, f"staff@{org}.example.org", organization=org)
    return fresh_database.url


def test_the_cycle_from_monitoring_data_to_a_retirement(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("C3P_DATA_DIR", str(tmp_path / "data"))
    settings = Settings(data_dir=tmp_path / "data")
    create_jcm_project(Database(url), settings, tpe=None)
    with Database(url).unit_of_work() as session:
        create_organization(session, TPE, "tpe")
    ok(url, "pipeline", "assign-verifier", "vn-007", TPE)
    files, calculation = monitoring_data(tmp_path, 1000, dt.date(2025, 1, 1), dt.date(2025, 3, 31))
    params = tmp_path / "params.json"
    params.write_text(json.dumps(calculation.params))
    jp = json.loads(
        ok(
            url,
            "registry",
            "open-account",
            "--registry",
            "JPN",
            "--holder",
            "moej",
            "--kind",
            "government_holding",
            "--format",
            "json",
        )
    )["number"]
    vn = json.loads(
        ok(url, "registry", "open-account", "--registry", "VNM", "--holder", "acme-vn", "--format", "json")
    )["number"]
    submit = ("registry", "report-submit", "--project", "vn-007", "-d", str(files[0].path), "-p", str(params))
    report = json.loads(ok(url, *submit, "--format", "json"))
    assert (report["period_number"], report["host_country"], report["emission_reductions_tco2"]) == (1, "VNM", 1000)
    again = invoke(url, *submit)
    assert isinstance(again.exception, Conflict) and f"monitoring report {report['id']}" in again.exception.detail
    ok(url, "registry", "report-verify", str(report["id"]), "--verified", "950", "--opinion", "fairly stated")
    notice = tmp_path / "notice.json"
    notice.write_text(
        json.dumps(
            {
                "notification_ref": "JC-1",
                "report_id": report["id"],
                "credits": 900,
                "allocation": [{"account": jp, "credits": 500}, {"account": vn, "credits": 400}],
            }
        )
    )
    issued = json.loads(ok(url, "registry", "issue", str(notice), "--format", "json"))
    assert issued["serials"][0] == "JCM-JPN-VNM-VN007-001-000000000001-000000000500"
    assert json.loads(ok(url, "registry", "issue", str(notice), "--format", "json"))["id"] == issued["id"]
    moved = json.loads(ok(url, "registry", "transfer", vn, jp, "-n", "40", "--format", "json"))
    assert moved["status"] == "pending"
    pending = json.loads(ok(url, "registry", "pending", "--format", "json"))
    assert pending[0]["key"] == moved["key"]
    ok(url, "registry", "accept", moved["key"])
    ok(url, "registry", "retire", jp, "-n", "25", "--purpose", "NDC", "--beneficiary", "Government of Japan")
    balance = json.loads(ok(url, "registry", "balance", jp, "--format", "json"))
    assert balance["balance_credits"] == 515
    holder = json.loads(ok(url, "registry", "holder-of", "JCM-JPN-VNM-VN007-001-000000000500", "--format", "json"))
    assert holder["account_kind"] == "retirement"
    assert "OK:" in ok(url, "registry", "verify")
    rows = json.loads(ok(url, "registry", "article6", "--format", "json"))
    assert rows == []  # the notification did not authorize the credits
    accounts = json.loads(ok(url, "registry", "accounts", "--format", "json"))
    assert {a["number"] for a in accounts} >= {jp, vn}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("transfer", "JPN-G-000404", "JPN-G-000006", "-n", "1"), "no account JPN-G-000404"),
        (("holder-of", "JCM-XYZ"), "is not a credit serial"),
        (("set-status", "JPN-G-000404", "closed"), "no account"),
        (("issue", "missing.json"), "no such file"),
    ],
)
def test_bad_input_is_refused_clearly(url: str, args: tuple[str, ...], message: str) -> None:
    result = invoke(url, "registry", *args)
    assert isinstance(result.exception, C3PError), result.output
    assert message in result.exception.detail


@pytest.mark.parametrize("credits", ["0", "-5", "1000000000001"])
def test_an_amount_out_of_bounds_is_refused_before_anything_runs(url: str, credits: str) -> None:
    result = invoke(url, "registry", "transfer", "JPN-G-000005", "JPN-G-000006", "-n", credits)
    assert result.exit_code == 2, result.output
    assert "--credits" in result.output


def test_a_user_without_the_role_is_refused(url: str) -> None:
    result = runner.invoke(
        app,
        [
            "--as",
            "staff@moej.example.org",
            "registry",
            "open-account",
            "--registry",
            "JPN",
            "--holder",
            "moej",
            "--db",
            url,
        ],
    )
    assert isinstance(result.exception, Forbidden)


def test_verify_exits_1_on_a_tampered_journal(url: str, fresh_database: Database) -> None:
    ok(url, "registry", "open-account", "--registry", "JPN", "--holder", "moej")
    with fresh_database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE credit_journal DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER credit_journal_no_update"))
        connection.execute(text("UPDATE credit_journal SET hash = 'x' WHERE seq = 2"))
    result = invoke(url, "registry", "verify", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.output)["first_bad_entry"] == 2


def test_verify_against_a_saved_checkpoint_catches_a_resealed_chain(
    url: str, fresh_database: Database, tmp_path: Path
) -> None:
    from tests.support.tampering import reseal_from

    for holder in ("moej", "acme-vn"):
        ok(url, "registry", "open-account", "--registry", "JPN", "--holder", holder)
    saved = tmp_path / "checkpoint.json"
    saved.write_text(ok(url, "registry", "checkpoint"))
    signed = json.loads(saved.read_text())
    assert signed["format"] == "c3p-checkpoint-1" and signed["head_seq"] > 2
    assert "extends the saved checkpoint" in ok(url, "registry", "verify", "--checkpoint", str(saved))

    reseal_from(fresh_database, 2, lambda entry: entry.update(actor="mallory"))
    assert "OK:" in ok(url, "registry", "verify")  # the re-sealed chain holds together by itself
    result = invoke(url, "registry", "verify", "--checkpoint", str(saved))
    assert result.exit_code == 1
    assert f"checkpoint of entry {signed['head_seq']}" in result.output and "rewritten" in result.output


def test_verify_refuses_a_hand_edited_checkpoint_file_clearly(url: str, tmp_path: Path) -> None:
    ok(url, "registry", "open-account", "--registry", "JPN", "--holder", "moej")
    signed = json.loads(ok(url, "registry", "checkpoint"))
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps({**signed, "head_hash": "not hex"}))
    result = invoke(url, "registry", "verify", "--checkpoint", str(edited))
    assert isinstance(result.exception, C3PError), result.output  # the entry point prints it as a message
    assert "head_hash must be 64 lowercase hexadecimal digits" in result.exception.detail
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**signed, "head_seq": signed["head_seq"] - 1}))
    result = invoke(url, "registry", "verify", "--checkpoint", str(forged))
    assert result.exit_code == 1 and "signature" in result.output
