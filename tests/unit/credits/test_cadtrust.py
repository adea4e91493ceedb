"""Units listed twice across registries: planted duplicates are all found, nothing else is."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from c3p.credits.rules.cadtrust import Listing, corresponding_adjustment, listed_twice, read_units
from c3p.credits.rules.labels import Labels
from c3p.errors import InvalidInput

SERIAL = "JCM-JPN-VNM-VN007-001-{:012d}"


def block(registry: str, start: int, end: int, serial: str = SERIAL) -> Listing:
    return Listing(registry, serial.format(start), serial.format(end))


def test_a_block_copied_into_another_registry_is_found_with_its_shared_units() -> None:
    ours = [block("c3p", 1, 100), block("c3p", 101, 200)]
    theirs = [block("other", 150, 260), block("other", 500, 600)]
    [overlap] = listed_twice([*ours, *theirs])
    assert (overlap.first.registry, overlap.second.registry) == ("c3p", "other")
    assert (overlap.shared_from, overlap.shared_to, overlap.credits) == (150, 200, 51)


def test_adjacent_blocks_and_other_origins_are_not_duplicates() -> None:
    listings = [
        block("c3p", 1, 100),
        block("c3p", 101, 200),
        block("other", 1, 100, "JCM-VNM-VNM-VN007-001-{:012d}"),  # another registry's own numbering
        block("other", 1, 100, "JCM-JPN-VNM-VN007-002-{:012d}"),  # another period
        block("other", 1, 100, "JCM-JPN-VNM-VN008-001-{:012d}"),  # another project
    ]
    assert listed_twice(listings) == []


def test_the_same_block_twice_in_one_registry_is_found() -> None:
    assert len(listed_twice([block("c3p", 1, 10), block("c3p", 1, 10)])) == 1


def test_serials_of_other_standards_compare_by_their_last_number() -> None:
    found = listed_twice(
        [block("a", 1, 50, "VCS-1234-2020-{}"), block("b", 40, 60, "VCS-1234-2020-{}"), block("b", 40, 60, "GS-9-{}")]
    )
    assert [(o.shared_from, o.shared_to) for o in found] == [(40, 50)]


@pytest.mark.parametrize(
    ("start", "end"),
    [(SERIAL.format(10), SERIAL.format(5)), (SERIAL.format(1), "JCM-JPN-VNM-VN008-001-000000000009"), ("X", "Y")],
)
def test_a_block_that_is_not_one_range_is_refused(start: str, end: str) -> None:
    with pytest.raises(InvalidInput):
        listed_twice([Listing("c3p", start, end)])


@pytest.mark.parametrize("units", [None, "units", [{"unitBlockStart": "A1"}], [7], {"units": {}}])
def test_unit_files_without_blocks_are_refused_naming_the_registry(units: object) -> None:
    with pytest.raises(InvalidInput, match=r"other\.json"):
        read_units(units, "other.json")


ranges = st.lists(st.tuples(st.sampled_from("ab"), st.integers(1, 60), st.integers(0, 15)), max_size=12)


@given(ranges)
def test_every_shared_unit_is_found_exactly_once_per_pair(spec: list[tuple[str, int, int]]) -> None:
    listings = [block(registry, start, start + length) for registry, start, length in spec]
    found = {(id(o.first), id(o.second)) for o in listed_twice(listings)} | {
        (id(o.second), id(o.first)) for o in listed_twice(listings)
    }
    for i, one in enumerate(listings):
        for other in listings[i + 1 :]:
            a, b = (int(one.start[-12:]), int(one.end[-12:])), (int(other.start[-12:]), int(other.end[-12:]))
            shares = a[0] <= b[1] and b[0] <= a[1]
            assert ((id(one), id(other)) in found) == shares


@pytest.mark.parametrize(
    ("labels", "declaration", "status"),
    [
        (Labels.of(None, first_transferred=False, host_adjusted=True), "Not Required", "Not Applicable"),
        (Labels.of(["ndc"], first_transferred=False, host_adjusted=True), "Committed", "Not Started"),
        (Labels.of(["oimp"], first_transferred=True, host_adjusted=False), "Committed", "Pending"),
        (Labels.of(["ndc", "oimp"], first_transferred=True, host_adjusted=True), "Committed", "Completed"),
    ],
)
def test_a_units_corresponding_adjustment_follows_its_labels(labels: Labels, declaration: str, status: str) -> None:
    assert corresponding_adjustment(labels) == (declaration, status)
    assert corresponding_adjustment(Labels.from_codes(labels.codes())) == (declaration, status)
