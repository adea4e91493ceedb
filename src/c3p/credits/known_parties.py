"""Accounts a process has met, remembered per database, so a transfer between them skips their read.

Who holds an account, its number, registry and kind never change, nor which account is a
registry's cancellation or retirement account: a process may keep them across transactions.
An account's status and balance and a registry's approval threshold change, and are never kept.
A transfer between remembered accounts decides its policy as if both were open, and
``c3p_move_out`` checks under its locks every fact that policy used, the statuses and the
threshold; when anything differs it changes nothing, the accounts are forgotten and the transfer
takes the path that reads them (a database restored from a backup may give an id to another
account). Kept per engine, as tests and tools open several databases in one process, and for at
most :data:`KNOWN_ACCOUNTS_LIMIT` accounts: a registry has thousands.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from sqlalchemy import Engine

if TYPE_CHECKING:
    from c3p.credits.store import AccountRow

#: remembered accounts of one database, beyond which all are forgotten and met again
KNOWN_ACCOUNTS_LIMIT = 20_000

#: an account by its number, or a registry's system account by (registry, kind)
Key = str | tuple[str, str]

_BY_ENGINE: WeakKeyDictionary[Engine, dict[Key, AccountRow]] = WeakKeyDictionary()


def _known(engine: Engine) -> dict[Key, AccountRow]:
    return _BY_ENGINE.setdefault(engine, {})


def remember(engine: Engine, rows: Iterable[AccountRow], registry: str, system_kind: str) -> None:
    """Keep the lasting facts of ``rows``, read with ``registry``'s account of ``system_kind``, as open accounts
    of unknown balance (0)."""
    known = _known(engine)
    if len(known) > KNOWN_ACCOUNTS_LIMIT:
        known.clear()
    for row in rows:
        account = row._replace(status="open", balance=0)
        known[row.number] = account
        if row.registry == registry and row.kind == system_kind:
            known[(registry, system_kind)] = account


def recall(
    engine: Engine, numbers: Sequence[str], registry: str, system_kind: str | None
) -> dict[str, AccountRow] | None:
    """The accounts ``numbers`` and, when ``system_kind`` is given, ``registry``'s account of that kind, by number;
    None unless every one is remembered."""
    known = _known(engine)
    keys: list[Key] = [*numbers, *([(registry, system_kind)] if system_kind else [])]
    found = [known.get(key) for key in keys]
    if None in found:
        return None
    return {account.number: account for account in found if account is not None}


def forget(engine: Engine, numbers: Sequence[str], registry: str, system_kind: str) -> None:
    """Forget the accounts ``numbers`` and ``registry``'s account of ``system_kind``: a fact of one may be stale."""
    known = _known(engine)
    keys: list[Key] = [*numbers, (registry, system_kind)]
    for key in keys:
        known.pop(key, None)
