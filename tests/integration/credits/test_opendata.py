"""The open-data dump on both backends: every credit accounted for, valid against its published
schema, no holder named; the CAD Trust export lists each unit once and planted copies are found."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from sqlalchemy import event, select, text
from typer.testing import CliRunner

from c3p.cli import app
from c3p.credits import labels, opendata, service
from c3p.credits.rules.cadtrust import listed_twice, read_units
from c3p.credits.tables import FirstTransferTotal
from c3p.credits.verify import verify
from tests.support.credits import OPERATOR, Registry, create_issuance


def _dump(registry: Registry) -> opendata.OpenData:
    create_issuance(registry, {registry.jp_gov: 600, registry.vn_gov: 400}, authorized=True)
    with registry.database.unit_of_work() as session:
        service.transfer(session, OPERATOR, registry.jp_gov, registry.jp_pp, 50)
        service.retire(session, OPERATOR, registry.jp_pp, "NDC", "Government of Japan", 20)
        service.cancel(session, OPERATOR, registry.vn_gov, 5, reason="test")
    with registry.database.reading() as session:
        return opendata.open_data(session)


def test_every_issued_credit_is_in_one_block_and_the_dump_fits_its_schema(registry: Registry) -> None:
    data = _dump(registry)
    by_status: dict[str, int] = {}
    for block in data.blocks:
        by_status[block.status] = by_status.get(block.status, 0) + block.credits
    assert sum(by_status.values()) == sum(i.credits for i in data.issuances) == 1000
    assert (by_status["retired"], by_status["cancelled"]) == (20, 5)
    assert [r.credits for r in data.retirements] == [20]
    assert data.projects[0].issued_credits == 1000 and data.projects[0].retired_credits == 20
    assert all("article6_authorized" in block.labels for block in data.blocks)
    assert any("first_transferred" in block.labels for block in data.blocks if block.status == "retired")
    ids = [item.id for part in (data.projects, data.issuances, data.retirements, data.blocks) for item in part]
    assert len(ids) == len(set(ids))
    document = data.model_dump(mode="json")
    jsonschema.Draft202012Validator(opendata.schema()).validate(document)
    text = json.dumps(document)
    assert not any(number in text for number in registry.holding), "the dump names no account"


def test_the_cadtrust_units_list_each_credit_once_and_planted_copies_are_found(registry: Registry) -> None:
    data = _dump(registry)
    units = [u.model_dump() for u in opendata.cadtrust(data, "c3p", "https://registry.example").units]
    assert sum(u["unitCount"] for u in units) == 1000
    assert {u["unitStatus"] for u in units} == {"Held", "Retired", "Cancelled"}
    ours = read_units(units, "c3p")
    assert listed_twice(ours) == []
    copied = [dict(u, registry="elsewhere") for u in units[:2]]
    partial = dict(units[-1], registry="third", unitBlockEnd=units[-1]["unitBlockStart"])
    found = listed_twice([*ours, *read_units([*copied, partial], "other")])
    assert sum(o.credits for o in found) == units[0]["unitCount"] + units[1]["unitCount"] + 1
    assert {o.second.registry for o in found} | {o.first.registry for o in found} == {"c3p", "elsewhere", "third"}


def test_the_cadtrust_units_say_the_corresponding_adjustment_the_labels_give(registry: Registry) -> None:
    """First-transferred credits whose host recorded the adjustment are "Completed", not "Pending"."""
    data = _dump(registry)
    create_issuance(registry, {registry.vn_gov: 30}, ref="JC-VN-NOT-AUTHORIZED", authorized=False, model_project=False)
    with registry.database.reading() as session:
        data = opendata.open_data(session)
    units = opendata.cadtrust(data, "c3p", "https://registry.example").units
    said: dict[tuple[str, str], int] = {}
    for block, unit in zip(data.blocks, units, strict=True):
        pair = (unit.correspondingAdjustmentDeclaration, unit.correspondingAdjustmentStatus)
        said[pair] = said.get(pair, 0) + unit.unitCount
        if "correspondingly_adjusted" in block.labels:
            assert pair == ("Committed", "Completed"), block
        elif "first_transferred" in block.labels:
            assert pair == ("Committed", "Pending"), block
        elif "article6_authorized" in block.labels:
            assert pair == ("Committed", "Not Started"), block
        else:
            assert pair == ("Not Required", "Not Applicable"), block
    japan = sum(b.credits for b in data.blocks if b.registry == "JPN")  # entered Japan's registry at issuance
    assert said[("Committed", "Completed")] >= japan == 600
    assert said[("Not Required", "Not Applicable")] == 30
    assert ("Committed", "Pending") not in said  # the host recorded every first transfer's adjustment


def test_the_cli_writes_the_dump_and_checks_unit_lists(registry: Registry, tmp_path: Path) -> None:
    _dump(registry)
    runner = CliRunner()
    written = runner.invoke(app, ["registry", "open-data", str(tmp_path / "dump"), "--db", registry.database.url])
    assert written.exit_code == 0, written.output
    saved = json.loads((tmp_path / "dump" / "open-data.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(json.loads((tmp_path / "dump" / "open-data.schema.json").read_text())).validate(
        saved
    )
    cadtrust = tmp_path / "dump" / "cadtrust.json"
    clean = runner.invoke(app, ["registry", "duplicates", str(cadtrust)])
    assert clean.exit_code == 0 and "0 listed twice" in clean.output
    other = tmp_path / "other.json"
    other.write_text(json.dumps(json.loads(cadtrust.read_text())["units"][:1]))
    twice = runner.invoke(app, ["registry", "duplicates", str(cadtrust), str(other)])
    assert twice.exit_code == 1 and "1 listed twice" in twice.output


def test_the_adjusted_label_reads_the_hosts_running_totals_not_the_blocks(registry: Registry) -> None:
    """The service keeps each host's total of first-transferred credits with its adjustments; the label reads
    it (no block is read), the dump's labels follow it, and ``verify`` recomputes it from the blocks' marks."""
    data = _dump(registry)
    first = {}
    for block in data.blocks:
        if "first_transferred" in block.labels:
            first["VNM"] = first.get("VNM", 0) + block.credits  # one host: Viet Nam
    with registry.database.reading() as session:
        totals = dict(session.execute(select(FirstTransferTotal.country, FirstTransferTotal.credits)).all())
        statements: list[str] = []
        listen = (session.get_bind(), "before_cursor_execute")

        def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
            statements.append(statement)

        event.listen(*listen, seen)
        try:
            adjusted = labels.adjusted_hosts(session)
        finally:
            event.remove(*listen, seen)
    assert totals == first and first["VNM"] > 0
    assert adjusted == {"VNM"}
    assert statements and not any("credit_blocks" in s for s in statements)
    assert all("correspondingly_adjusted" in b.labels for b in data.blocks if "first_transferred" in b.labels)

    with registry.database.unit_of_work() as session:
        session.execute(text("UPDATE article6_first_transfer_totals SET credits = credits + 1"))
    with registry.database.reading() as session:
        drifted = opendata.open_data(session)
        report = verify(session)
    assert not any("correspondingly_adjusted" in b.labels for b in drifted.blocks)
    assert not report.ok and any("first-transferred credits of host VNM" in p.what for p in report.problems)
