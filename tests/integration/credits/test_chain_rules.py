"""On both backends, the gaps of the credit chain that issue #11 found, each refused or closed.

A rejected transfer into a sender closed or suspended meanwhile; authorization withdrawn after a
first transfer; a serial naming other credits; absurd amounts and period numbers; two first uses
of a new registry at once. Each refusal leaves the ledger as it was, and ``verify`` stays clean.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from c3p.accounts.rules.policy import Actor, Grant
from c3p.credits import queries, service
from c3p.credits.schemas import IssuanceNotice
from c3p.credits.tables import JournalEntry
from c3p.errors import C3PError, Conflict, Forbidden, InvalidInput
from c3p.settings import Settings
from tests.conftest import LiveServer
from tests.integration.credits.test_services import check_clean, state
from tests.support.accounts import create_token
from tests.support.credits import OPERATOR, Registry, create_issuance, create_report
from tests.support.workflow import create_person


def _reject_after_the_sender_left(registry: Registry, status: str) -> Any:
    create_issuance(registry, {registry.jp_gov: 100, registry.jp_pp: 10})
    with registry.database.unit_of_work() as session:
        key = service.transfer(session, OPERATOR, registry.jp_pp, registry.vn_pp, 10).key
        service.set_account_status(session, OPERATOR, registry.jp_pp, status)
    with registry.database.unit_of_work() as session:
        return service.resolve_pending(session, OPERATOR, key, accept=False)


@pytest.mark.parametrize("status", ["closed", "suspended"])
def test_a_rejected_transfer_never_returns_into_a_sender_that_left(registry: Registry, status: str) -> None:
    rejected = _reject_after_the_sender_left(registry, status)
    with registry.database.reading() as session:
        sender = queries.account(session, registry.jp_pp)
        returns = queries.account(session, rejected.to_account)
        last = session.scalars(
            select(JournalEntry).where(JournalEntry.kind != "record").order_by(JournalEntry.seq.desc()).limit(1)
        ).one()
        entry = json.loads(last.entry)
    assert (sender.status, sender.balance_credits) == (status, 0)
    assert (returns.kind, returns.registry, returns.balance_credits) == ("returns", "JPN", 10)
    assert rejected.details == {
        "proposal": rejected.details["proposal"],
        "returned_to": returns.number,
        "sender_status": status,
    }
    assert entry["details"]["returned_to"] == returns.number  # the journal says so too
    check_clean(registry)


def test_credits_in_the_returns_account_are_passed_on_by_its_registry_only(registry: Registry) -> None:
    rejected = _reject_after_the_sender_left(registry, "closed")
    returns = rejected.to_account
    vn_admin = Actor(7, "vn-admin", (Grant("registry_administrator", "country", "VNM"),))
    jp_admin = Actor(8, "jp-admin", (Grant("registry_administrator", "country", "JPN"),))
    representative = Actor(9, "rep", (Grant("account_representative", "account", returns),))
    before = state(registry)
    for actor, command, refused in (
        (vn_admin, lambda s, a: service.transfer(s, a, returns, registry.jp_gov, 4), Forbidden),
        (representative, lambda s, a: service.transfer(s, a, returns, registry.jp_gov, 4), Forbidden),
        (jp_admin, lambda s, a: service.retire(s, a, returns, "NDC", "GoJ", 4), InvalidInput),
        (jp_admin, lambda s, a: service.transfer(s, a, registry.jp_gov, returns, 4), Forbidden),
    ):
        with pytest.raises(refused), registry.database.unit_of_work() as session:
            command(session, actor)
    assert state(registry) == before
    with registry.database.unit_of_work() as session:
        passed_on = service.transfer(session, jp_admin, returns, registry.jp_gov, 10)
    assert passed_on.credits == 10
    check_clean(registry)


def test_authorization_is_irrevocable_after_a_first_transfer(registry: Registry) -> None:
    create_issuance(registry, {registry.jp_gov: 750}, ref="JC-FIRST", authorized=True)  # into Japan: first transfer
    create_issuance(registry, {registry.vn_pp: 40}, ref="JC-HOME", model_project=False)  # still at home
    with registry.database.reading() as session:
        report_before = queries.article6_report(session)
    before = state(registry)
    withdrawn = "750 credits of notification JC-FIRST were already first transferred"
    with pytest.raises(Conflict, match=withdrawn), registry.database.unit_of_work() as session:
        service.authorize(session, OPERATOR, "JC-FIRST", "not_authorized")
    assert state(registry) == before
    with registry.database.reading() as session:
        assert queries.article6_report(session) == report_before
    with registry.database.unit_of_work() as session:
        assert service.authorize(session, OPERATOR, "JC-HOME", "not_authorized").authorization == "not_authorized"
    check_clean(registry)


def _serial_of(registry: Registry, number: str) -> str:
    with registry.database.reading() as session:
        return queries.blocks_of(session, number)[0]


@pytest.mark.parametrize(
    ("part", "replacement"), [(2, "THA"), (3, "XX999"), (4, "002")], ids=["country", "project", "period"]
)
def test_a_serial_naming_other_credits_moves_nothing(registry: Registry, part: int, replacement: str) -> None:
    create_issuance(registry, {registry.jp_gov: 100})
    pieces = _serial_of(registry, registry.jp_gov).split("-")
    pieces[part] = replacement
    forged = "-".join(pieces)
    before = state(registry)
    for command in (
        lambda s: service.transfer(s, OPERATOR, registry.jp_gov, registry.jp_pp, serial=forged),
        lambda s: service.retire(s, OPERATOR, registry.jp_gov, "NDC", "GoJ", serial=forged),
        lambda s: service.cancel(s, OPERATOR, registry.jp_gov, serial=forged),
    ):
        with pytest.raises(InvalidInput, match=f"serial {forged} names"), registry.database.unit_of_work() as session:
            command(session)
    assert state(registry) == before
    check_clean(registry)


def test_absurd_amounts_and_serial_numbers_are_refused(registry: Registry) -> None:
    create_issuance(registry, {registry.jp_gov: 100})
    report_id = create_report(registry, 100)
    before = state(registry)
    with pytest.raises(InvalidInput, match="at most 1000000000000"), registry.database.unit_of_work() as session:
        service.transfer(session, OPERATOR, registry.jp_gov, registry.jp_pp, 9 * 10**18)
    notice = IssuanceNotice(
        notification_ref="JC-HUGE",
        report_id=report_id,
        credits=9 * 10**18,
        allocation=({"account": registry.jp_gov, "credits": 9 * 10**18},),  # type: ignore[arg-type]
    )
    with pytest.raises(InvalidInput, match="at most"), registry.database.unit_of_work() as session:
        service.issue(session, OPERATOR, notice)
    with pytest.raises(InvalidInput, match="serial numbers end at"), registry.database.unit_of_work() as session:
        service.transfer(
            session, OPERATOR, registry.jp_gov, registry.jp_pp, serial="JCM-JPN-VNM-VN007-001-9" + "0" * 17
        )
    assert {k: v for k, v in state(registry).items()} == before
    check_clean(registry)


def test_two_first_uses_of_a_new_registry_at_once(registry: Registry, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The first opens Thailand's registry and holds its transaction open; the second, a real HTTP
    request, must wait for it and then use the registry it opened (never a unique-violation 500)."""
    from c3p.web.app import create_app

    admin = create_person(registry.database, "registry_administrator", "THA", organization="tha-mone")
    token = create_token(registry.database, admin.email, "credits.*")
    settings = Settings(data_dir=tmp_path, database_url=registry.database.url)
    server = LiveServer(create_app(settings, registry.database), settings.data_dir).start()
    answers: list[httpx.Response] = []

    def second() -> None:
        body = {"registry": "THA", "kind": "government_holding", "holder": "tha-mone"}
        headers = {"authorization": f"Bearer {token}"}
        answers.append(httpx.post(f"{server.url}/api/v1/registry/accounts", json=body, headers=headers, timeout=60))

    try:
        with registry.database.unit_of_work() as session:
            first = service.open_account(session, OPERATOR, "THA", "participant_holding", "acme-jp")
            waiting = threading.Thread(target=second)
            waiting.start()
            time.sleep(1.5)
            assert answers == []  # the second waits for the first transaction
        waiting.join(timeout=60)
    finally:
        server.stop()
    assert answers[0].status_code == 201, answers[0].text
    with registry.database.reading() as session:
        tha = [a for a in queries.accounts(session) if a.registry == "THA"]
    assert sorted(a.kind for a in tha) == sorted(
        ["issuance", "cancellation", "retirement", "pending", "participant_holding", "government_holding"]
    )
    assert first.number != answers[0].json()["number"]
    check_clean(registry)


def _representative(user_id: int, *numbers: str) -> Actor:
    return Actor(user_id, f"rep-{user_id}", tuple(Grant("account_representative", "account", n) for n in numbers))


def test_transfers_above_the_threshold_wait_for_a_second_representative(registry: Registry) -> None:
    create_issuance(registry, {registry.jp_gov: 500})
    jp_admin = Actor(8, "jp-admin", (Grant("registry_administrator", "country", "JPN"),))
    vn_admin = Actor(7, "vn-admin", (Grant("registry_administrator", "country", "VNM"),))
    first, second, other = (
        _representative(101, registry.jp_gov),
        _representative(102, registry.jp_gov),
        _representative(103, registry.jp_pp),
    )
    for actor, threshold, refused in (
        (vn_admin, 50, Forbidden),
        (jp_admin, 0, InvalidInput),
        (jp_admin, -5, InvalidInput),
    ):
        with pytest.raises(refused), registry.database.unit_of_work() as session:
            service.configure_registry(session, actor, "JPN", threshold)
    with registry.database.unit_of_work() as session:
        assert service.configure_registry(session, jp_admin, "JPN", 50).approval_threshold_credits == 50
        assert service.transfer(session, first, registry.jp_gov, registry.jp_pp, 50).status == "completed"
        proposed = service.transfer(session, first, registry.jp_gov, registry.jp_pp, 60)
    assert (proposed.status, proposed.credits) == ("awaiting_approval", 60)
    before = state(registry)
    for actor, refused in ((first, Forbidden), (other, Forbidden), (jp_admin, Forbidden)):  # never the proposer
        with pytest.raises(refused), registry.database.unit_of_work() as session:
            service.decide_transfer(session, actor, proposed.key, True)
    assert state(registry) == before
    with registry.database.reading() as session:
        waiting = queries.proposals(session, second)
    assert [(p.key, p.credits, p.proposed_by) for p in waiting] == [(proposed.key, 60, "rep-101")]
    with registry.database.unit_of_work() as session:
        approved = service.decide_transfer(session, second, proposed.key, True)
    assert approved.status == "completed" and approved.credits == 60
    assert approved.details == {"approval_of": proposed.key, "proposed_by": "rep-101", "approved_by": "rep-102"}
    with pytest.raises(Conflict, match="already approved"), registry.database.unit_of_work() as session:
        service.decide_transfer(session, second, proposed.key, True)
    with registry.database.unit_of_work() as session:
        refused_one = service.transfer(session, second, registry.jp_gov, registry.jp_pp, 100)
    moved = state(registry)
    with registry.database.unit_of_work() as session:
        assert service.decide_transfer(session, first, refused_one.key, False).status == "refused"
    assert state(registry)["accounts"] == moved["accounts"]
    with registry.database.reading() as session:
        assert queries.account(session, registry.jp_pp).balance_credits == 110
        assert queries.proposals(session, second) == []
    check_clean(registry)


def test_an_approval_is_checked_again_when_it_is_given(registry: Registry) -> None:
    """The account may no longer hold the credits, or be suspended, by the time a second person approves."""
    create_issuance(registry, {registry.jp_gov: 100})
    first, second = _representative(101, registry.jp_gov), _representative(102, registry.jp_gov)
    with registry.database.unit_of_work() as session:
        service.configure_registry(session, OPERATOR, "JPN", 50)
        proposed = service.transfer(session, first, registry.jp_gov, registry.jp_pp, 80)
        service.transfer(session, first, registry.jp_gov, registry.jp_pp, 30)
    before = state(registry)
    with pytest.raises(C3PError), registry.database.unit_of_work() as session:
        service.decide_transfer(session, second, proposed.key, True)  # only 70 left
    assert state(registry) == before
    check_clean(registry)
