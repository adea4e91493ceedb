"""On both backends: Article 6.2 authorizations as records of serial ranges.

Authorizing part of an issuance splits its blocks; the label travels with the credits through
transfers; the record's purposes decide which uses (retirement, cancellation) the credits may
serve and its definition when they are first transferred; a range already first transferred
keeps its purposes; every bad input and every actor who may not authorize changes nothing;
``verify`` rebuilds the records from the journal, and the migration makes the same records
for issuances authorized before records existed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, text

from c3p.accounts.rules.policy import Actor, Grant
from c3p.catalogs import translate
from c3p.credits import opendata, queries, service
from c3p.credits.history import credit_history
from c3p.credits.tables import CorrespondingAdjustment, CreditAccount, CreditAuthorization, CreditBlock
from c3p.credits.verify import verify
from c3p.db import migrate
from c3p.errors import C3PError, Conflict, Forbidden, InvalidInput, NotFound
from tests.integration.credits.test_services import state
from tests.support.credits import OPERATOR, Registry, create_issuance

REF = "JC-VN-001"


def authorize(scene: Registry, serials: str = "11-20", **changes: Any) -> Any:
    """Authorize ``serials`` of Viet Nam's issuance, with default terms except ``changes``."""
    terms: dict[str, Any] = {
        "purposes": ["ndc", "oimp"],
        "entities": ["acme-jp"],
        "decision_ref": "VNM-MONRE-2026-7",
        "decided_on": "2026-01-15",
        "registry": "VNM",
        "actor": OPERATOR,
    }
    terms |= changes
    actor = terms.pop("actor")
    with scene.database.unit_of_work() as session:
        return service.authorize_range(session, actor, changes.get("ref", REF), serials, **_without(terms, "ref"))


def issue_unauthorized(registry: Registry) -> None:
    create_issuance(registry, {registry.vn_pp: 100}, authorized=False, model_project=False)


def _without(terms: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in terms.items() if k not in names}


def vn_blocks(registry: Registry) -> list[tuple[int, int]]:
    with registry.database.reading() as session:
        rows = session.execute(
            select(CreditBlock.start_serial, CreditBlock.end_serial).where(CreditBlock.registry_code == "VNM")
        )
        return sorted((int(a), int(b)) for a, b in rows)


def adjustments(registry: Registry) -> list[tuple[str, str, int]]:
    with registry.database.reading() as session:
        rows = session.execute(
            select(CorrespondingAdjustment.country, CorrespondingAdjustment.kind, CorrespondingAdjustment.credits)
        )
        return sorted((c, k, int(n)) for c, k, n in rows)


def check_clean(registry: Registry) -> None:
    with registry.database.reading() as session:
        report = verify(session)
    assert report.ok, report.problems


def test_a_partial_authorization_splits_blocks_and_its_label_travels_with_the_credits(registry: Registry) -> None:
    issue_unauthorized(registry)
    record = authorize(registry)
    assert (record.version, record.credits, record.purposes) == (1, 10, ["ndc", "oimp"])
    assert vn_blocks(registry) == [(1, 10), (11, 20), (21, 100)]
    # serials 5-25 cross the authorized range: only its 10 credits are first transferred to Japan
    with registry.database.unit_of_work() as session:
        sent = service.transfer(session, OPERATOR, registry.vn_pp, registry.jp_pp, None, _serial(5, 25))
    with registry.database.unit_of_work() as session:
        service.resolve_pending(session, OPERATOR, sent.key, True)
    assert adjustments(registry) == [("VNM", "first_transfer", 10)]
    with registry.database.reading() as session:
        first = session.execute(
            select(CreditBlock.start_serial, CreditBlock.end_serial).where(CreditBlock.first_transferred.is_(True))
        ).all()
    assert [(int(a), int(b)) for a, b in first] == [(11, 20)]
    with registry.database.reading() as session:
        labels = {b.serial[-25:]: b.labels for b in opendata.open_data(session).blocks}
    assert labels == {
        f"{1:012d}-{4:012d}": [],
        f"{5:012d}-{10:012d}": [],
        f"{11:012d}-{20:012d}": [
            "article6_authorized",
            "authorized_for_ndc",
            "authorized_for_oimp",
            "first_transferred",
            "correspondingly_adjusted",
        ],
        f"{21:012d}-{25:012d}": [],
        f"{26:012d}-{100:012d}": [],
    }
    check_clean(registry)


def _serial(start: int, end: int) -> str:
    return f"JCM-VNM-VNM-VN007-001-{start:012d}-{end:012d}"


def test_uses_follow_the_purposes_and_first_transfer_the_definition(registry: Registry) -> None:
    issue_unauthorized(registry)
    authorize(registry, "1-10", purposes=["ndc"])
    authorize(registry, "11-20", purposes=["oimp"], first_transfer="first_international_transfer")
    authorize(registry, "21-30", purposes=["oimp"])  # default for OIMP: cancellation is the first transfer
    before = state(registry)
    with registry.database.unit_of_work() as session, pytest.raises(Conflict, match="ndc only, not for oimp"):
        service.cancel(session, OPERATOR, registry.vn_pp, None, _serial(1, 5))
    with registry.database.unit_of_work() as session, pytest.raises(Conflict, match="oimp only, not for ndc"):
        service.retire(session, OPERATOR, registry.vn_pp, "NDC", "VNM", None, _serial(11, 15))
    assert state(registry) == before
    with registry.database.unit_of_work() as session:
        service.retire(session, OPERATOR, registry.vn_pp, "NDC", "VNM", None, _serial(1, 5))
        service.cancel(session, OPERATOR, registry.vn_pp, None, _serial(11, 15))
    assert adjustments(registry) == []  # domestic use; OIMP first transfer defined as the international one
    with registry.database.unit_of_work() as session:
        service.cancel(session, OPERATOR, registry.vn_pp, None, _serial(21, 24))
    assert adjustments(registry) == [("VNM", "first_transfer", 4)]
    check_clean(registry)


def test_a_first_transferred_range_gains_purposes_and_entities_but_loses_none(registry: Registry) -> None:
    issue_unauthorized(registry)
    authorize(registry, "11-20", purposes=["oimp"])
    with registry.database.unit_of_work() as session:
        service.cancel(session, OPERATOR, registry.vn_pp, None, _serial(11, 12))
    before = state(registry)
    for change, words in (
        ({"purposes": ["ndc"]}, "already first transferred"),
        ({"purposes": ["oimp"], "entities": []}, "already first transferred"),
        ({"purposes": ["oimp"], "first_transfer": "first_international_transfer"}, "already first transferred"),
        ({"purposes": ["oimp"]}, "nothing changes"),
    ):
        with pytest.raises(Conflict, match=words):
            authorize(registry, "11-20", **change)
        assert state(registry) == before
    record = authorize(registry, "11-20", purposes=["oimp", "ndc"], entities=["acme-jp", "acme-vn"])
    assert (record.version, record.purposes, record.entities) == (2, ["ndc", "oimp"], ["acme-jp", "acme-vn"])
    with registry.database.reading() as session:
        kinds = session.execute(text("SELECT kind FROM credit_journal ORDER BY seq")).scalars().all()
    assert kinds.count("authorization") == 2  # each version is a journal entry
    check_clean(registry)


@pytest.mark.parametrize(
    ("serials", "changes", "error", "words"),
    [
        ("95-105", {}, InvalidInput, "not credits of issuance"),
        ("0-5", {}, InvalidInput, "range of unit numbers"),
        ("20-11", {}, InvalidInput, "range of unit numbers"),
        ("a-b", {}, InvalidInput, "range of unit numbers"),
        ("11-20", {"registry": "JPN"}, InvalidInput, "not credits of issuance"),
        ("15-30", {}, Conflict, "overlap the authorization of serials 11-20"),
        ("31-40", {"purposes": []}, InvalidInput, "at least one purpose"),
        ("31-40", {"purposes": ["use"]}, InvalidInput, "unknown purpose"),
        ("31-40", {"entities": ["nobody"]}, NotFound, "no member organization 'nobody'"),
        ("31-40", {"decided_on": "2999-01-01"}, InvalidInput, "in the future"),
        ("31-40", {"decided_on": "15/01/2026"}, InvalidInput, "decision date must be a date"),
        ("31-40", {"decision_ref": " "}, InvalidInput, "name the decision"),
        ("31-40", {"first_transfer": "at_signing"}, InvalidInput, "unknown first-transfer definition"),
        ("31-40", {"purposes": ["ndc"], "first_transfer": "issuance"}, InvalidInput, "credits authorized for ndc"),
        ("31-40", {"ref": "JC-NONE"}, NotFound, "no issuance"),
    ],
)
def test_every_bad_input_is_refused_and_changes_nothing(
    registry: Registry, serials: str, changes: dict[str, Any], error: type[C3PError], words: str
) -> None:
    issue_unauthorized(registry)
    authorize(registry, "11-20")
    before = state(registry)
    with pytest.raises(error, match=words):
        authorize(registry, serials, **changes)
    assert state(registry) == before


@pytest.mark.parametrize(
    "actor",
    [
        Actor(41, "admin@moej", (Grant("registry_administrator", "country", "JPN"),)),  # another country's
        Actor(42, "tpe@acme", (Grant("tpe", "organization", "acme-vn"),), "acme-vn"),
        Actor(43, "rep@acme-vn", (Grant("account_representative", "account", "VNM-P-000001"),), "acme-vn"),
    ],
    ids=["other country's administrator", "tpe", "account representative"],
)
def test_only_the_host_countrys_registry_administrator_authorizes(registry: Registry, actor: Actor) -> None:
    issue_unauthorized(registry)
    before = state(registry)
    with pytest.raises(Forbidden):
        authorize(registry, actor=actor)
    assert state(registry) == before
    host_admin = Actor(44, "admin@vn", (Grant("registry_administrator", "country", "VNM"),))
    assert authorize(registry, actor=host_admin).recorded_by == "admin@vn"


def test_the_same_authorization_sent_twice_at_once_is_recorded_once(registry: Registry) -> None:
    issue_unauthorized(registry)
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def send() -> None:
        start.wait()
        try:
            authorize(registry)
            outcomes.append("recorded")
        except Conflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["recorded", "refused"]
    assert vn_blocks(registry) == [(1, 10), (11, 20), (21, 100)]
    check_clean(registry)


def test_verify_rebuilds_the_records_and_catches_an_edited_one(registry: Registry) -> None:
    issue_unauthorized(registry)
    authorize(registry, purposes=["ndc"])
    check_clean(registry)
    with registry.database.engine.begin() as connection:
        connection.execute(text("""UPDATE credit_authorizations SET purposes = '["ndc", "oimp"]'"""))
    with registry.database.reading() as session:
        report = verify(session)
    assert not report.ok and any("authorizations" in p.what for p in report.problems)


def test_the_migration_records_issuances_authorized_before_records_as_the_journal_replays_them(
    registry: Registry,
) -> None:
    """Downgraded to before the table and upgraded again, the records are the ones the service wrote."""
    create_issuance(registry, {registry.jp_gov: 600, registry.vn_pp: 400})
    create_issuance(registry, {registry.vn_pp: 50}, ref="JC-VN-002", authorized=False, model_project=False)
    with registry.database.unit_of_work() as session:
        service.authorize(session, OPERATOR, "JC-VN-002", "authorized")
    written = _records(registry)
    assert len(written) == 3 and {tuple(r[4]) for r in written} == {("ndc", "oimp")}
    engine = registry.database.engine
    with engine.begin() as connection:
        config = migrate.alembic_config(engine)
        config.attributes["connection"] = connection
        from alembic import command

        command.downgrade(config, "20261206_0910")
    registry.database.upgrade()
    assert _records(registry) == written
    check_clean(registry)


def _records(registry: Registry) -> list[tuple[Any, ...]]:
    with registry.database.reading() as session:
        rows = session.scalars(select(CreditAuthorization).order_by(CreditAuthorization.start_serial))
        return sorted(
            (
                r.issuance_id,
                r.registry_code,
                r.start_serial,
                r.end_serial,
                r.purposes,
                r.entities,
                r.first_transfer,
                r.version,
                r.decision_ref,
                r.decided_on,
                r.recorded_by,
                r.journal_seq,
            )
            for r in rows
        )


def first_transferred_blocks(registry: Registry) -> list[tuple[str, int, int]]:
    with registry.database.reading() as session:
        rows = session.execute(
            select(CreditBlock.registry_code, CreditBlock.start_serial, CreditBlock.end_serial).where(
                CreditBlock.first_transferred.is_(True)
            )
        )
        return sorted((str(r), int(a), int(b)) for r, a, b in rows)


def test_an_authorization_defined_as_the_first_transfer_first_transfers_when_recorded(registry: Registry) -> None:
    """Under "authorization", serials 11-30 become first transferred where they are held; ``verify``
    replays the journal entry that says so and catches a mark removed behind the ledger."""
    issue_unauthorized(registry)
    with registry.database.unit_of_work() as session:
        service.retire(session, OPERATOR, registry.vn_pp, "NDC", "VNM", None, _serial(21, 25))  # used before
    record = authorize(registry, "11-30", purposes=["oimp"], first_transfer="authorization")
    assert record.first_transfer == "authorization"
    assert first_transferred_blocks(registry) == [("VNM", 11, 20), ("VNM", 26, 30)]
    assert adjustments(registry) == [("VNM", "first_transfer", 15)]
    check_clean(registry)
    with registry.database.unit_of_work() as session:  # a later transfer abroad is not a second first transfer
        sent = service.transfer(session, OPERATOR, registry.vn_pp, registry.jp_pp, None, _serial(11, 20))
    with registry.database.unit_of_work() as session:
        service.resolve_pending(session, OPERATOR, sent.key, True)
    assert adjustments(registry) == [("VNM", "first_transfer", 15)]
    check_clean(registry)
    with registry.database.engine.begin() as connection:
        connection.execute(text("UPDATE credit_blocks SET first_transferred = false WHERE start_serial = 26"))
    with registry.database.reading() as session:
        assert not verify(session).ok


def test_a_notification_defining_issuance_as_the_first_transfer_first_transfers_every_credit(
    registry: Registry,
) -> None:
    create_issuance(registry, {registry.vn_pp: 60, registry.jp_pp: 40}, model_project=False, first_transfer="issuance")
    assert first_transferred_blocks(registry) == [("JPN", 1, 40), ("VNM", 1, 60)]
    assert adjustments(registry) == [("VNM", "first_transfer", 100)]
    with registry.database.unit_of_work() as session:  # cancellation is no first transfer any more
        service.cancel(session, OPERATOR, registry.vn_pp, 10)
    assert adjustments(registry) == [("VNM", "first_transfer", 100)]
    check_clean(registry)


def test_a_transfer_to_an_organization_that_is_not_an_authorized_entity_is_refused(registry: Registry) -> None:
    """Serials 1-50 authorized for acme-jp only: Japan's government (moej) and Viet Nam's (vn-mone) may not
    receive them, acme-jp may; cancellation and retirement are no entities' accounts."""
    issue_unauthorized(registry)
    authorize(registry, "1-50", purposes=["ndc", "oimp"], entities=["acme-jp"], decision_ref="VNM-MONRE-2026-9")
    before = state(registry)
    for receiver, holder in ((registry.jp_gov, "moej"), (registry.vn_gov, "vn-mone")):
        with registry.database.unit_of_work() as session, pytest.raises(Conflict) as refused:
            service.transfer(session, OPERATOR, registry.vn_pp, receiver, None, _serial(1, 10))
        assert refused.value.detail == (
            f"account {receiver} is held by {holder}, which is not an authorized entity of authorization "
            "VNM-MONRE-2026-9 (serials 1-50, version 1); the authorized entities are acme-jp"
        )
        assert translate(refused.value.message, "ja") == (
            f"口座 {receiver} の保有者 {holder} は、承認 VNM-MONRE-2026-9（シリアル 1-50、第 1 版）の"
            "承認された主体ではありません。承認された主体は acme-jp です"
        )
    assert state(registry) == before
    with registry.database.unit_of_work() as session:
        service.transfer(session, OPERATOR, registry.vn_pp, registry.vn_gov, None, _serial(51, 60))  # not covered
        sent = service.transfer(session, OPERATOR, registry.vn_pp, registry.jp_pp, None, _serial(1, 10))
        service.cancel(session, OPERATOR, registry.vn_pp, None, _serial(11, 12))
    with registry.database.unit_of_work() as session:
        service.resolve_pending(session, OPERATOR, sent.key, True)
    assert adjustments(registry) == [("VNM", "first_transfer", 2), ("VNM", "first_transfer", 10)]
    check_clean(registry)


def _retirement(registry: Registry, seq: int) -> dict[str, Any]:
    with registry.database.reading() as session:
        view = next(r for r in queries.retirements(session) if r.seq == seq)
        dump = next(r for r in opendata.open_data(session).retirements if r.id == f"retirement:{seq}")
    assert dump.registry == view.registry
    shown = {"registry", "credits", "authorized_credits", "purposes", "first_transferred_credits"}
    return view.model_dump(include=shown)


def test_a_retirement_keeps_the_labels_of_its_time_and_names_the_registry_it_was_made_in(registry: Registry) -> None:
    """Serials 1-10, authorized for NDCs, go to Japan and are retired there; 41-45 are retired in Viet Nam
    before any record covers them. Amending the first record and authorizing the second range later
    changes neither retirement: each shows the records in force when it was made, as the history does."""
    issue_unauthorized(registry)
    authorize(registry, "1-20", purposes=["ndc"])
    with registry.database.unit_of_work() as session:
        sent = service.transfer(session, OPERATOR, registry.vn_pp, registry.jp_pp, None, _serial(1, 10))
    with registry.database.unit_of_work() as session:
        service.resolve_pending(session, OPERATOR, sent.key, True)
    with registry.database.unit_of_work() as session:
        abroad = service.retire(session, OPERATOR, registry.jp_pp, "NDC", "Japan", None, _serial(1, 10)).seq
        at_home = service.retire(session, OPERATOR, registry.vn_pp, "NDC", "Viet Nam", None, _serial(41, 45)).seq
    then = {seq: _retirement(registry, seq) for seq in (abroad, at_home)}
    assert then[abroad] == {
        "registry": "JPN",  # retired from Japan's registry, though Viet Nam's registry numbered the credits
        "credits": 10,
        "authorized_credits": 10,
        "purposes": ["ndc"],
        "first_transferred_credits": 10,
    }
    assert then[at_home] == {
        "registry": "VNM",
        "credits": 5,
        "authorized_credits": 0,
        "purposes": [],
        "first_transferred_credits": 0,
    }

    authorize(registry, "1-20", purposes=["ndc", "oimp"], first_transfer="first_international_transfer")  # gains one
    authorize(registry, "41-60", purposes=["oimp"], first_transfer="issuance")  # retired credits stay as used
    with registry.database.reading() as session:
        records = {(a.start_serial, a.end_serial): a for i in queries.issuances(session) for a in i.authorizations}
        history = credit_history(session, _serial(1, 10))
    assert records[(1, 20)].purposes == ["ndc", "oimp"] and records[(1, 20)].version == 2
    assert records[(41, 60)].purposes == ["oimp"]
    assert {seq: _retirement(registry, seq) for seq in (abroad, at_home)} == then
    retiring = [n for n in history.nodes if n.event == "retirement"]
    assert [n.purposes for n in retiring] == [["ndc"]]  # the history's retirement node tells the same
    check_clean(registry)


def _wait_for_lock_waits(engine: Any, count: int) -> None:
    """Until ``count`` sessions of this database wait for a lock (PostgreSQL's own view of them)."""
    deadline = time.monotonic() + 30
    with engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            watcher.rollback()
            if waiting >= count:
                return
            time.sleep(0.05)
    raise AssertionError(f"fewer than {count} sessions came to wait for a lock")


HEAD_LOCK = "SELECT seq FROM credit_journal_head WHERE id = 1 FOR UPDATE"


def race(
    registry: Registry, first: Callable[[], Any], second: Callable[[], Any], holding: str = HEAD_LOCK
) -> dict[str, Any]:
    """Run ``first`` in a thread until it waits for a row a third connection holds (``holding``: the
    journal's head unless told), then ``second`` in another until it waits too (before or after reading
    what it reads); release both. What each returned, or the refusal it raised, under ``amendment``
    (first) and ``transfer`` (second)."""
    outcome: dict[str, Any] = {}

    def run(name: str, command: Callable[[], Any]) -> None:
        try:
            outcome[name] = command()
        except C3PError as refused:
            outcome[name] = refused

    engine = registry.database.engine
    threads = [threading.Thread(target=run, args=pair) for pair in (("amendment", first), ("transfer", second))]
    with engine.connect() as head:
        head.execute(text(holding))
        for count, thread in enumerate(threads, 1):
            thread.start()
            _wait_for_lock_waits(engine, count)
        head.rollback()
    for thread in threads:
        thread.join(60)
    assert set(outcome) == {"amendment", "transfer"}, outcome
    return outcome


def test_a_transfer_racing_an_amendment_that_removes_its_receiver_is_refused_or_comes_first(
    registry: Registry, backend: str
) -> None:
    """Two connections: the host amends the record of serials 1-50 to drop vn-mone while acme-vn sends
    serials 1-10 to vn-mone's account. The transfer reads the record while the amendment is under way
    (held at the journal's head by a third connection) and writes after it committed: it must not move
    the credits on the record it read. It is refused, or comes before the amendment in the journal (credits
    held when a record is made stay there, as the rules say), never after it."""
    if backend != "postgresql":
        pytest.skip("SQLite takes its write lock (BEGIN IMMEDIATE) before a writer reads anything: no race")
    issue_unauthorized(registry)
    authorize(registry, "1-50", purposes=["ndc"], entities=["acme-vn", "vn-mone"])

    def amend() -> Any:
        return authorize(registry, "1-50", purposes=["ndc"], entities=["acme-vn"]).journal_seq

    def send() -> Any:
        with registry.database.unit_of_work() as session:
            return service.transfer(session, OPERATOR, registry.vn_pp, registry.vn_gov, None, _serial(1, 10)).seq

    outcome = race(registry, amend, send)
    transfer = outcome["transfer"]
    assert isinstance(outcome["amendment"], int), outcome
    if isinstance(transfer, C3PError):
        assert isinstance(transfer, Conflict) and "not an authorized entity" in transfer.detail
        with registry.database.reading() as session:
            held = session.execute(
                select(CreditBlock.start_serial, CreditBlock.end_serial).where(
                    CreditBlock.account_id
                    == select(CreditAccount.id).where(CreditAccount.number == registry.vn_gov).scalar_subquery()
                )
            ).all()
        assert held == []
    else:
        assert transfer < outcome["amendment"], "credits moved to vn-mone on a record it no longer lists"
    check_clean(registry)
