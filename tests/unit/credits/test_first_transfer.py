"""Hand cases of the first-transfer definitions an authorization names, exact to the tonne.

Decision 2/CMA.3, annex, para 2(b): for credits authorized for other international mitigation
purposes (OIMP) the host chooses when they are first transferred (authorization, issuance, or
use or cancellation); towards NDCs it is the first international transfer. Each case drives the
real credit service over the in-memory store through Viet Nam hosting a project, and reads the
adjustments the service recorded, those the replayed journal proves, and both countries'
reports for the year.
"""

from __future__ import annotations

import datetime as dt
import doctest
from collections import defaultdict

import pytest
import time_machine

from c3p.credits import service
from c3p.credits.article6_checks import itmos_in
from c3p.credits.rules import aef, article6, authorizations
from c3p.credits.rules import history as history_rules
from c3p.credits.rules.adjustments import Itmos
from c3p.credits.rules.aef import ActionType
from c3p.credits.rules.ledger import Ledger
from c3p.errors import Conflict, InvalidInput
from tests.unit.credits.test_aef import OPERATOR, Partnership

#: the Partnership's accounts, by index
JAPAN_GOVERNMENT, JAPAN_PARTICIPANT, VIET_NAM_GOVERNMENT, VIET_NAM_PARTICIPANT = range(4)


def _at(year: int, month: int) -> time_machine.travel:
    return time_machine.travel(dt.datetime(year, month, 1, tzinfo=dt.UTC), tick=False)


def _serials(start: int, end: int, registry: str = "VNM") -> str:
    return f"JCM-{registry}-VNM-VN007-001-{start:012d}-{end:012d}"


def _authorize(world: Partnership, serials: str, purposes: list[str], definition: str, entities: list[str]) -> None:
    service.authorize_range(
        world.store, OPERATOR, "JC-1", serials, purposes, entities, "VNM-MONRE-7", "2025-01-10", definition, "VNM"
    )


def _ledger(world: Partnership) -> Ledger:
    ledger = Ledger()
    for entry in world.store.journal:
        ledger.apply(entry)
    ledger.check()
    return ledger


def _itmos(world: Partnership) -> dict[tuple[str, int], Itmos]:
    """The adjustments the journal proves, per country and year; the service must have recorded the same."""
    proven: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    for a in _ledger(world).adjustments:
        proven[(a.country, a.year)][0 if a.kind == "first_transfer" else 1] += a.credits
    recorded: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    for a, _seq in world.store.adjustments:
        recorded[(a.country, a.year)][0 if a.kind == "first_transfer" else 1] += a.credits
    assert recorded == proven
    return {key: Itmos(*value) for key, value in proven.items()}


def _reports(world: Partnership, year: int) -> tuple[aef.AefReport, aef.AefReport]:
    state = aef.replay(world.store.journal, year)
    vietnam, japan = aef.checked_report(state, "VNM"), aef.checked_report(state, "JPN")
    assert vietnam.consistent and japan.consistent, (vietnam.checks, japan.checks)
    return vietnam, japan


def _first_transfers(report: aef.AefReport) -> list[tuple[int, int, str, str]]:
    rows = report.of_type(ActionType.first_transfer)
    return [(r.first_unit, r.last_unit, r.action_subtype, r.acquiring_party) for r in rows]


def test_authorization_first_transfers_the_issued_credits_when_it_is_recorded() -> None:
    """100 issued in Viet Nam; 21-30 retired there first; 11-40 authorized for OIMP under "authorization"."""
    world = Partnership()
    with _at(2025, 3):
        world.issue([(VIET_NAM_PARTICIPANT, 100)], authorized=False)
        service.retire(world.store, OPERATOR, world.accounts[VIET_NAM_PARTICIPANT], "NDC", "VN", None, _serials(21, 30))
    with _at(2025, 6):
        _authorize(world, "11-40", ["oimp"], "authorization", [])
    with _at(2026, 2):
        service.cancel(world.store, OPERATOR, world.accounts[VIET_NAM_PARTICIPANT], None, _serials(11, 15))
    # 11-20 and 31-40 first transferred in June 2025, where they were; 21-30 were used before they were ITMOs
    assert _itmos(world) == {("VNM", 2025): Itmos(20, 0)}
    vietnam, japan = _reports(world, 2025)
    assert _first_transfers(vietnam) == [(11, 20, "Authorization", ""), (31, 40, "Authorization", "")]
    assert itmos_in(vietnam) == Itmos(20, 0) and itmos_in(japan) == Itmos(0, 0)
    assert [row.first_transfer_definition_oimp for row in vietnam.authorizations] == ["Authorization"]
    assert not _first_transfers(_reports(world, 2026)[0])  # the cancellation is not a second first transfer


def test_issuance_first_transfers_at_issuance_when_the_notification_authorizes() -> None:
    """A notification authorizing 100 under "issuance": 70 into Viet Nam's registry, 30 into Japan's."""
    world = Partnership()
    with _at(2025, 4):
        world.issue([(VIET_NAM_PARTICIPANT, 70), (JAPAN_PARTICIPANT, 30)], authorized=True, first_transfer="issuance")
    with _at(2026, 5):
        world.transfer(VIET_NAM_PARTICIPANT, JAPAN_GOVERNMENT, 25)
        service.resolve_pending(world.store, OPERATOR, world.pending.pop(), True)
    assert _itmos(world) == {("VNM", 2025): Itmos(100, 0)}
    vietnam, japan = _reports(world, 2025)
    assert _first_transfers(vietnam) == [(1, 30, "Issuance", "JPN"), (1, 70, "Issuance", "")]
    assert [(a.first_unit, a.last_unit) for a in japan.of_type(ActionType.acquisition)] == [(1, 30)]
    later_vietnam, later_japan = _reports(world, 2026)
    assert not _first_transfers(later_vietnam)  # already first transferred: a transfer, not a first one
    assert sum(a.quantity_tco2e for a in later_vietnam.of_type(ActionType.transfer)) == 25
    assert sum(a.quantity_tco2e for a in later_japan.of_type(ActionType.acquisition)) == 25


def test_issuance_recorded_after_issuance_first_transfers_when_recorded() -> None:
    world = Partnership()
    with _at(2025, 4):
        world.issue([(VIET_NAM_GOVERNMENT, 50)], authorized=False)
    with _at(2026, 1):
        _authorize(world, "1-50", ["ndc", "oimp"], "issuance", [])
    assert _itmos(world) == {("VNM", 2026): Itmos(50, 0)}
    assert _first_transfers(_reports(world, 2026)[0]) == [(1, 50, "Issuance", "")]


def test_use_or_cancellation_for_oimp_only_waits_for_the_cancellation_wherever_it_happens() -> None:
    """1-50 authorized for OIMP only: 40 cross to Japan (a transfer), 15 are cancelled there (the first transfer)."""
    world = Partnership()
    with _at(2025, 2):
        world.issue([(VIET_NAM_PARTICIPANT, 100)], authorized=False)
        _authorize(world, "1-50", ["oimp"], "use_or_cancellation", [])
    with _at(2025, 5):
        service.transfer(
            world.store, OPERATOR, world.accounts[VIET_NAM_PARTICIPANT], world.accounts[JAPAN_PARTICIPANT], None,
            _serials(1, 40),
        )  # fmt: skip
        service.resolve_pending(world.store, OPERATOR, world.store.journal[-1].key, True)
    assert _itmos(world) == {}
    with _at(2026, 3):
        service.cancel(world.store, OPERATOR, world.accounts[JAPAN_PARTICIPANT], None, _serials(26, 40))
    assert _itmos(world) == {("VNM", 2026): Itmos(15, 0)}
    vietnam, japan = _reports(world, 2026)
    assert _first_transfers(vietnam) == [(26, 40, "Cancellation for OIMP", "")]
    assert [(a.first_unit, a.last_unit, a.purpose) for a in japan.of_type(ActionType.cancellation)] == [
        (26, 40, "OIMP")
    ]
    first_year = _reports(world, 2025)
    assert [(a.first_unit, a.last_unit) for a in first_year[0].of_type(ActionType.transfer)] == [(1, 40)]


def test_first_international_transfer_for_ndc_then_japans_use() -> None:
    """1-60 of 100 authorized for NDC use: all 100 cross to Japan (60 first transferred), 30 are retired there."""
    world = Partnership()
    with _at(2025, 2):
        world.issue([(VIET_NAM_PARTICIPANT, 100)], authorized=False)
        _authorize(world, "1-60", ["ndc"], "first_international_transfer", [])
    with _at(2025, 6):
        world.transfer(VIET_NAM_PARTICIPANT, JAPAN_GOVERNMENT, 100)
        service.resolve_pending(world.store, OPERATOR, world.pending.pop(), True)
        service.retire(world.store, OPERATOR, world.accounts[JAPAN_GOVERNMENT], "NDC", "Japan", 30)  # 31-60
    assert _itmos(world) == {("VNM", 2025): Itmos(60, 0), ("JPN", 2025): Itmos(0, 30)}
    vietnam, japan = _reports(world, 2025)
    assert _first_transfers(vietnam) == [(1, 60, "Transfer to the acquiring Party", "JPN")]
    assert itmos_in(vietnam) == Itmos(60, 0) and itmos_in(japan) == Itmos(0, 30)


@pytest.mark.parametrize(("purposes", "use", "needed"), [(["ndc"], "cancel", "oimp"), (["oimp"], "retire", "ndc")])
def test_a_use_the_purposes_do_not_allow_is_refused(purposes: list[str], use: str, needed: str) -> None:
    world = Partnership()
    with _at(2025, 2):
        world.issue([(VIET_NAM_PARTICIPANT, 10)], authorized=False)
        _authorize(world, "1-10", purposes, "first_international_transfer" if needed == "oimp" else "issuance", [])
        number = world.accounts[VIET_NAM_PARTICIPANT]
        with pytest.raises(Conflict, match=f"authorized for {purposes[0]} only, not for {needed}"):
            if use == "cancel":
                service.cancel(world.store, OPERATOR, number, 4)
            else:
                service.retire(world.store, OPERATOR, number, "NDC", "VN", 4)
    assert world.store.journal[-1].kind == "authorization"  # nothing moved


@pytest.mark.parametrize("definition", ["authorization", "issuance", "use_or_cancellation"])
def test_an_ndc_only_authorization_cannot_name_an_oimp_definition(definition: str) -> None:
    world = Partnership()
    with _at(2025, 2):
        world.issue([(VIET_NAM_PARTICIPANT, 10)], authorized=False)
        with pytest.raises(InvalidInput, match="first transferred at their first international transfer"):
            _authorize(world, "1-10", ["ndc"], definition, [])
    assert not world.store.records


def test_the_definition_cannot_change_once_credits_were_first_transferred() -> None:
    world = Partnership()
    with _at(2025, 2):
        world.issue([(VIET_NAM_PARTICIPANT, 10)], authorized=False)
        _authorize(world, "1-10", ["oimp"], "authorization", [])
        with pytest.raises(Conflict, match="10 credits of serials 1-10 were already first transferred"):
            _authorize(world, "1-10", ["oimp"], "use_or_cancellation", [])
    assert _itmos(world) == {("VNM", 2025): Itmos(10, 0)}


def test_a_range_cutting_credits_in_transit_is_refused() -> None:
    world = Partnership()
    with _at(2025, 2):
        world.issue([(VIET_NAM_PARTICIPANT, 100)], authorized=False)
        world.transfer(VIET_NAM_PARTICIPANT, JAPAN_PARTICIPANT, 20)  # 81-100 wait for Japan
        with pytest.raises(Conflict, match="serials 81-100 are on their way to the other registry"):
            _authorize(world, "50-90", ["ndc"], "first_international_transfer", [])
        _authorize(world, "50-100", ["ndc"], "first_international_transfer", [])  # whole blocks: fine
        service.resolve_pending(world.store, OPERATOR, world.pending.pop(), True)
    assert _itmos(world) == {("VNM", 2025): Itmos(20, 0)}


@pytest.mark.parametrize("module", [authorizations, aef, article6, history_rules])
def test_the_rules_examples_hold(module: object) -> None:
    assert doctest.testmod(module).failed == 0  # type: ignore[arg-type]
