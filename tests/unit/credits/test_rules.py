"""The pure ledger rules: serial format, blocks, balanced legs, journal hashing, Article 6."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from c3p.credits.rules import article6
from c3p.credits.rules.blocks import Block, normalize, take
from c3p.credits.rules.holding_accounts import AccountKind
from c3p.credits.rules.issuance import (
    check_allocation,
    check_model_project_share,
    check_report_verified,
    check_within_verified,
)
from c3p.credits.rules.journal import GENESIS, StoredEntry, canonical, entry_hash, first_bad_entry
from c3p.credits.rules.serials import MAX_PERIOD, MAX_UNIT, SerialFormat
from c3p.credits.rules.transactions import Leg, Move, check_amount, check_balanced, legs_for
from c3p.errors import Conflict, InvalidInput


def test_a_serial_encodes_registry_host_project_period_and_unit() -> None:
    fmt = SerialFormat()
    assert fmt.unit("JPN", "VNM", "vn-007", 3, 42) == "JCM-JPN-VNM-VN007-003-000000000042"
    parsed = fmt.parse("jcm-jpn-vnm-vn007-003-000000000042-000000000100")
    assert (parsed.registry, parsed.host, parsed.project, parsed.period, parsed.start, parsed.end) == (
        "JPN",
        "VNM",
        "VN007",
        3,
        42,
        100,
    )
    assert parsed.credits == 59


def test_the_serial_format_is_configurable() -> None:
    fmt = SerialFormat(prefix="JCMX", separator=".", unit_digits=8)
    text = fmt.block("MNG", "MNG", "MN003", 1, 1, 10)
    assert text == "JCMX.MNG.MNG.MN003.001.00000001.00000010"
    assert fmt.parse(text).end == 10
    with pytest.raises(ValueError):
        SerialFormat(prefix="bad prefix")


@pytest.mark.parametrize("text", ["", "JCM-JPN", "JCM-JPN-VNM-X-1-0", "JCM-JPN-VNM-X-1-5-4", "XYZ-JPN-VNM-X-1-1"])
def test_malformed_serials_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"expected e\.g\. JCM-|range is empty"):
        SerialFormat().parse(text)


@given(st.integers(1, MAX_UNIT - 10**6), st.integers(0, 10**6), st.integers(1, MAX_PERIOD))
def test_serials_round_trip(start: int, length: int, period: int) -> None:
    fmt = SerialFormat()
    parsed = fmt.parse(fmt.block("JPN", "IDN", "ID017", period, start, start + length))
    assert (parsed.start, parsed.end, parsed.period) == (start, start + length, period)


def test_carving_splits_a_block_into_up_to_three_pieces() -> None:
    block = Block("JPN", 1, 100, 7, 1)
    assert [(p.start, p.end, p.account_id) for p in block.carve(1, 100, 9)] == [(1, 100, 9)]
    assert [(p.start, p.end, p.account_id) for p in block.carve(1, 10, 9)] == [(1, 10, 9), (11, 100, 7)]
    assert [(p.start, p.end, p.account_id) for p in block.carve(91, 100, 9)] == [(1, 90, 7), (91, 100, 9)]
    with pytest.raises(InvalidInput):
        block.carve(90, 101, 9)


@given(st.lists(st.integers(1, 50), min_size=1, max_size=20), st.data())
def test_take_moves_exactly_what_is_asked_lowest_serials_first(sizes: list[int], data: st.DataObject) -> None:
    blocks, start = [], 1
    for size in sizes:
        blocks.append(Block("JPN", start, start + size - 1, 1, 1))
        start += size + 3  # gaps between blocks
    wanted = data.draw(st.integers(1, sum(sizes)))
    parts = take(blocks, wanted)
    assert sum(p.credits for p in parts) == wanted
    assert [p.start for p in parts] == sorted(p.start for p in parts)
    assert parts[0].block.start == 1
    assert all(p.end == p.block.end for p in parts)  # a partly taken block keeps its start


def test_take_refuses_more_than_is_held() -> None:
    with pytest.raises(InvalidInput, match="holds only 5"):
        take([Block("JPN", 1, 5, 1, 1)], 6)


@given(st.lists(st.tuples(st.integers(1, 30), st.integers(1, 3)), min_size=1, max_size=30))
def test_normalize_merges_neighbours_and_keeps_every_credit(runs: list[tuple[int, int]]) -> None:
    blocks, start = [], 1
    for size, account in runs:
        blocks.append(Block("JPN", start, start + size - 1, account, 1))
        start += size
    merged = normalize(reversed(blocks))
    assert sum(b.credits for b in merged) == sum(size for size, _ in runs)
    assert all(a.account_id != b.account_id for a, b in itertools.pairwise(merged))


def test_normalize_refuses_a_serial_in_two_blocks() -> None:
    with pytest.raises(ValueError, match="two blocks"):
        normalize([Block("JPN", 1, 10, 1, 1), Block("JPN", 10, 12, 2, 1)])


@given(st.lists(st.tuples(st.sampled_from(["JPN", "VNM"]), st.integers(1, 1000), st.integers(5, 9)), max_size=20))
def test_legs_always_balance(moves: list[tuple[str, int, int]]) -> None:
    built, unit = [], 1
    for registry, credits, to in moves:
        built.append(Move(registry, unit, unit + credits - 1, None if to == 9 else to - 1, to, 1))
        unit += credits
    legs = legs_for(built, {"JPN": 1, "VNM": 2})
    assert sum(leg.credits for leg in legs) == 0


def test_unbalanced_legs_are_refused() -> None:
    with pytest.raises(ValueError, match="sum to 3"):
        check_balanced([Leg(1, -2), Leg(2, 5)])


@pytest.mark.parametrize("value", [0, -1, 1.5, "3", True, None])
def test_amounts_are_whole_positive_numbers(value: object) -> None:
    with pytest.raises(InvalidInput):
        check_amount(value)


def test_entry_hashes_chain_and_the_first_bad_entry_is_found() -> None:
    entries, previous = [], GENESIS
    for seq in range(1, 6):
        text = canonical({"seq": seq, "kind": "transfer", "legs": [[1, -seq], [2, seq]]})
        sealed = entry_hash(previous, text)
        entries.append(StoredEntry(seq, text, previous, sealed))
        previous = sealed
    assert first_bad_entry(entries) is None
    tampered = list(entries)
    tampered[2] = StoredEntry(3, entries[2].text.replace("-3", "-4"), entries[2].previous_hash, entries[2].hash)
    assert first_bad_entry(tampered).seq == 3  # type: ignore[union-attr]
    assert first_bad_entry(entries[:2] + entries[3:]).seq == 3  # type: ignore[union-attr]


def test_canonical_json_does_not_depend_on_key_order() -> None:
    assert canonical({"b": 1, "a": "ü"}) == canonical({"a": "ü", "b": 1}) == '{"a":"ü","b":1}'


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
)


@given(st.dictionaries(st.text(), _JSON, max_size=6))
def test_canonical_json_is_json_dumps_with_sorted_keys_no_spaces_and_utf8(value: dict[str, object]) -> None:
    assert canonical(value) == json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_canonical_json_refuses_what_json_refuses() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        canonical({"a": {1, 2}})


def test_first_transfer_and_use() -> None:
    assert article6.is_first_transfer(True, "VNM", "JPN", "participant_holding", already=False)
    assert not article6.is_first_transfer(True, "VNM", "JPN", "participant_holding", already=True)
    assert not article6.is_first_transfer(False, "VNM", "JPN", "participant_holding", already=False)
    assert article6.is_first_transfer(True, "VNM", "VNM", "cancellation", already=False)
    assert article6.is_use(True, "VNM", "JPN", "retirement")
    assert not article6.is_use(True, "VNM", "VNM", "retirement")


@given(
    st.builds(
        article6.Movement,
        st.integers(1, 10**12),
        st.booleans(),
        st.booleans(),
        st.sampled_from(["VNM", "JPN", "MNG"]),
        st.sampled_from(["VNM", "JPN", "MNG"]),
        st.sampled_from([str(kind) for kind in AccountKind]),
    ),
    st.integers(2000, 2100),
)
def test_only_a_move_that_may_adjust_calls_for_an_adjustment(movement: article6.Movement, year: int) -> None:
    """The shortcut the ledger's replay takes: a move that may not adjust calls for no adjustment."""
    if not article6.may_adjust(movement.first_transfer, movement.authorized):
        assert article6.adjustments_for([movement], year) == []


def test_a_model_project_gives_at_least_half_to_japans_government() -> None:
    check_model_project_share(model_project=True, credits=10, to_japan=5)
    check_model_project_share(model_project=False, credits=10, to_japan=0)
    with pytest.raises(InvalidInput, match="at least half"):
        check_model_project_share(model_project=True, credits=10, to_japan=4)


def test_an_allocation_adds_up_and_names_each_account_once() -> None:
    check_allocation(10, [("JPN-G-000001", 6), ("VNM-P-000002", 4)])
    with pytest.raises(InvalidInput, match="sums to 9"):
        check_allocation(10, [("JPN-G-000001", 6), ("VNM-P-000002", 3)])
    with pytest.raises(InvalidInput, match="twice"):
        check_allocation(10, [("JPN-G-000001", 5), ("JPN-G-000001", 5)])


def test_issuance_needs_a_verified_report_with_reductions_left() -> None:
    check_report_verified(1, "verified")
    with pytest.raises(Conflict, match="must verify"):
        check_report_verified(1, "submitted")
    check_within_verified(credits=40, report_id=1, verified_tco2=100, issued=60)
    with pytest.raises(Conflict, match="only 39"):
        check_within_verified(credits=40, report_id=1, verified_tco2=100, issued=61)


@pytest.mark.parametrize(
    "text",
    [
        "JCM-JPN-VNM-VN001-001-1000000000000",
        "JCM-JPN-VNM-VN001-000-000000000001",
        "JCM-JPN-VNM-VN001-1000-000000000001",
    ],
)
def test_serials_past_their_bounds_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"serial numbers end at|period numbers run from 1"):
        SerialFormat().parse(text)


@pytest.mark.parametrize("credits", [10**12 + 1, 9 * 10**18])
def test_absurd_amounts_are_refused(credits: int) -> None:
    with pytest.raises(InvalidInput, match="at most 1000000000000"):
        check_amount(credits)
    assert check_amount(10**12) == 10**12


def test_a_serial_must_name_the_credits_it_numbers() -> None:
    fmt = SerialFormat()
    parsed = fmt.parse("JCM-JPN-VNM-VN007-001-000000000001-000000000010")
    fmt.check_names(parsed, "VNM", "vn-007", 1)
    for host, project, period in (("THA", "vn-007", 1), ("VNM", "vn-008", 1), ("VNM", "vn-007", 2)):
        with pytest.raises(InvalidInput, match="names VNM VN007 001"):
            fmt.check_names(parsed, host, project, period)
