"""The journal's text stays byte for byte what it was: the canonical JSON, the SQLite time, the keys."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from c3p.credits.rules.journal import canonical
from c3p.credits.rules.transactions import Entry, Leg, Move, TransactionKind
from c3p.credits.store import new_key, occurred


def test_canonical_json_is_sorted_compact_utf8_json() -> None:
    moves = (Move("JPN", 7, 9, 3, 4, 1, True),)
    entry = Entry(
        12, "k", TransactionKind.transfer, "2026-12-07T00:00:00+00:00", "Tanaka 田中", (Leg(3, -3), Leg(4, 3)), moves
    )
    body = entry.to_json()
    assert canonical(body) == json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical(body).endswith('"seq":12}') and "田中" in canonical(body)


def test_a_cycle_is_never_encoded_though_not_looked_for() -> None:
    body: dict[str, object] = {"seq": 1}
    body["details"] = body
    with pytest.raises(RecursionError):
        canonical(body)


def test_the_sqlite_journal_time_is_strftimes_text_whole_seconds_too() -> None:
    for now in (
        dt.datetime(2026, 12, 7, 0, 1, 2, 345678, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 7, 0, 1, 2, tzinfo=dt.UTC),
    ):
        assert occurred(now, "sqlite") == now.strftime("%Y-%m-%d %H:%M:%S.%f")
    assert occurred(now, "postgresql") is now


def test_a_key_is_a_random_uuid4s_hex() -> None:
    keys = {new_key() for _ in range(2000)}
    assert len(keys) == 2000
    for key in keys:
        parsed = uuid.UUID(key)
        assert (parsed.version, parsed.variant, parsed.hex) == (4, uuid.RFC_4122, key)


def test_a_transfer_entrys_text_is_byte_for_byte_the_same() -> None:
    moves = (Move("JPN", 7, 9, 3, 4, 1, True), Move("JPN", 20, 20, 3, 4, 2))
    entry = Entry(
        12, "k", TransactionKind.transfer, "2026-12-07T00:00:00+00:00", "田中", (Leg(3, -4), Leg(4, 4)), moves
    )
    text = canonical(entry.to_json())
    assert text == (
        '{"actor":"田中","at":"2026-12-07T00:00:00+00:00","details":{},"key":"k","kind":"transfer",'
        '"legs":[[3,-4],[4,4]],"moves":[["JPN",7,9,3,4,1,true],["JPN",20,20,3,4,2,false]],"seq":12}'
    )
    assert Entry.from_json(json.loads(text)) == entry
