"""Account statements: what entered and left one account over a period, with its running balance.

A statement is computed from the journal alone, so it is a second proof of the balance: the
opening balance is the sum of the account's legs before the period, each journal entry in
the period that changes the account is one line, and the closing balance is opening + in −
out. When the period ends now it equals the live balance (``verify`` checks the same
invariant over every account). A period is whole UTC days, both ends included; either end
may be left open.

>>> period = Period.parse("2026-04-01", "2026-04-30")
>>> period.ends_before.isoformat()
'2026-05-01T00:00:00+00:00'
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from c3p.credits.rules.transactions import Entry, Move
from c3p.credits.schemas import StatementView
from c3p.errors import InvalidInput
from c3p.messages import N_, Message


@dataclass(frozen=True)
class Period:
    """Whole UTC days ``start`` … ``end``; ``None`` leaves that end open (the first entry, or now)."""

    start: dt.date | None = None
    end: dt.date | None = None

    @classmethod
    def parse(cls, start: str | None, end: str | None) -> Period:
        """The period typed as ``YYYY-MM-DD`` text; a bad date or a start after the end is refused."""
        period = cls(_date(start, "from"), _date(end, "to"))
        if period.start and period.end and period.start > period.end:
            refusal = N_("the period starts on %(start)s after it ends on %(end)s")
            raise InvalidInput(Message(refusal, {"start": period.start, "end": period.end}), field="from")
        return period

    @property
    def starts_at(self) -> dt.datetime | None:
        return _midnight(self.start) if self.start else None

    @property
    def ends_before(self) -> dt.datetime | None:
        return _midnight(self.end + dt.timedelta(days=1)) if self.end else None

    def before(self, at: dt.datetime) -> bool:
        """Whether ``at`` falls before the period (it counts toward the opening balance)."""
        return self.starts_at is not None and at < self.starts_at


def _date(text: str | None, name: str) -> dt.date | None:
    if text is None or not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        refusal = N_("%(name)s: '%(text)s' is not a date; write it as YYYY-MM-DD")
        raise InvalidInput(Message(refusal, {"name": name, "text": text}), field=name) from None


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


@dataclass(frozen=True)
class Line:
    """One entry as the account sees it: the change it made, the balance after it, its moves."""

    entry: Entry
    change: int
    balance: int
    moves: tuple[Move, ...]
    counterparty: int | None

    @property
    def credits_in(self) -> int:
        return max(self.change, 0)

    @property
    def credits_out(self) -> int:
        return max(-self.change, 0)


def change_of(entry: Entry, account_id: int) -> int:
    """How much ``entry`` changed the account's balance (legs are net per account)."""
    return sum(leg.credits for leg in entry.legs if leg.account_id == account_id)


def opening_balance(entries: Iterable[Entry], account_id: int) -> int:
    return sum(change_of(entry, account_id) for entry in entries)


def counterparty(entry: Entry, account_id: int, proposals: Mapping[str, tuple[int, int]]) -> int | None:
    """The other account of ``entry`` as the holder sees it, or ``None`` when there are several.

    For a transfer between registries (proposed, accepted or rejected) it is the account at the
    other end, not the sender registry's pending account that holds the credits meanwhile;
    ``proposals`` maps a proposal's key to its (sender, receiver) account ids.
    """
    proposal = proposals.get(entry.key) or proposals.get(str(entry.details.get("proposal", "")))
    if proposal and account_id in proposal:
        return proposal[1] if proposal[0] == account_id else proposal[0]
    receiving = change_of(entry, account_id) > 0
    others = {leg.account_id for leg in entry.legs if leg.account_id != account_id and (leg.credits > 0) != receiving}
    return others.pop() if len(others) == 1 else None


def lines(
    entries: Iterable[Entry], account_id: int, opening: int, proposals: Mapping[str, tuple[int, int]]
) -> list[Line]:
    """The entries that change the account, in journal order, each with the balance after it."""
    found, balance = [], opening
    for entry in entries:
        change = change_of(entry, account_id)
        if not change:
            continue
        balance += change
        moves = tuple(m for m in entry.moves if account_id in (m.from_account, m.to_account))
        found.append(Line(entry, change, balance, moves, counterparty(entry, account_id, proposals)))
    return found


#: the statement's CSV columns; the opening and closing balances are a row each, first and last
CSV_COLUMNS = ("seq", "occurred_at", "kind", "counterparty", "credits_in", "credits_out", "balance_credits", "serials")


def statement_csv(statement: StatementView) -> str:
    """The statement as CSV for a spreadsheet: opening row, one row per transaction, closing row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    start, end = statement.from_date or "", statement.to_date or ""
    writer.writerow(["", start, "opening_balance", "", "", "", statement.opening_balance_credits, ""])
    for line in statement.lines:
        writer.writerow(
            [
                line.seq,
                line.occurred_at,
                line.kind,
                line.counterparty or "",
                line.credits_in,
                line.credits_out,
                line.balance_credits,
                " ".join(line.serials),
            ]
        )
    closing = statement.closing_balance_credits
    writer.writerow(["", end, "closing_balance", "", statement.credits_in, statement.credits_out, closing, ""])
    return out.getvalue()
