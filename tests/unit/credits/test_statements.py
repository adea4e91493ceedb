"""Account statements as pure functions: periods, lines, running balances, counterparties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from c3p.credits.rules.statements import Period, change_of, counterparty, lines, opening_balance
from c3p.credits.rules.transactions import Entry, Leg, Move, TransactionKind
from c3p.errors import InvalidInput

ACCOUNTS = (1, 2, 3, 4)


def entry(seq: int, legs: dict[int, int], kind: TransactionKind = TransactionKind.transfer, **details: str) -> Entry:
    return Entry(
        seq,
        f"key-{seq}",
        kind,
        f"2026-04-{seq % 28 + 1:02d}T00:00:00+00:00",
        "test",
        tuple(Leg(a, c) for a, c in sorted(legs.items())),
        (Move("JPN", seq * 100, seq * 100 + 9, 1, 2, 1),),
        details,
    )


@st.composite
def journals(draw) -> list[Entry]:  # type: ignore[no-untyped-def]
    found = []
    for seq in range(1, draw(st.integers(0, 30)) + 1):
        source, target = draw(st.lists(st.sampled_from(ACCOUNTS), min_size=2, max_size=2, unique=True))
        credits = draw(st.integers(1, 1000))
        found.append(entry(seq, {source: -credits, target: credits}))
    return found


@given(journals(), st.integers(0, 31), st.sampled_from(ACCOUNTS))
def test_a_statement_reconciles_and_periods_chain(journal: list[Entry], split: int, account: int) -> None:
    before, after = journal[:split], journal[split:]
    first = lines(before, account, 0, {})
    second_opening = opening_balance(before, account)
    second = lines(after, account, second_opening, {})
    assert second_opening == (first[-1].balance if first else 0)
    closing = second[-1].balance if second else second_opening
    assert second_opening + sum(x.credits_in for x in second) - sum(x.credits_out for x in second) == closing
    assert closing == sum(change_of(e, account) for e in journal)


def test_a_line_names_the_other_account_and_the_moves_of_this_one() -> None:
    transfer = entry(1, {1: -5, 2: 5})
    assert counterparty(transfer, 1, {}) == 2 and counterparty(transfer, 2, {}) == 1
    issued = entry(2, {9: -10, 1: 4, 2: 6}, TransactionKind.issuance)
    assert counterparty(issued, 1, {}) == 9 and counterparty(issued, 9, {}) is None
    (line,) = lines([transfer], 1, 10, {})
    assert (line.credits_in, line.credits_out, line.balance, len(line.moves)) == (0, 5, 5, 1)
    assert lines([transfer], 3, 0, {}) == []


def test_a_transfer_between_registries_names_the_far_end_not_the_pending_account() -> None:
    proposals = {"key-1": (1, 7)}
    proposed = entry(1, {1: -5, 4: 5}, TransactionKind.external_transfer)  # 4: the sender registry's pending account
    accepted = entry(2, {4: -5, 7: 5}, TransactionKind.acceptance, proposal="key-1")
    assert counterparty(proposed, 1, proposals) == 7
    assert counterparty(accepted, 7, proposals) == 1
    assert counterparty(proposed, 4, proposals) == 1


def test_periods_are_whole_utc_days() -> None:
    period = Period.parse(" 2026-04-01 ", "2026-04-30")
    assert period.starts_at == dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    assert period.ends_before == dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    assert period.before(dt.datetime(2026, 3, 31, 23, 59, tzinfo=dt.UTC))
    assert not period.before(dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    assert Period.parse(None, "") == Period()
    assert not Period().before(dt.datetime(1900, 1, 1, tzinfo=dt.UTC))


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [("2026-02-30", None, "from"), (None, "tomorrow", "to"), ("2026-05-02", "2026-05-01", "from")],
)
def test_bad_periods_name_their_field(start: str | None, end: str | None, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Period.parse(start, end)
    assert refused.value.extra["field"] == field


def test_doctests() -> None:
    import doctest

    from c3p.credits.rules import statements

    assert doctest.testmod(statements).failed == 0
