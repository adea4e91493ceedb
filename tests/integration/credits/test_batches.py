"""Batches of transfers on both backends: all applied in one transaction, or none with every
refused transfer named; crossing batches queue instead of deadlocking."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import bindparam, text
from typer.testing import CliRunner

from c3p.cli import app
from c3p.credits import batches
from c3p.credits.batches import TransferLine
from c3p.credits.verify import verify
from c3p.db.database import Database
from c3p.errors import InvalidInput
from tests.integration.credits.test_services import balances, check_clean, hold_two_hosts, state
from tests.support.credits import OPERATOR, Registry, create_issuance


def test_a_batch_applies_every_transfer_in_one_transaction(registry: Registry) -> None:
    create_issuance(registry, {registry.jp_gov: 100, registry.jp_pp: 100})
    before = state(registry)
    lines = [TransferLine(registry.jp_gov, registry.jp_pp, 10)] * 3 + [TransferLine(registry.jp_pp, registry.jp_gov, 5)]
    with registry.database.unit_of_work() as session:
        views = batches.transfer_batch(session, OPERATOR, lines)
    assert [view.credits for view in views] == [10, 10, 10, 5]
    assert balances(registry)[registry.jp_gov] == 100 - 30 + 5
    assert state(registry)["journal"] == before["journal"] + 4
    check_clean(registry)


def test_a_batchs_entries_bear_its_one_time_in_the_views_and_the_journal(registry: Registry) -> None:
    """A batch commits at once, so its entries are made at one moment (and each is sealed with it)."""
    create_issuance(registry, {registry.jp_gov: 100})
    lines = [TransferLine(registry.jp_gov, registry.jp_pp, 1)] * 3
    with registry.database.core_unit() as unit:
        views = batches.transfer_batch(unit, OPERATOR, lines)
    with registry.database.reading() as session:
        rows = session.execute(
            text("SELECT entry, occurred_at FROM credit_journal WHERE seq IN :seqs").bindparams(
                bindparam("seqs", expanding=True)
            ),
            {"seqs": [view.seq for view in views]},
        ).all()
    assert len({view.occurred_at for view in views}) == 1
    assert {json.loads(entry)["at"] for entry, _stored in rows} == {views[0].occurred_at}
    assert len({str(stored) for _entry, stored in rows}) == 1
    check_clean(registry)


def test_a_refused_transfer_refuses_the_batch_naming_every_refused_one(registry: Registry) -> None:
    create_issuance(registry, {registry.jp_gov: 100})
    before = state(registry)
    lines = [
        TransferLine(registry.jp_gov, registry.jp_pp, 10),
        TransferLine(registry.jp_gov, registry.jp_pp, 5000),  # more than the account holds
        TransferLine(registry.jp_gov, "JPN-P-999999", 1),  # no such account
        TransferLine(registry.jp_gov, registry.jp_pp, 20),
    ]
    with pytest.raises(InvalidInput) as refused, registry.database.unit_of_work() as session:
        batches.transfer_batch(session, OPERATOR, lines)
    assert [r["transfer"] for r in refused.value.extra["refused"]] == [2, 3]
    assert "2 of 4 transfers refused; none was applied (transfer 2:" in refused.value.detail
    assert state(registry) == before
    check_clean(registry)


def test_a_transfer_that_needs_a_refused_one_is_refused_too(registry: Registry) -> None:
    create_issuance(registry, {registry.jp_gov: 100})
    lines = [
        TransferLine(registry.jp_gov, registry.jp_pp, 500),  # refused: 100 held
        TransferLine(registry.jp_pp, registry.jp_gov, 50),  # would move what the first one brought
    ]
    with pytest.raises(InvalidInput) as refused, registry.database.unit_of_work() as session:
        batches.transfer_batch(session, OPERATOR, lines)
    assert [r["transfer"] for r in refused.value.extra["refused"]] == [1, 2]
    assert balances(registry)[registry.jp_pp] == 0


def test_a_line_to_the_other_registry_is_checked_on_the_credits_it_moves(registry: Registry) -> None:
    """As the same transfer sent alone: the Viet Nam credits that move may enter Viet Nam's registry, the Thai
    ones after them may not."""
    hold_two_hosts(registry)
    lines = [TransferLine(registry.jp_gov, registry.vn_pp, 4), TransferLine(registry.jp_gov, registry.vn_pp, 6)]
    with registry.database.unit_of_work() as session:
        views = batches.transfer_batch(session, OPERATOR, lines)
    assert [v.status for v in views] == ["pending", "pending"]
    refused = pytest.raises(InvalidInput, match="hosted by THA cannot enter the registry of VNM")
    with refused, registry.database.unit_of_work() as session:
        batches.transfer_batch(session, OPERATOR, [TransferLine(registry.jp_gov, registry.vn_pp, 1)])
    check_clean(registry)


@pytest.mark.parametrize("count", [0, batches.MAX_LINES + 1])
def test_an_empty_or_oversized_batch_is_refused(registry: Registry, count: int) -> None:
    lines = [TransferLine(registry.jp_gov, registry.jp_pp, 1)] * count
    with pytest.raises(InvalidInput), registry.database.unit_of_work() as session:
        batches.transfer_batch(session, OPERATOR, lines)


def test_batches_crossing_the_same_accounts_both_apply(registry: Registry) -> None:
    """Two batches touching two pairs of accounts in opposite order at once: one waits, neither fails."""
    create_issuance(registry, {registry.jp_gov: 500, registry.vn_gov: 500})
    japan, viet_nam = TransferLine(registry.jp_gov, registry.jp_pp, 1), TransferLine(registry.vn_gov, registry.vn_pp, 2)
    forward, backward = [japan, viet_nam], [viet_nam, japan]
    errors: list[BaseException] = []

    def send(lines: list[TransferLine]) -> None:
        database = Database(registry.database.url)
        try:
            for _ in range(10):
                with database.unit_of_work() as session:
                    batches.transfer_batch(session, OPERATOR, lines)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            database.dispose()

    threads = [threading.Thread(target=send, args=(lines,)) for lines in (forward, backward)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert balances(registry)[registry.jp_pp] == 20 * 1
    assert balances(registry)[registry.vn_pp] == 20 * 2
    check_clean(registry)


def test_the_cli_applies_a_batch_file_or_names_its_refused_lines(registry: Registry, tmp_path: Path) -> None:
    create_issuance(registry, {registry.jp_gov: 100})
    good = tmp_path / "good.csv"
    good.write_text(
        f"from_account,to_account,credits,serial\n{registry.jp_gov},{registry.jp_pp},7,\n\n"
        f"{registry.jp_gov},{registry.jp_pp},3,\n"
    )
    done = CliRunner().invoke(app, ["registry", "transfer-batch", str(good), "--db", registry.database.url])
    assert done.exit_code == 0, done.output
    assert balances(registry)[registry.jp_pp] == 10
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"from_account,to_account,credits,serial\n{registry.jp_gov},{registry.jp_pp},1,\n"
        f"{registry.jp_gov},{registry.jp_pp},900,\n"
    )
    before = state(registry)
    refused = CliRunner().invoke(app, ["registry", "transfer-batch", str(bad), "--db", registry.database.url])
    assert refused.exit_code != 0
    assert f"{bad}:3:" in refused.output
    assert state(registry) == before
    with registry.database.reading() as session:
        assert verify(session).ok
