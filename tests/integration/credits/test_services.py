"""On both backends: issuance, transfers, pending transfers, cancellation, retirement, Article 6,
account life cycle, the append-only journal and its verification; bad input changes nothing."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import func, select, text

from c3p.accounts.rules.policy import Actor, Grant
from c3p.credits import queries, service, verification
from c3p.credits.rules.journal import canonical, entry_hash
from c3p.credits.rules.serials import SerialFormat
from c3p.credits.schemas import IssuanceNotice
from c3p.credits.tables import CreditBlock, CreditIssuance, JournalEntry
from c3p.credits.verify import verify
from c3p.errors import C3PError, Conflict, Forbidden, InvalidInput, NotFound
from tests.support.credits import (
    OPERATOR,
    Registry,
    create_issuance,
    create_jcm_project,
    create_report,
    submit_report,
)

FMT = SerialFormat()


def state(registry: Registry) -> dict[str, Any]:
    """Everything a refused command must leave as it was."""
    with registry.database.reading() as session:
        return {
            "accounts": [(a.number, a.status, a.balance_credits) for a in queries.accounts(session)],
            "blocks": sorted(
                session.execute(
                    select(
                        CreditBlock.registry_code,
                        CreditBlock.start_serial,
                        CreditBlock.end_serial,
                        CreditBlock.account_id,
                    )
                ).all()
            ),
            "journal": session.scalar(select(func.count()).select_from(JournalEntry)),
            "issuances": session.scalar(select(func.count()).select_from(CreditIssuance)),
        }


def balances(registry: Registry) -> dict[str, int]:
    with registry.database.reading() as session:
        return {a.number: a.balance_credits for a in queries.accounts(session)}


def check_clean(registry: Registry) -> None:
    with registry.database.reading() as session:
        report = verify(session)
    assert report.ok, report.problems


def test_issuance_creates_serial_blocks_in_both_registries(registry: Registry) -> None:
    issued = create_issuance(registry, {registry.jp_gov: 600, registry.vn_pp: 400})
    assert issued.serials == [
        "JCM-JPN-VNM-VN007-001-000000000001-000000000600",
        "JCM-VNM-VNM-VN007-001-000000000001-000000000400",
    ]
    found = balances(registry)
    assert (found[registry.jp_gov], found[registry.vn_pp], found["JPN-I-000001"]) == (600, 400, -600)
    assert sum(found.values()) == 0
    with registry.database.reading() as session:
        holder = queries.holder_of(session, "JCM-VNM-VNM-VN007-001-000000000399")
    assert holder.account == registry.vn_pp and holder.holder == "acme-vn"
    check_clean(registry)


def test_issuance_is_idempotent_per_notification(registry: Registry) -> None:
    report_id = create_report(registry, 1000)
    first = create_issuance(registry, {registry.jp_gov: 500}, report_id=report_id)
    again = create_issuance(registry, {registry.jp_gov: 500}, report_id=report_id)
    assert again.id == first.id and balances(registry)[registry.jp_gov] == 500
    with pytest.raises(Conflict, match="other contents"):
        create_issuance(registry, {registry.jp_gov: 501}, report_id=report_id)


def test_issuance_never_exceeds_the_verified_reductions(registry: Registry) -> None:
    report_id = create_report(registry, 1000)
    create_issuance(registry, {registry.jp_gov: 700}, ref="JC-1", report_id=report_id)
    before = state(registry)
    with pytest.raises(Conflict, match="only 300 verified reductions left"):
        create_issuance(registry, {registry.jp_gov: 301}, ref="JC-2", report_id=report_id)
    assert state(registry) == before
    create_issuance(registry, {registry.jp_gov: 300}, ref="JC-3", report_id=report_id)


def test_an_unverified_report_cannot_back_an_issuance(registry: Registry) -> None:
    report_id = create_report(registry, 100, verify=False)
    with pytest.raises(Conflict, match="must verify"):
        create_issuance(registry, {registry.jp_gov: 100}, report_id=report_id)


def test_a_model_project_gives_at_least_half_to_japan(registry: Registry) -> None:
    with pytest.raises(InvalidInput, match="at least half"):
        create_issuance(registry, {registry.jp_gov: 49, registry.vn_pp: 51})
    create_issuance(registry, {registry.jp_gov: 50, registry.vn_pp: 50}, ref="JC-OK")


def test_transfer_inside_a_registry_splits_the_block(registry: Registry) -> None:
    create_issuance(registry, {registry.jp_gov: 1000})
    with registry.database.unit_of_work() as session:
        moved = service.transfer(session, OPERATOR, registry.jp_gov, registry.jp_pp, 10)
    # the end of a partly used block moves, so the remainder keeps its start serial
    assert moved.serials == ["JCM-JPN-VNM-VN007-001-000000000991-000000001000"]
    with registry.database.reading() as session:
        assert queries.holder_of(session, "JCM-JPN-VNM-VN007-001-000000000991").account == registry.jp_pp
        assert queries.holder_of(session, "JCM-JPN-VNM-VN007-001-000000000990").account == registry.jp_gov
    with registry.database.unit_of_work() as session:
        service.transfer(
            session, OPERATOR, registry.jp_gov, registry.jp_pp, serial="JCM-JPN-VNM-VN007-001-000000000500-000000000509"
        )
    assert balances(registry)[registry.jp_pp] == 20
    check_clean(registry)


def test_transfer_to_the_other_registry_waits_for_it(registry: Registry) -> None:
    create_issuance(registry, {registry.jp_gov: 500, registry.vn_pp: 500})
    with registry.database.unit_of_work() as session:
        proposal = service.transfer(session, OPERATOR, registry.vn_pp, registry.jp_pp, 100)
        returned = service.transfer(session, OPERATOR, registry.vn_pp, registry.jp_pp, 50)
    assert proposal.status == "pending"
    assert balances(registry)["VNM-T-000004"] == 150 and balances(registry)[registry.jp_pp] == 0
    with registry.database.unit_of_work() as session:
        service.resolve_pending(session, OPERATOR, proposal.key, accept=True)
        service.resolve_pending(session, OPERATOR, returned.key, accept=False)
    found = balances(registry)
    assert (found[registry.jp_pp], found[registry.vn_pp], found["VNM-T-000004"]) == (100, 400, 0)
    with pytest.raises(Conflict, match="already accepted"), registry.database.unit_of_work() as session:
        service.resolve_pending(session, OPERATOR, proposal.key, accept=True)
    with registry.database.reading() as session:
        holder = queries.holder_of(session, "JCM-VNM-VNM-VN007-001-000000000500")
    assert holder.account == registry.jp_pp and holder.first_transferred
    check_clean(registry)


def test_japan_cannot_send_credits_to_a_third_country(registry: Registry) -> None:
    with registry.database.unit_of_work() as session:
        third = service.open_account(session, OPERATOR, "MNG", "government_holding", "moej").number
    create_issuance(registry, {registry.jp_gov: 100})
    with pytest.raises(InvalidInput, match="cannot enter the registry of MNG"), registry.database.unit_of_work() as s:
        service.transfer(s, OPERATOR, registry.jp_gov, third, 1)


def hold_two_hosts(registry: Registry) -> None:
    """Japan's government account holds 10 credits hosted by Viet Nam, then 10 hosted by Thailand."""
    create_issuance(registry, {registry.jp_gov: 10})
    create_jcm_project(registry.database, registry.settings, slug="th-001", serial_code="TH001", country="THA")
    report = submit_report(registry.database, registry.settings, 10, dt.date(2025, 1, 1), project="th-001")
    with registry.database.unit_of_work() as session:
        verification.verify(session, OPERATOR, report.id, 10, "fair")
    create_issuance(registry, {registry.jp_gov: 10}, ref="JC-TH-001", report_id=report.id)


def test_a_transfer_to_the_other_registry_is_checked_on_the_credits_it_moves(registry: Registry) -> None:
    """Viet Nam's registry may hold the Viet Nam credits that move; the Thai ones after them stay, and do not
    refuse the transfer (they did while they were among the first blocks read)."""
    hold_two_hosts(registry)
    with registry.database.unit_of_work() as session:
        moved = service.transfer(session, OPERATOR, registry.jp_gov, registry.vn_pp, 10)
    assert moved.status == "pending" and moved.serials == ["JCM-JPN-VNM-VN007-001-000000000001-000000000010"]
    refused = pytest.raises(InvalidInput, match="hosted by THA cannot enter the registry of VNM")
    with refused, registry.database.unit_of_work() as session:
        service.transfer(session, OPERATOR, registry.jp_gov, registry.vn_pp, 1)
    check_clean(registry)


def test_retirement_and_cancellation(registry: Registry) -> None:
    create_issuance(registry, {registry.jp_gov: 100, registry.vn_pp: 100})
    with registry.database.unit_of_work() as session:
        service.retire(session, OPERATOR, registry.jp_gov, "Japan's NDC FY2030", "Government of Japan", 30)
        service.cancel(session, OPERATOR, registry.vn_pp, 5, reason="correction")
    with registry.database.reading() as session:
        retired = queries.retirements(session)
        totals = queries.project_totals(session)
        stats = queries.stats(session)
    assert retired[0].beneficiary == "Government of Japan" and retired[0].credits == 30
    assert (totals[0].issued_credits, totals[0].retired_credits, totals[0].cancelled_credits) == (200, 30, 5)
    assert (stats.issued_credits, stats.held_credits, stats.retired_credits) == (200, 165, 30)
    with pytest.raises(InvalidInput, match="purpose"), registry.database.unit_of_work() as session:
        service.retire(session, OPERATOR, registry.jp_gov, "", "x", 1)
    check_clean(registry)


def test_journal_entries_are_sealed_like_entry_hash_with_any_text(registry: Registry) -> None:
    """PostgreSQL seals an entry in its INSERT; the bytes hashed must be those of entry_hash."""
    create_issuance(registry, {registry.jp_gov: 100})
    with registry.database.unit_of_work() as session:
        service.retire(session, OPERATOR, registry.jp_gov, '日本のNDC \u00e9 "quoted" \\ \n', "環境省 🌏", 3)
    with registry.database.reading() as session:
        columns = (JournalEntry.seq, JournalEntry.entry, JournalEntry.previous_hash, JournalEntry.hash)
        stored = session.execute(select(*columns).order_by(JournalEntry.seq)).all()
    last, previous = stored[-1], stored[-2]
    assert last.seq == previous.seq + 1 and last.previous_hash == previous.hash
    assert last.hash == entry_hash(previous.hash, last.entry)
    assert json.loads(last.entry)["details"]["beneficiary"] == "環境省 🌏"
    assert last.entry == canonical(json.loads(last.entry))
    check_clean(registry)


def test_article6_first_transfers_and_use_are_reported(registry: Registry) -> None:
    create_issuance(registry, {registry.jp_gov: 600, registry.vn_pp: 400}, authorized=True)
    with registry.database.unit_of_work() as session:
        service.retire(session, OPERATOR, registry.jp_gov, "NDC", "GoJ", 100)
        service.retire(session, OPERATOR, registry.vn_pp, "NDC", "Viet Nam", 50)
    with registry.database.reading() as session:
        rows = {row.country: row for row in queries.article6_report(session)}
    assert rows["VNM"].authorized_credits == 1000
    assert rows["VNM"].first_transferred_credits == 600  # issued into Japan's registry
    assert rows["JPN"].used_credits == 100  # retired in Japan; retiring in Viet Nam is domestic use
    with pytest.raises(Conflict, match="can no longer be withdrawn"), registry.database.unit_of_work() as session:
        service.authorize(session, OPERATOR, "JC-VN-001", "not_authorized")  # irrevocable after a first transfer
    check_clean(registry)


def test_account_life_cycle(registry: Registry) -> None:
    create_issuance(registry, {registry.jp_gov: 100})
    with registry.database.unit_of_work() as session:
        service.set_account_status(session, OPERATOR, registry.jp_pp, "suspended")
    with pytest.raises(Conflict, match="suspended"), registry.database.unit_of_work() as session:
        service.transfer(session, OPERATOR, registry.jp_gov, registry.jp_pp, 1)
    with pytest.raises(Conflict, match="still holds 100"), registry.database.unit_of_work() as session:
        service.set_account_status(session, OPERATOR, registry.jp_gov, "closed")
    with registry.database.unit_of_work() as session:
        service.set_account_status(session, OPERATOR, registry.jp_pp, "closed")
    with pytest.raises(Conflict, match="cannot become open"), registry.database.unit_of_work() as session:
        service.set_account_status(session, OPERATOR, registry.jp_pp, "open")
    check_clean(registry)


def _holder_of_jp_pp() -> Actor:
    return Actor(4242, "pp@acme-jp", (), organization="acme-jp")


BAD_COMMANDS = {
    "fractional credits": lambda r, s: service.transfer(s, OPERATOR, r.jp_gov, r.jp_pp, 1.5),  # type: ignore[arg-type]
    "zero credits": lambda r, s: service.transfer(s, OPERATOR, r.jp_gov, r.jp_pp, 0),
    "negative credits": lambda r, s: service.transfer(s, OPERATOR, r.jp_gov, r.jp_pp, -5),
    "more than held": lambda r, s: service.transfer(s, OPERATOR, r.jp_gov, r.jp_pp, 101),
    "unknown sender": lambda r, s: service.transfer(s, OPERATOR, "JPN-P-999999", r.jp_pp, 1),
    "unknown receiver": lambda r, s: service.transfer(s, OPERATOR, r.jp_gov, "JPN-P-999999", 1),
    "to itself": lambda r, s: service.transfer(s, OPERATOR, r.jp_gov, r.jp_gov, 1),
    "into the retirement account": lambda r, s: service.transfer(s, OPERATOR, r.jp_gov, "JPN-R-000003", 1),
    "someone else's credits": lambda r, s: service.transfer(s, _holder_of_jp_pp(), r.jp_gov, r.jp_pp, 1),
    "another country's administrator": lambda r, s: service.transfer(
        s, Actor(7, "vn-admin", (Grant("registry_administrator", "country", "VNM"),)), r.jp_gov, r.jp_pp, 1
    ),
    "serial range that does not exist": lambda r, s: service.transfer(
        s, OPERATOR, r.jp_gov, r.jp_pp, serial="JCM-JPN-VNM-VN007-001-000000000090-000000000200"
    ),
    "serial of another account": lambda r, s: service.cancel(
        s, OPERATOR, r.jp_pp, serial="JCM-JPN-VNM-VN007-001-000000000001"
    ),
    "malformed serial": lambda r, s: service.retire(s, OPERATOR, r.jp_gov, "NDC", "GoJ", serial="JCM-1"),
    "retire nothing": lambda r, s: service.retire(s, OPERATOR, r.jp_gov, "NDC", "GoJ"),
    "unknown pending transfer": lambda r, s: service.resolve_pending(s, OPERATOR, "nope", True),
    "unknown status": lambda r, s: service.set_account_status(s, OPERATOR, r.jp_pp, "frozen"),
    "issue to a closed-kind account": lambda r, s: service.issue(
        s,
        OPERATOR,
        IssuanceNotice(
            notification_ref="X", report_id=1, credits=5, allocation=({"account": "JPN-C-000002", "credits": 5},)
        ),  # type: ignore[arg-type]
    ),
    "issue on an unknown report": lambda r, s: service.issue(
        s,
        OPERATOR,
        IssuanceNotice(
            notification_ref="X", report_id=99, credits=5, allocation=({"account": r.jp_gov, "credits": 5},)
        ),  # type: ignore[arg-type]
    ),
    "unknown organization": lambda r, s: service.open_account(s, OPERATOR, "JPN", "participant_holding", "nobody"),
    "bad registry code": lambda r, s: service.open_account(s, OPERATOR, "jp", "participant_holding", "moej"),
}


@pytest.mark.parametrize("name", list(BAD_COMMANDS))
def test_bad_input_is_refused_clearly_and_changes_nothing(registry: Registry, name: str) -> None:
    create_issuance(registry, {registry.jp_gov: 100})
    before = state(registry)
    with pytest.raises(C3PError) as refused, registry.database.unit_of_work() as session:
        BAD_COMMANDS[name](registry, session)
    assert refused.value.detail and refused.value.status in (400, 403, 404, 409, 422)
    assert isinstance(refused.value, InvalidInput | NotFound | Conflict | Forbidden)
    assert state(registry) == before
    check_clean(registry)


def test_the_journal_is_append_only(registry: Registry) -> None:
    with pytest.raises(Exception, match="append-only"), registry.database.engine.begin() as connection:
        connection.execute(text("UPDATE credit_journal SET kind = 'x' WHERE seq = 1"))
    with pytest.raises(Exception, match="append-only"), registry.database.engine.begin() as connection:
        connection.execute(text("DELETE FROM credit_journal WHERE seq = 1"))


def test_verify_names_the_first_tampered_entry(registry: Registry) -> None:
    create_issuance(registry, {registry.jp_gov: 100})
    with registry.database.unit_of_work() as session:
        for _ in range(3):
            service.transfer(session, OPERATOR, registry.jp_gov, registry.jp_pp, 1)
    with registry.database.reading() as session:
        last = session.scalar(select(func.max(JournalEntry.seq)))
    target = last - 1
    with registry.database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE credit_journal DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER credit_journal_no_update"))
        connection.execute(
            text(
                'UPDATE credit_journal SET entry = replace(entry, \'"actor":"test"\', \'"actor":"mallory"\') '
                "WHERE seq = :seq"
            ),
            {"seq": target},
        )
    with registry.database.reading() as session:
        report = verify(session)
    assert not report.ok and report.first_bad_entry == target
    assert "does not match its hash" in report.problems[0].what


def test_verify_finds_the_last_entry_removed_behind_the_head(registry: Registry) -> None:
    """Removing the newest entry leaves a valid chain; the head, which names it, tells."""
    create_issuance(registry, {registry.jp_gov: 100})
    with registry.database.unit_of_work() as session:
        service.transfer(session, OPERATOR, registry.jp_gov, registry.jp_pp, 1)
    with registry.database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE credit_journal DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER credit_journal_no_delete"))
        connection.execute(text("DELETE FROM credit_journal WHERE seq = (SELECT MAX(seq) FROM credit_journal)"))
    with registry.database.reading() as session:
        report = verify(session)
    assert not report.ok and any("journal head" in p.what for p in report.problems)


def test_verify_finds_a_balance_changed_behind_the_ledger(registry: Registry) -> None:
    create_issuance(registry, {registry.jp_gov: 100})
    with registry.database.engine.begin() as connection:
        connection.execute(
            text("UPDATE credit_accounts SET balance = balance + 1 WHERE number = :n"), {"n": registry.jp_pp}
        )
    with registry.database.reading() as session:
        report = verify(session)
    assert not report.ok and any(registry.jp_pp in p.what for p in report.problems)
