"""``c3p registry verify``: replay the journal, recompute every balance and block, check the chain.

The stored journal is read in order; each entry's link and hash are checked and the entry
is applied to an in-memory :class:`~c3p.credits.rules.ledger.Ledger`, which refuses any entry
that breaks a ledger rule. The rebuilt balances and blocks must then equal the database's
(accounts, ``credit_blocks``), and the journal head must name the last entry. The report
names the first bad entry.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from c3p.credits.rules.blocks import Block, normalize
from c3p.credits.rules.journal import GENESIS, StoredEntry, entry_hash
from c3p.credits.rules.ledger import Ledger, LedgerError
from c3p.credits.rules.transactions import Entry
from c3p.credits.schemas import Problem, VerifyReport
from c3p.credits.tables import CreditAccount, CreditBlock, JournalEntry, JournalHead


def verify(session: Session, batch: int = 5000) -> VerifyReport:
    ledger, problems = Ledger(), []
    previous, expected, first_bad = GENESIS, 1, None
    count = 0
    query = select(JournalEntry.seq, JournalEntry.entry, JournalEntry.previous_hash, JournalEntry.hash).order_by(
        JournalEntry.seq
    )
    for seq, text, prev, sealed in session.execute(query.execution_options(yield_per=batch)):
        count += 1
        stored = StoredEntry(seq, text, prev, sealed)
        reason = _chain_problem(stored, previous, expected)
        if reason is None:
            try:
                body = json.loads(text)
                if body.get("seq") != seq:
                    raise LedgerError("its content names another sequence number")
                ledger.apply(Entry.from_json(body))
            except (LedgerError, KeyError, TypeError, ValueError) as error:
                reason = f"it does not replay: {error}"
        if reason is not None:
            first_bad = stored.seq if stored.seq == expected else expected
            problems.append(Problem(seq=first_bad, what=f"journal entry {first_bad}: {reason}"))
            break
        previous, expected = sealed, expected + 1
    if first_bad is None:
        problems += _compare(session, ledger, previous, expected - 1)
    accounts = session.scalar(select(CreditAccount.id).order_by(CreditAccount.id.desc()).limit(1)) or 0
    blocks_count = len(ledger.blocks())
    return VerifyReport(
        ok=not problems,
        entries=count,
        accounts=accounts,
        blocks=blocks_count,
        supply_credits=ledger.supply(),
        first_bad_entry=first_bad,
        problems=problems,
    )


def _chain_problem(stored: StoredEntry, previous: str, expected: int) -> str | None:
    if stored.seq != expected:
        return f"entry {expected} is missing (found {stored.seq} next)"
    if stored.previous_hash != previous:
        return "its link to the previous entry does not match"
    if entry_hash(previous, stored.text) != stored.hash:
        return "its content does not match its hash"
    return None


def _compare(session: Session, ledger: Ledger, last_hash: str, last_seq: int) -> list[Problem]:
    problems = []
    head = session.get(JournalHead, 1)
    if head is None or (head.seq, head.hash) != (last_seq, last_hash):
        found = "missing" if head is None else f"at entry {head.seq}"
        problems.append(Problem(what=f"the journal head is {found}, but the last entry is {last_seq}"))
    try:
        ledger.check()
    except LedgerError as error:
        problems.append(Problem(what=str(error)))
    for account in session.scalars(select(CreditAccount).order_by(CreditAccount.id)):
        known = ledger.accounts.get(account.id)
        if known is None or known.number != account.number or known.kind != account.kind:
            problems.append(Problem(what=f"account {account.number} is not in the journal as it is in the database"))
            continue
        if known.status != account.status:
            problems.append(Problem(what=f"account {account.number}: status {account.status}, journal {known.status}"))
        if ledger.balances.get(account.id, 0) != account.balance:
            problems.append(
                Problem(
                    what=f"account {account.number}: balance {account.balance}, "
                    f"journal {ledger.balances.get(account.id, 0)}"
                )
            )
    if len(ledger.accounts) != len({a for a in session.scalars(select(CreditAccount.id))}):
        problems.append(Problem(what="the journal opened accounts the database does not have"))
    stored = [
        Block(r, int(s), int(e), int(a), int(i), bool(f))
        for r, s, e, a, i, f in session.execute(
            select(
                CreditBlock.registry_code,
                CreditBlock.start_serial,
                CreditBlock.end_serial,
                CreditBlock.account_id,
                CreditBlock.issuance_id,
                CreditBlock.first_transferred,
            )
        )
    ]
    try:
        mine = normalize(stored)
    except ValueError as error:
        return [*problems, Problem(what=f"blocks: {error}")]
    theirs = normalize(ledger.blocks())
    if mine != theirs:
        diff = next(
            (a, b) for a, b in zip(mine + [None] * len(theirs), theirs + [None] * len(mine), strict=False) if a != b
        )
        problems.append(Problem(what=f"blocks differ from the journal: database {diff[0]}, journal {diff[1]}"))
    return problems
