"""The pure rules of a credit's history and of retirement certificates, by hand."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from c3p.credits.rules import certificates
from c3p.credits.rules.history import history, walk
from c3p.credits.rules.ledger import LedgerError
from c3p.credits.rules.transactions import Entry, Move
from c3p.credits.rules.transactions import TransactionKind as K
from c3p.errors import InvalidInput

GOV, HOLDER, RETIRED = 5, 6, 9


def _entry(seq: int, kind: K, *moves: Move, **details: object) -> Entry:
    return Entry(seq, f"k{seq}", kind, f"2026-01-{seq:02d}T00:00:00+00:00", "x", moves=moves, details=details)


JOURNAL = [
    _entry(1, K.issuance, Move("JPN", 1, 100, None, GOV, 1), Move("JPN", 101, 120, None, HOLDER, 1), authorized=False),
    _entry(2, K.transfer, Move("JPN", 41, 60, GOV, HOLDER, 1)),
    _entry(3, K.issuance, Move("JPN", 121, 130, None, GOV, 2), authorized=True),  # another issuance
    _entry(4, K.authorization, issuance_id=1, status="authorized"),
    _entry(5, K.retirement, Move("JPN", 46, 50, HOLDER, RETIRED, 1)),
    _entry(6, K.transfer, Move("JPN", 1, 10, GOV, HOLDER, 1)),  # outside the range asked for below
]


def test_the_tree_of_a_range_splits_at_each_move_and_ends_where_the_credits_are() -> None:
    found = history(JOURNAL, "JPN", 31, 70)
    leaves = [(n.start, n.end, n.account_id, n.kind, n.authorized) for n in found.leaves()]
    assert leaves == [
        (31, 40, GOV, "authorization", True),
        (41, 45, HOLDER, "split", True),
        (46, 50, RETIRED, "retirement", True),
        (51, 60, HOLDER, "split", True),
        (61, 70, GOV, "authorization", True),
    ]
    assert found.issued_credits == sum(n.credits for n in found.leaves()) == 40
    (root,) = found.roots
    assert (root.start, root.end, root.kind, root.authorized) == (31, 70, "issuance", False)
    assert [c.kind for c in root.children] == ["split", "transfer", "split"]


def test_a_range_over_two_issued_ranges_has_two_roots() -> None:
    found = history(JOURNAL, "JPN", 95, 125)
    assert [(r.start, r.end, r.issuance_id) for r in found.roots] == [(95, 100, 1), (101, 120, 1), (121, 125, 2)]
    assert found.issued_credits == 31 == sum(n.credits for n in found.leaves())


def test_a_block_split_thousands_of_times_is_a_deep_chain_read_without_recursion() -> None:
    transfers = [_entry(2 + i, K.transfer, Move("JPN", 5000 - i, 5000 - i, GOV, HOLDER, 1)) for i in range(3000)]
    issued = _entry(1, K.issuance, Move("JPN", 1, 5000, None, GOV, 1), authorized=False)
    found = history([issued, *transfers], "JPN", 1, 5000)
    assert max(depth for depth, _node in walk(found.roots)) == 3000
    leaves = found.leaves()
    assert len(leaves) == 3001 and sum(n.credits for n in leaves) == 5000


def _range_record(start: int, end: int, purposes: list[str], version: int = 1) -> dict[str, object]:
    return {
        "registry": "JPN",
        "start": start,
        "end": end,
        "purposes": purposes,
        "entities": [],
        "first_transfer": "first_international_transfer",
        "version": version,
        "decision": "D-1",
        "decided_on": "2026-01-01",
    }


def test_a_range_record_labels_only_its_serials_and_cuts_the_ranges_at_its_bounds() -> None:
    """Serials 31-45 authorized for NDC: of 1-60 only they get a node with the label; a block
    crossing a bound (41-60, moved before) is cut there; a later version relabels the same part."""
    journal = [
        *JOURNAL[:3],
        _entry(4, K.authorization, issuance_id=1, status="authorized", authorization=_range_record(31, 45, ["ndc"])),
        _entry(
            5,
            K.authorization,
            issuance_id=1,
            status="authorized",
            authorization=_range_record(31, 45, ["ndc", "oimp"], 2),
        ),
    ]
    found = history(journal, "JPN", 1, 60)
    leaves = [(n.start, n.end, n.account_id, n.kind, sorted(n.purposes)) for n in found.leaves()]
    assert leaves == [
        (1, 30, GOV, "split", []),
        (31, 40, GOV, "authorization", ["ndc", "oimp"]),
        (41, 45, HOLDER, "authorization", ["ndc", "oimp"]),
        (46, 60, HOLDER, "split", []),
    ]
    assert sum(n.credits for n in found.leaves()) == found.issued_credits == 60
    assert not history(journal, "JPN", 101, 120).leaves()[0].authorized  # the issuance's other range


def test_entries_that_do_not_replay_are_refused() -> None:
    stolen = _entry(2, K.transfer, Move("JPN", 41, 60, HOLDER, RETIRED, 1))  # HOLDER does not hold 41-60
    with pytest.raises(LedgerError, match="not held by account"):
        history([JOURNAL[0], stolen], "JPN", 1, 100)
    with pytest.raises(LedgerError):
        history(JOURNAL[1:], "JPN", 1, 100)  # moves of serials never issued


def _facts(**changed: object) -> certificates.Facts:
    serials = "JCM-JPN-VNM-VN007-001-000000000046-000000000050"
    ranges = (certificates.RetiredRange(serials, 5, "JC-VN-001", "vn-007", "VNM", 2025, True, True, True),)
    base = {
        "retirement": 5,
        "key": "k5",
        "retired_at": "2026-01-05T00:00:00+00:00",
        "registry": "JPN",
        "account": "JPN-P-000002",
        "beneficiary": "株式会社アクメ",
        "purpose": "NDC",
        "credits": 5,
        "ranges": ranges,
    }
    return certificates.Facts(**{**base, **changed})  # type: ignore[arg-type]


def test_a_signed_certificate_holds_until_one_byte_of_its_facts_changes() -> None:
    key = Ed25519PrivateKey.generate()
    signed = certificates.sign(key, _facts())
    assert certificates.signature_holds(signed)
    assert certificates.sign(key, _facts()).code == signed.code  # Ed25519 signs the same facts alike
    assert certificates.CODE.fullmatch(signed.code) and signed.code.startswith("JPN-5-")
    text = certificates.canonical(signed.facts).replace("アクメ", "アクミ")
    tampered = certificates.Certificate(json.loads(text), signed.public_key, signed.signature)
    assert not certificates.signature_holds(tampered)
    assert certificates.differences(tampered.facts, signed.facts) == [
        "beneficiary: the certificate says '株式会社アクミ', the journal '株式会社アクメ'"
    ]


def test_differences_name_each_fact_and_range() -> None:
    mine = _facts().to_json()
    journal = _facts(credits=4).to_json()
    journal["ranges"][0]["authorized"] = False
    assert certificates.differences(mine, journal) == [
        "credits: the certificate says 5, the journal 4",
        "range 1 authorized: the certificate says True, the journal False",
    ]


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ([], "JSON object"),
        ({"facts": {"format": "other"}}, "not a certificate of format"),
        ({"facts": {"format": certificates.FORMAT, "retirement": True}}, "no journal entry"),
        ({"facts": {"format": certificates.FORMAT, "retirement": 3}, "public_key": "AB"}, "public_key must be"),
        ({"facts": {"format": certificates.FORMAT, "retirement": 3}, "public_key": "a" * 64}, "signature must be"),
    ],
)
def test_a_hand_edited_certificate_is_refused_naming_the_part(body: object, said: str) -> None:
    with pytest.raises(InvalidInput, match=said):
        certificates.parse(body)


@pytest.mark.parametrize(
    "code", ["", "JPN-0-AAAA-AAAA-AAAA", "JPN-12-AAAA-AAAA", "JP-12-AAAA-AAAA-AAAA", "JPN-12-1111-AAAA-AAAA"]
)
def test_a_code_that_is_no_code_is_refused(code: str) -> None:
    with pytest.raises(InvalidInput, match="is not a verification code"):
        certificates.parse_code(code)
