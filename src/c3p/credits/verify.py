"""``c3p registry verify``: every stored fact about credits, proven from the hash-chained journal.

The journal is read in order; each entry's link and hash are checked, its unhashed columns
(key, kind, time, credits) are compared with its sealed content, and it is applied to an
in-memory :class:`~c3p.credits.rules.ledger.Ledger`, which refuses any entry that breaks a
ledger rule. Then every credit fact table is compared with what the journal proves, by one of
two means, declared once per table:

* **recomputed** (:data:`RECOMPUTED`): balances, account numbers, kinds and statuses, serial
  blocks, registry counters, pending transfers, transfers proposed for a second representative,
  corresponding adjustments, Article 6.2 authorization records, signed checkpoints
  — rebuilt from the replayed ledger;
* **sealed** (:data:`c3p.credits.facts.SEALED`): registries, accounts (holder, name, times),
  monitoring reports and their findings, issuances, account representatives — each row equal
  to the last content a ``record`` entry sealed (a row sealed as removed must stay absent).

The report names the first bad entry, and the first bad row of each table.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from c3p.credits import facts
from c3p.credits.rules.blocks import Block, normalize
from c3p.credits.rules.journal import GENESIS, entry_hash
from c3p.credits.rules.ledger import Ledger, LedgerError
from c3p.credits.rules.transactions import Entry
from c3p.credits.schemas import Problem, VerifyReport
from c3p.credits.tables import (
    CorrespondingAdjustment,
    CreditAccount,
    CreditAuthorization,
    CreditBlock,
    CreditCheckpoint,
    CreditIssuance,
    CreditRegistry,
    FirstTransferTotal,
    JournalHead,
    PendingTransfer,
    TransferProposal,
)
from c3p.errors import Conflict
from c3p.messages import N_, Message

Check = Callable[[Session, Ledger], list[Problem]]
#: a journal row as read: seq, entry, previous hash, hash, key, kind, time, credits
JournalRow = tuple[int, str, str, str, str, str, dt.datetime | str, int]
#: said of a row no ``record`` entry has sealed (a database from before sealing: see ``c3p registry seal``)
NEVER_SEALED = "this row was never sealed into the journal"


def verify(session: Session, batch: int = 20_000) -> VerifyReport:
    return check(session, batch)[0]


def check(session: Session, batch: int = 20_000) -> tuple[VerifyReport, Ledger]:
    """The verification report, and the ledger the journal replays to (up to its first bad entry)."""
    ledger, problems = Ledger(), []
    count, previous, first_bad = _replay_journal(session, ledger, batch)
    if first_bad is not None:
        problems.append(first_bad)
    else:
        problems += _head_problems(session, ledger, previous, count)
        for check in RECOMPUTED.values():
            problems += check(session, ledger)
        problems += sealed_problems(session, ledger)
    accounts = session.scalar(select(CreditAccount.id).order_by(CreditAccount.id.desc()).limit(1)) or 0
    report = VerifyReport(
        ok=not problems,
        entries=count,
        accounts=accounts,
        blocks=len(ledger.blocks()),
        supply_credits=ledger.supply(),
        first_bad_entry=None if first_bad is None else first_bad.seq,
        problems=problems,
    )
    return report, ledger


def _replay_journal(session: Session, ledger: Ledger, batch: int) -> tuple[int, str, Problem | None]:
    """Stream the journal in order through the ledger: entries read, the last good hash, the first bad entry.

    Each entry's text is hashed and parsed once, so memory holds one batch of rows and the ledger's
    state, however long the journal.
    """
    count, previous = 0, GENESIS
    for row in _journal_rows(session, batch):
        count += 1
        reason = _chain_problem(row, previous, count) or _replay(ledger, row)
        if reason is not None:
            seq = row[0] if row[0] == count else count
            return count, previous, Problem(seq=seq, what=f"journal entry {seq}: {reason}")
        previous = row[3]
    return count, previous, None


#: the journal's columns in the order of :data:`JournalRow`
_JOURNAL_SQL = (
    "SELECT seq, entry, previous_hash, hash, key, kind, occurred_at, credits FROM credit_journal ORDER BY seq"
)


def _journal_rows(session: Session, batch: int) -> Iterator[JournalRow]:
    """The journal's rows in order, ``batch`` at a time (on PostgreSQL from a server-side cursor), in the session's
    transaction, as the driver answers them: SQLAlchemy's rows and its zoned times cost a fifth of ``verify``, and
    the times are compared as instants anyway (:func:`_moment`)."""
    connection = session.connection()
    dbapi: Any = connection.connection.dbapi_connection
    cursor = dbapi.cursor("c3p_verify_journal") if connection.dialect.name == "postgresql" else dbapi.cursor()
    try:
        cursor.execute(_JOURNAL_SQL)
        while rows := cursor.fetchmany(batch):
            yield from rows
    finally:
        cursor.close()


def _chain_problem(row: JournalRow, previous: str, expected: int) -> str | None:
    seq, text, previous_hash, sealed = row[:4]
    if seq != expected:
        return f"entry {expected} is missing (found {seq} next)"
    if previous_hash != previous:
        return "its link to the previous entry does not match"
    if not isinstance(text, str):  # SQLite keeps bytes in any column (a file edited by hand)
        return "its content is not text"
    if entry_hash(previous, text) != sealed:
        return "its content does not match its hash"
    return None


def _replay(ledger: Ledger, row: JournalRow) -> str | None:
    """Apply the entry to the ledger; why it cannot be applied, or its columns disagree, if so."""
    seq, text, _previous, _hash, key, kind, occurred_at, credits = row
    try:
        body = json.loads(text)
        if body.get("seq") != seq:
            raise LedgerError("its content names another sequence number")
        entry = Entry.from_json(body)
        ledger.apply(entry)
        sealed_moment = _moment(entry.occurred_at)
    except (LedgerError, KeyError, TypeError, ValueError, IndexError) as error:
        return f"it does not replay: {error}"
    try:
        stored_moment = _moment(occurred_at)
    except (TypeError, ValueError):
        return f"its column time ({occurred_at!r}) is not a time"
    if (key, kind, stored_moment, credits) == (entry.key, entry.kind, sealed_moment, entry.credits):
        return None  # the common case, decided without formatting anything
    sealed = {"key": entry.key, "kind": str(entry.kind), "time": _instant(entry.occurred_at), "credits": entry.credits}
    stored_columns = {"key": key, "kind": kind, "time": _instant(occurred_at), "credits": credits}
    for name, value in stored_columns.items():
        if value != sealed[name]:
            return f"its column {name} ({value}) differs from its sealed content ({sealed[name]})"
    return None


def _moment(value: dt.datetime | str) -> dt.datetime:
    """A time as an aware datetime (a naive one is in UTC), whichever way the backend returns it.

    Two moments are equal exactly when their :func:`_instant` texts are, so the texts are made
    only to name a difference.
    """
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        raise TypeError(f"{value!r} is not a time")
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _instant(value: dt.datetime | str) -> str:
    """A time in UTC to the microsecond, whichever way the backend returns it."""
    return str(facts.plain(_moment(value)))


def _head_problems(session: Session, ledger: Ledger, last_hash: str, last_seq: int) -> list[Problem]:
    problems = []
    head = session.get(JournalHead, 1)
    if head is None or (head.seq, head.hash) != (last_seq, last_hash):
        found = "missing" if head is None else f"at entry {head.seq}"
        problems.append(Problem(what=f"the journal head is {found}, but the last entry is {last_seq}"))
    try:
        ledger.check()
    except LedgerError as error:
        problems.append(Problem(what=str(error)))
    return problems


# ---------------------------------------------------------------- recomputed from the journal


def _accounts(session: Session, ledger: Ledger) -> list[Problem]:
    """Each account's registry, number, kind, status and balance, as the journal opened and moved it."""
    problems, seen = [], set()
    for account in session.scalars(select(CreditAccount).order_by(CreditAccount.id)):
        seen.add(account.id)
        known = ledger.accounts.get(account.id)
        opened = (known.registry, known.number, str(known.kind)) if known else None
        if opened != (account.registry_code, account.number, account.kind):
            problems.append(Problem(what=f"account {account.number} is not in the journal as it is in the database"))
            continue
        assert known is not None
        if known.status != account.status:
            problems.append(Problem(what=f"account {account.number}: status {account.status}, journal {known.status}"))
        if ledger.balances.get(account.id, 0) != account.balance:
            journal = ledger.balances.get(account.id, 0)
            problems.append(Problem(what=f"account {account.number}: balance {account.balance}, journal {journal}"))
    if set(ledger.accounts) - seen:
        problems.append(Problem(what="the journal opened accounts the database does not have"))
    return problems


def _blocks(session: Session, ledger: Ledger) -> list[Problem]:
    columns = (
        CreditBlock.registry_code,
        CreditBlock.start_serial,
        CreditBlock.end_serial,
        CreditBlock.account_id,
        CreditBlock.issuance_id,
        CreditBlock.first_transferred,
    )
    found = session.execute(select(*columns))
    stored = [Block(r, int(s), int(e), int(a), int(i), bool(f)) for r, s, e, a, i, f in found]
    try:
        mine = normalize(stored)
    except ValueError as error:
        return [Problem(what=f"blocks: {error}")]
    theirs = normalize(ledger.blocks())
    difference = _first_difference(mine, theirs)
    if difference is None:
        return []
    return [Problem(what=f"blocks differ from the journal: database {difference[0]}, journal {difference[1]}")]


def _registries(session: Session, ledger: Ledger) -> list[Problem]:
    """A registry's next serial follows its last issued one; its next account number follows its accounts."""
    problems = []
    for registry in session.scalars(select(CreditRegistry).order_by(CreditRegistry.code)):
        ends = [b.end for b in ledger.blocks() if b.registry == registry.code]
        opened = sum(1 for a in ledger.accounts.values() if a.registry == registry.code)
        found, journal = (registry.next_unit, registry.next_account), (max(ends, default=0) + 1, opened + 1)
        if found != journal:
            problems.append(
                Problem(what=f"registry {registry.code}: next serial and account {found}, journal {journal}")
            )
    return problems


def _pending(session: Session, ledger: Ledger) -> list[Problem]:
    """Each transfer to the other registry: its parties, credits, serials and state, as the journal tells."""
    stored = {}
    for row in session.scalars(select(PendingTransfer)):
        moves = tuple(tuple(m) for m in row.moves)
        stored[row.key] = (
            row.from_account_id,
            row.to_account_id,
            row.credits,
            moves,
            row.status,
            row.proposed_seq,
            row.resolved_seq,
        )
    journal = {
        t.key: (
            t.from_account,
            t.to_account,
            t.credits,
            tuple(tuple(m.to_json()) for m in t.moves),
            t.status,
            t.proposed_seq,
            t.resolved_seq,
        )
        for t in ledger.transfers.values()
    }
    return _differences("pending transfer", stored, journal)


def _proposals(session: Session, ledger: Ledger) -> list[Problem]:
    """Each transfer waiting for (or decided by) a second representative, as the journal tells."""
    stored = {
        row.key: (
            row.from_account_id,
            row.to_account_id,
            row.credits,
            row.serial,
            row.proposed_by_id,
            row.proposed_by,
            row.proposed_seq,
            row.status,
            row.resolved_by,
            row.resolved_seq,
        )
        for row in session.scalars(select(TransferProposal))
    }
    journal = {
        p.key: (
            p.from_account,
            p.to_account,
            p.credits,
            p.serial,
            p.proposed_by_id,
            p.proposed_by,
            p.proposed_seq,
            p.status,
            p.resolved_by,
            p.resolved_seq,
        )
        for p in ledger.proposals.values()
    }
    return _differences("proposed transfer", stored, journal)


def _differences(what: str, stored: dict[str, Any], journal: dict[str, Any]) -> list[Problem]:
    """The first key whose database row and journal replay disagree, if any."""
    for key in sorted(set(stored) | set(journal)):
        if stored.get(key) != journal.get(key):
            return [Problem(what=f"{what} {key}: database {stored.get(key)}, journal {journal.get(key)}")]
    return []


def _adjustments(session: Session, ledger: Ledger) -> list[Problem]:
    """The Article 6.2 corresponding adjustments, recomputed entry by entry."""
    columns = (
        CorrespondingAdjustment.journal_seq,
        CorrespondingAdjustment.country,
        CorrespondingAdjustment.year,
        CorrespondingAdjustment.kind,
        CorrespondingAdjustment.credits,
    )
    stored = sorted(tuple(row) for row in session.execute(select(*columns)))
    journal = sorted((a.journal_seq, a.country, a.year, a.kind, a.credits) for a in ledger.adjustments)
    difference = _first_difference(stored, journal)
    if difference is None:
        return []
    return [Problem(what=f"corresponding adjustments: database {difference[0]}, journal {difference[1]}")]


def _first_transfer_totals(session: Session, ledger: Ledger) -> list[Problem]:
    """Each host's running total of first-transferred credits is what its replayed blocks' marks sum to."""
    journal: dict[str, int] = {}
    for block in ledger.blocks():
        if block.first_transferred:
            host = ledger.issuances[block.issuance_id].host
            journal[host] = journal.get(host, 0) + block.end - block.start + 1
    columns = (FirstTransferTotal.country, FirstTransferTotal.credits)
    stored = {str(country): int(credits) for country, credits in session.execute(select(*columns)) if credits}
    return _differences("first-transferred credits of host", stored, journal)


def _issuance_terms(session: Session, ledger: Ledger) -> list[Problem]:
    """Each issuance was recorded by the journal, with its host country and current Article 6.2 authorization."""
    columns = (CreditIssuance.id, CreditIssuance.host_country, CreditIssuance.authorization_status)
    for issuance_id, host, status in session.execute(select(*columns).order_by(CreditIssuance.id)):
        known = ledger.issuances.get(issuance_id)
        found = (host, status == "authorized")
        journal = (known.host, known.authorized) if known is not None else None
        if found != journal:
            return [Problem(what=f"issuance {issuance_id}: host and authorization {found}, journal {journal}")]
    return []


def _authorizations(session: Session, ledger: Ledger) -> list[Problem]:
    """Each Article 6.2 authorization record is the current version the journal's entries recorded."""
    from c3p.credits.store import authorized_range

    query = select(CreditAuthorization).order_by(CreditAuthorization.registry_code, CreditAuthorization.start_serial)
    stored = [authorized_range(row) for row in session.scalars(query)]
    journal = sorted(
        (r for records in ledger.authorizations.values() for r in records), key=lambda r: (r.registry, r.start)
    )
    difference = _first_difference(stored, journal)
    if difference is None:
        return []
    return [Problem(what=f"authorizations: database {difference[0]}, journal {difference[1]}")]


def _checkpoints(session: Session, ledger: Ledger) -> list[Problem]:
    """Every signed checkpoint names an entry of this journal, with its hash, and its signature holds."""
    from c3p.credits import checkpoints

    problems = []
    for row in session.scalars(select(CreditCheckpoint).order_by(CreditCheckpoint.id)):
        reason = checkpoints.problem_with(session, checkpoints.published(row))
        if reason is not None:
            problems.append(Problem(seq=row.head_seq, what=f"checkpoint {row.id}: {reason}"))
    return problems


def _first_difference(mine: list[Any], theirs: list[Any]) -> tuple[Any, Any] | None:
    padded = max(len(mine), len(theirs))
    pairs = zip(mine + [None] * (padded - len(mine)), theirs + [None] * (padded - len(theirs)), strict=True)
    return next(((a, b) for a, b in pairs if a != b), None)


#: credit fact tables rebuilt from the replayed journal, and how each is compared
RECOMPUTED: dict[str, Check] = {
    "credit_accounts": _accounts,
    "credit_blocks": _blocks,
    "credit_registries": _registries,
    "credit_pending_transfers": _pending,
    "credit_transfer_proposals": _proposals,
    "corresponding_adjustments": _adjustments,
    "article6_first_transfer_totals": _first_transfer_totals,
    "credit_issuances": _issuance_terms,  # and sealed, for every other column
    "credit_authorizations": _authorizations,
    "credit_checkpoints": _checkpoints,
}


# ---------------------------------------------------------------- sealed into the journal


def sealed_problems(session: Session, ledger: Ledger) -> list[Problem]:
    """The first row of each sealed table that differs from its last sealed content."""
    problems = []
    for sealed in facts.SEALED:
        problem = _first_bad_row(session, ledger, sealed)
        if problem is not None:
            problems.append(problem)
    return problems


def _first_bad_row(session: Session, ledger: Ledger, sealed: facts.Sealed) -> Problem | None:
    seen = set()
    for row in facts.rows(session, sealed):
        key = facts.sealed_key(facts.key_of(sealed, row))
        seen.add(key)
        found = ledger.records.get((sealed.name, key))
        if found is None:
            return Problem(what=f"{sealed.name} {key}: {NEVER_SEALED}")
        image, seq = found
        if image is None:
            return Problem(seq=seq, what=f"{sealed.name} {key}: journal entry {seq} sealed it as removed")
        now = facts.content(sealed, row)
        changed = [name for name in sealed.columns if _same(now.get(name)) != _same(image.get(name))]
        if changed:
            name = changed[0]
            return Problem(
                seq=seq,
                what=f"{sealed.name} {key}: {name} is {now.get(name)!r}, "
                f"but journal entry {seq} sealed {image.get(name)!r}",
            )
    sealed_rows = ((t, k) for (t, k), (image, _seq) in ledger.records.items() if image is not None)
    missing = sorted(k for t, k in sealed_rows if t == sealed.name and k not in seen)
    if missing:
        return Problem(what=f"{sealed.name} {missing[0]}: sealed in the journal, missing from the database")
    return None


def _same(value: Any) -> str:
    """A value as sorted JSON, so that two JSON documents with their keys in another order compare equal."""
    return json.dumps(value, sort_keys=True)


def unsealed_rows(session: Session, ledger: Ledger) -> dict[facts.Sealed, list[tuple[Any, ...]]]:
    """Rows of sealed tables the journal has never sealed (a database from before sealing)."""
    wanted: dict[facts.Sealed, list[tuple[Any, ...]]] = {}
    for sealed in facts.SEALED:
        for row in facts.rows(session, sealed):
            key = facts.key_of(sealed, row)
            if (sealed.name, facts.sealed_key(key)) not in ledger.records:
                wanted.setdefault(sealed, []).append(tuple(key))
    return wanted


def seal_unsealed(session: Session) -> int:
    """Seal the rows the journal has never sealed, once, after upgrading a registry that otherwise verifies.

    Refused while anything else is wrong, so that sealing never blesses a tampered row.
    """
    report, ledger = check(session)
    others = [p for p in report.problems if NEVER_SEALED not in p.what]
    if others:
        refusal = N_("the registry does not verify (%(problem)s); nothing was sealed")
        raise Conflict(Message(refusal, {"problem": others[0].what}))
    wanted = unsealed_rows(session, ledger)
    facts.record_rows(session, wanted)
    return sum(len(keys) for keys in wanted.values())
