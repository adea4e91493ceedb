"""A property joining the two halves of Article 6.2: the corresponding adjustments and the annual reports.

Random operations over three years drive the real credit service (as in test_aef.py). Then, per
country and year, the adjustments computed from the journal (and those the service recorded)
equal what the country's report tables imply: the host's additions are its "First transfer"
rows, a country's subtractions its "Use" rows of credits hosted elsewhere (a host's use of its
own credits is domestic, no adjustment). Both countries' reports mirror each other, in credits
as well as serial for serial, and averaging spreads the same totals over the period. The
histories (now with authorizations under every first-transfer definition) hold the property
too: every issued range's history sums to what was issued and ends where the ledger holds it,
first-transferred or not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c3p.credits.article6_checks import itmos_in
from c3p.credits.rules import adjustments as rules
from c3p.credits.rules import aef
from c3p.credits.rules.aef import ActionType, AefReport
from c3p.credits.rules.article6 import Adjustment, AdjustmentKind
from c3p.credits.rules.blocks import normalize
from c3p.credits.rules.history import history
from c3p.credits.rules.ledger import AdjustmentState, Ledger
from c3p.credits.rules.transactions import Entry
from tests.unit.credits.test_aef import YEARS, random_history

COUNTRIES = ("JPN", "VNM")


def _by_year(adjustments: Iterable[Adjustment | AdjustmentState]) -> dict[tuple[str, int], rules.Itmos]:
    sums: dict[tuple[str, int, AdjustmentKind], int] = defaultdict(int)
    for a in adjustments:
        sums[(a.country, a.year, a.kind)] += a.credits
    return {
        (c, y): rules.Itmos(sums[(c, y, AdjustmentKind.first_transfer)], sums[(c, y, AdjustmentKind.use)])
        for c in COUNTRIES
        for y in YEARS
    }


def _credits_between(sender: AefReport, receiver: AefReport) -> tuple[int, int]:
    sent = sender.of_type(ActionType.first_transfer, ActionType.transfer)
    acquired = receiver.of_type(ActionType.acquisition)
    return (
        sum(r.quantity_tco2e for r in sent if r.acquiring_party == receiver.country),
        sum(r.quantity_tco2e for r in acquired if r.transferring_party == sender.country),
    )


def _period(method: str) -> rules.NdcPeriod:
    return rules.NdcPeriod(
        first_year=YEARS[0], last_year=YEARS[-1], target_year=YEARS[-1], method=method, source="test", assumed=True
    )


def _each_history_sums_to_what_was_issued(journal: list[Entry], ledger: Ledger) -> None:
    """Every issued range's history ends in leaves that add up to it, where the ledger holds them."""
    for issuance_id, ranges in ledger.issued.items():
        for registry, start, end in ranges:
            tree = history(journal, registry, start, end)
            leaves = tree.leaves()
            assert tree.issued_credits == sum(n.credits for n in leaves) == end - start + 1, issuance_id
            for node in leaves:
                block = ledger.block_at(registry, node.start)
                assert block is not None and block.account_id == node.account_id
                assert block.first_transferred == node.first_transferred, (registry, node.start)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), steps=st.integers(1, 60))
def test_adjustments_equal_what_the_reports_imply_and_the_reports_mirror(data: st.DataObject, steps: int) -> None:
    world = random_history(data, steps)
    ledger = Ledger()
    for entry in world.store.journal:
        ledger.apply(entry)
    proven = _by_year(ledger.adjustments)
    assert proven == _by_year([a for a, _seq in world.store.adjustments])  # recorded = replayed
    assert normalize(world.store.blocks.values()) == normalize(ledger.blocks())  # first-transferred marks too
    _each_history_sums_to_what_was_issued(world.store.journal, ledger)
    for year in YEARS:
        state = aef.replay(world.store.journal, year)
        reports = {c: aef.checked_report(state, c) for c in COUNTRIES}
        for country, report in reports.items():
            assert report.consistent, (year, country, report.checks)
            assert itmos_in(report) == proven[(country, year)], (year, country)
        for sender, receiver in ((reports["VNM"], reports["JPN"]), (reports["JPN"], reports["VNM"])):
            sent, acquired = _credits_between(sender, receiver)
            assert sent == acquired, (year, sender.country)
    for country in COUNTRIES:
        itmos = {y: proven[(country, y)] for y in YEARS}
        for method in ("trajectory", "multi_year"):
            due = rules.due_adjustments(_period(method), itmos, YEARS[-1])
            assert [(d.addition_credits, d.subtraction_credits) for d in due] == [
                (itmos[y].first_transferred, itmos[y].used) for y in YEARS
            ]
        averaged = rules.due_adjustments(_period("averaging"), itmos, YEARS[-1])
        added, used = sum(i.first_transferred for i in itmos.values()), sum(i.used for i in itmos.values())
        years = len(YEARS)
        assert all(added <= d.addition_credits * years < added + years for d in averaged)
        assert all(used - years < d.subtraction_credits * years <= used for d in averaged)
