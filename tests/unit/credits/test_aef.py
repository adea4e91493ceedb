"""The Article 6.2 report's rules: unique identifiers, the checks, and a property over random histories.

The property drives the real credit service over the in-memory store through random operations
spread over three years (issuances authorized or not, transfers inside and across registries,
acceptances and rejections, uses, cancellations, authorizations of ranges under every
first-transfer definition and with or without authorized entities), then asks for both countries'
reports of every year: each must pass its checks (Japan's acquisitions mirror Viet Nam's
transfers, serial for serial, and back; holdings equal the balances replayed at 31 December),
and the holdings must add up to what the replay holds in authorized credits.
"""

from __future__ import annotations

import datetime as dt
import re
from contextlib import suppress

import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c3p.accounts.rules.policy import Actor
from c3p.credits import service
from c3p.credits.rules import aef
from c3p.credits.rules.aef import ActionType, CheckName
from c3p.credits.rules.authorizations import FirstTransfer
from c3p.credits.schemas import IssuanceNotice
from c3p.errors import C3PError
from tests.support.credit_store import MemoryStore

OPERATOR = Actor.operator("test")
#: the UNFCCC AEF check's pattern of a decision 6/CMA.4 unique identifier
UNIQUE_ID = re.compile(r"CA\d{4}-[A-Z]{3}\d{2}-[A-Z]{3}-[1-9]\d{0,2}((\d*)|(,\d{3})*)-\d{4}")
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
YEARS = (2025, 2026, 2027)


class Partnership:
    """Japan's and Viet Nam's registries, two holding accounts each, over the in-memory store."""

    def __init__(self) -> None:
        self.store = MemoryStore()
        for slug in ("moej", "vn-mone", "acme-jp", "acme-vn"):
            self.store.add_organization(slug)
        opened = [
            ("JPN", "government_holding", "moej"),
            ("JPN", "participant_holding", "acme-jp"),
            ("VNM", "government_holding", "vn-mone"),
            ("VNM", "participant_holding", "acme-vn"),
        ]
        with time_machine.travel(START, tick=False):
            self.accounts = [service.open_account(self.store, OPERATOR, *args).number for args in opened]
        self.pending: list[str] = []
        self.refs: list[str] = []

    def issue(self, lines: list[tuple[int, int]], authorized: bool, first_transfer: str | None = None) -> None:
        ref = f"JC-{len(self.refs) + 1}"
        total = sum(credits for _a, credits in lines)
        report = self.store.add_report("VNM", "VN007", verified_tco2=total)
        allocation = [{"account": self.accounts[a], "credits": c} for a, c in lines]
        notice = {"notification_ref": ref, "report_id": report, "credits": total, "allocation": allocation}
        terms = {"authorized": authorized, "model_project": False, "first_transfer": first_transfer}
        service.issue(self.store, OPERATOR, IssuanceNotice.model_validate({**notice, **terms}))
        self.refs.append(ref)

    def transfer(self, source: int, target: int, credits: int) -> None:
        view = service.transfer(self.store, OPERATOR, self.accounts[source], self.accounts[target], credits)
        if view.status == "pending":
            self.pending.append(view.key)


def _operation(world: Partnership, data: st.DataObject) -> None:
    kind = data.draw(
        st.sampled_from(["issue", "transfer", "resolve", "retire", "cancel", "authorize", "authorize_range"])
    )
    account = st.integers(0, 3)
    if kind == "issue":
        lines = data.draw(
            st.lists(st.tuples(account, st.integers(1, 300)), min_size=1, max_size=3, unique_by=lambda x: x[0])
        )
        world.issue(lines, data.draw(st.booleans()), data.draw(st.sampled_from([None, *DEFINITIONS])))
    elif kind == "transfer":
        world.transfer(data.draw(account), data.draw(account), data.draw(st.integers(1, 200)))
    elif kind == "resolve" and world.pending:
        key = world.pending.pop(data.draw(st.integers(0, len(world.pending) - 1)))
        service.resolve_pending(world.store, OPERATOR, key, data.draw(st.booleans()))
    elif kind in ("retire", "cancel"):
        number, credits = world.accounts[data.draw(account)], data.draw(st.integers(1, 100))
        if kind == "retire":
            service.retire(world.store, OPERATOR, number, "NDC", "someone", credits)
        else:
            service.cancel(world.store, OPERATOR, number, credits)
    elif kind == "authorize" and world.refs:
        status = data.draw(st.sampled_from(["authorized", "not_authorized"]))
        service.authorize(world.store, OPERATOR, data.draw(st.sampled_from(world.refs)), status)
    elif kind == "authorize_range" and world.refs:
        start = data.draw(st.integers(1, 400))
        serials = f"{start}-{start + data.draw(st.integers(0, 100))}"
        purposes = data.draw(st.sampled_from([["ndc"], ["oimp"], ["ndc", "oimp"]]))
        ref = data.draw(st.sampled_from(world.refs))
        registry = data.draw(st.sampled_from(["JPN", "VNM"]))
        # every definition, and an entity list that refuses some transfers (or none, which refuses nothing)
        definition = data.draw(st.sampled_from([None, *DEFINITIONS]))
        entities = data.draw(st.sampled_from([["acme-jp"], ["acme-jp", "moej", "vn-mone", "acme-vn"], []]))
        service.authorize_range(
            world.store, OPERATOR, ref, serials, purposes, entities, "D-1", "2025-01-01", definition, registry
        )


#: every first-transfer definition an authorization may name
DEFINITIONS = [str(d) for d in FirstTransfer]


def random_history(data: st.DataObject, steps: int) -> Partnership:
    """``steps`` random operations on days spread over the three years."""
    world = Partnership()
    days = sorted(data.draw(st.lists(st.integers(1, 3 * 365), min_size=steps, max_size=steps)))
    for n, day in enumerate(days):
        # a refused operation changes nothing (the ledger's own property test holds it to that)
        with time_machine.travel(START + dt.timedelta(days=day, seconds=n), tick=False), suppress(C3PError):
            _operation(world, data)
    return world


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), steps=st.integers(1, 60))
def test_both_reports_are_consistent_for_any_history(data: st.DataObject, steps: int) -> None:
    world = random_history(data, steps)
    for year in YEARS:
        state = aef.replay(world.store.journal, year)
        for country in ("JPN", "VNM"):
            report = aef.checked_report(state, country)
            assert report.consistent, (year, country, report.checks)
            held = sum(
                b.credits
                for b in state.ledger.blocks()
                if state.ledger.accounts[b.account_id].registry == country
                and state.ledger.accounts[b.account_id].kind in aef.HELD_KINDS
                and state.ledger.authorization_of(b.issuance_id, b.registry, b.start, b.end) is not None
            )
            assert sum(h.quantity_tco2e for h in report.holdings) == held
            for row in [*report.actions, *report.holdings]:
                assert UNIQUE_ID.fullmatch(row.first_id) and UNIQUE_ID.fullmatch(row.last_id)
                assert row.action_date[:4] == str(year) if isinstance(row, aef.ActionRow) else True


def _two_year_world() -> Partnership:
    world = Partnership()
    with time_machine.travel(dt.datetime(2025, 5, 1, tzinfo=dt.UTC), tick=False):
        world.issue([(0, 60), (3, 40)], authorized=True)
    with time_machine.travel(dt.datetime(2025, 7, 1, tzinfo=dt.UTC), tick=False):
        world.transfer(3, 1, 10)
        service.resolve_pending(world.store, OPERATOR, world.pending.pop(), True)
    return world


def test_a_tampered_holding_fails_the_holdings_check() -> None:
    state = aef.replay(_two_year_world().store.journal, 2025)
    report = aef.checked_report(state, "VNM")
    assert report.consistent
    first = report.holdings[0]
    tampered = report.model_copy(
        update={"holdings": [first.model_copy(update={"quantity_tco2e": first.quantity_tco2e + 1})]}
    )
    checked = aef.with_checks(tampered, state, [aef.report(state, "JPN")])
    holdings = next(c for c in checked.checks if c.name == CheckName.holdings)
    assert not holdings.passed and holdings.differences


def test_an_acquisition_missing_from_japans_report_fails_the_mirror_check() -> None:
    state = aef.replay(_two_year_world().store.journal, 2025)
    japan = aef.report(state, "JPN")
    dropped = japan.model_copy(update={"actions": [a for a in japan.actions if a.quantity_tco2e != 10]})
    checked = aef.with_checks(aef.report(state, "VNM"), state, [dropped])
    mirror = next(c for c in checked.checks if c.name == CheckName.mirror)
    assert not mirror.passed and mirror.differences == ["VNM 31-40 ×1"]


def test_holdings_are_frozen_at_the_end_of_the_year() -> None:
    world = _two_year_world()
    with time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tick=False):  # the first instant of 2026
        service.retire(world.store, OPERATOR, world.accounts[0], "NDC", "Japan", 60)
    before, after = (aef.checked_report(aef.replay(world.store.journal, y), "JPN") for y in (2025, 2026))
    assert sum(h.quantity_tco2e for h in before.holdings) == 70 and not before.of_type(ActionType.use)
    assert sum(h.quantity_tco2e for h in after.holdings) == 10 and len(after.of_type(ActionType.use)) == 1


def test_a_range_that_crosses_back_and_forth_in_one_year_is_counted_twice_on_both_sides() -> None:
    world = _two_year_world()
    with time_machine.travel(dt.datetime(2025, 8, 1, tzinfo=dt.UTC), tick=False):
        world.transfer(0, 2, 10)  # Japan's government sends 10 to Viet Nam's …
        service.resolve_pending(world.store, OPERATOR, world.pending.pop(), True)
        world.transfer(2, 1, 10)  # … which sends the same 10 back to Japan's participant
        service.resolve_pending(world.store, OPERATOR, world.pending.pop(), True)
    state = aef.replay(world.store.journal, 2025)
    japan, vietnam = aef.checked_report(state, "JPN"), aef.checked_report(state, "VNM")
    assert japan.consistent and vietnam.consistent, (japan.checks, vietnam.checks)
    back = [a for a in japan.of_type(ActionType.acquisition) if a.action_date.startswith("2025-08")]
    assert [(a.first_unit, a.last_unit) for a in back] == [(51, 60)]
    assert _credits_of(vietnam, ActionType.acquisition) == _credits_of(vietnam, ActionType.transfer) == 10


def _credits_of(report: aef.AefReport, kind: ActionType) -> int:
    return sum(a.quantity_tco2e for a in report.of_type(kind))


def test_a_partial_authorization_is_reported_by_its_records_and_entities() -> None:
    """Serials 11-30 of a 100-credit issuance in Viet Nam, authorized for OIMP; 1-40 go to Japan."""
    world = Partnership()
    with time_machine.travel(dt.datetime(2025, 5, 1, tzinfo=dt.UTC), tick=False):
        world.issue([(3, 100)], authorized=False)
        service.authorize_range(
            world.store, OPERATOR, "JC-1", "11-30", ["oimp"], ["acme-jp", "acme-vn"], "VNM-7", "2025-04-30"
        )
    with time_machine.travel(dt.datetime(2025, 7, 1, tzinfo=dt.UTC), tick=False):
        service.transfer(world.store, OPERATOR, world.accounts[3], world.accounts[1], None, _serials(1, 40))
        world.pending.append(world.store.journal[-1].key)
        service.resolve_pending(world.store, OPERATOR, world.pending.pop(), True)
    state = aef.replay(world.store.journal, 2025)
    vietnam, japan = aef.checked_report(state, "VNM"), aef.checked_report(state, "JPN")
    assert vietnam.consistent and japan.consistent, (vietnam.checks, japan.checks)
    [row] = vietnam.authorizations
    assert (row.first_unit, row.last_unit, row.quantity_tco2e, row.purposes) == (11, 30, 20, "OIMP")
    assert (row.first_transfer_definition_oimp, row.decision_ref, row.decided_on) == (
        "Use or cancellation",
        "VNM-7",
        "2025-04-30",
    )
    assert [(e.entity, e.first_unit, e.last_unit) for e in vietnam.entities] == [
        ("acme-jp", 11, 30),
        ("acme-vn", 11, 30),
    ]
    # authorized for OIMP only, "use or cancellation": crossing to Japan is a transfer, not yet the first one
    assert not vietnam.of_type(ActionType.first_transfer)
    assert [(a.first_unit, a.last_unit) for a in vietnam.of_type(ActionType.transfer)] == [(11, 30)]
    assert sum(h.quantity_tco2e for h in japan.holdings) == 20  # 1-10 and 31-40 are held, not in the AEF
    assert next(b for b in japan.balances if b.account == world.accounts[1]).other_credits == 20


def _serials(start: int, end: int) -> str:
    return f"JCM-VNM-VNM-VN007-001-{start:012d}-{end:012d}"
