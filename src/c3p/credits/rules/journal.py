"""The journal: one entry per ledger transaction, each sealed by a hash of the one before.

An entry's hash is ``sha256(previous hash + canonical JSON of the entry)``, where canonical
JSON has sorted keys, no spaces and UTF-8 text. Changing, removing or reordering any entry
changes every later hash, so :func:`first_bad_entry` finds the first entry that no longer
matches. The first entry follows :data:`GENESIS`.

>>> h = entry_hash(GENESIS, {"seq": 1, "kind": "transfer"})
>>> len(h), h == entry_hash(GENESIS, {"kind": "transfer", "seq": 1})
(64, True)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64

# made once: ``json.dumps`` with these options builds the same encoder on every call, a fifth of
# the cost of sealing a transfer's entry. No check for cycles (~15 % of the encoding: a marker per
# list and dict): an entry is built from plain values, and a cycle would still fail, as too deep a recursion
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False)


def canonical(entry: dict[str, Any]) -> str:
    return _CANONICAL.encode(entry)


def canonical_without_seq(entry: dict[str, Any]) -> str:
    """The canonical JSON of ``entry`` cut before its ``seq``: add the number and ``}`` to finish it.

    ``seq`` sorts after every other key of an entry, so it is written last; this lets the
    database number and seal an entry in the statement that appends it.

    >>> e = {"seq": 12, "kind": "transfer", "actor": "x"}
    >>> canonical_without_seq(e) + "12}" == canonical(e)
    True
    """
    rest = {k: v for k, v in entry.items() if k != "seq"}
    if rest and max(rest) >= "seq":
        raise ValueError(f"entry key {max(rest)!r} sorts after 'seq'")
    text = canonical(rest)
    return (text[:-1] + "," if rest else "{") + '"seq":'


def canonical_before_legs(entry: dict[str, Any]) -> str:
    """The canonical JSON of ``entry`` cut before its ``legs``: add the legs, moves and ``seq`` to finish it.

    ``legs``, ``moves`` and ``seq`` sort after every other key of an entry, so the database can
    write them (it decides what moves) after the part Python wrote.

    >>> e = {"seq": 3, "kind": "transfer", "legs": [[1, -2], [4, 2]], "moves": []}
    >>> canonical_before_legs(e) + '[[1,-2],[4,2]],"moves":[],"seq":3}' == canonical(e)
    True
    """
    rest = {k: v for k, v in entry.items() if k not in ("legs", "moves", "seq")}
    if rest and max(rest) >= "legs":
        raise ValueError(f"entry key {max(rest)!r} sorts after 'legs'")
    text = canonical(rest)
    return (text[:-1] + "," if rest else "{") + '"legs":'


def entry_hash(previous: str, entry: dict[str, Any] | str) -> str:
    text = entry if isinstance(entry, str) else canonical(entry)
    return hashlib.sha256(previous.encode("ascii") + text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredEntry:
    """An entry as the database keeps it: its sequence number, text and the two hashes."""

    seq: int
    text: str
    previous_hash: str
    hash: str


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    reason: str


def first_bad_entry(entries: Iterable[StoredEntry]) -> ChainProblem | None:
    """The first entry whose sequence, link or hash is wrong, or ``None`` if the chain holds."""
    previous, expected_seq = GENESIS, 1
    for stored in entries:
        if stored.seq != expected_seq:
            return ChainProblem(expected_seq, f"entry {expected_seq} is missing (found {stored.seq} next)")
        if stored.previous_hash != previous:
            return ChainProblem(stored.seq, "its link to the previous entry does not match")
        if entry_hash(previous, stored.text) != stored.hash:
            return ChainProblem(stored.seq, "its content does not match its hash")
        try:
            body = json.loads(stored.text)
        except ValueError:
            return ChainProblem(stored.seq, "its content is not JSON")
        if body.get("seq") != stored.seq:
            return ChainProblem(stored.seq, "its content names another sequence number")
        previous, expected_seq = stored.hash, expected_seq + 1
    return None
