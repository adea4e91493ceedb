"""Many transfers in one transaction: each checked as if it were sent alone, all applied or none.

A registry administrator or an account representative moving credits for many buyers sends
them as one batch (a file, or one API call). Every line goes through :func:`service.transfer`,
so the policy and every ledger rule hold line by line; the batch commits once, which is what
makes it faster than single transfers (one disk sync instead of one per line).

When a line is refused, the transaction is rolled back and the batch is tried again without
the refused lines, so the answer names every refused transfer at once (up to
:data:`MAX_REFUSALS`), each with its reason, and nothing is applied. A transfer that needs an
earlier refused one (it moves credits that line would have brought) is refused in turn,
which is what "all or nothing" means for it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor
from c3p.credits import service
from c3p.credits.rules.serials import DEFAULT_FORMAT, SerialFormat
from c3p.credits.schemas import TransactionView
from c3p.errors import C3PError, Forbidden, InvalidInput
from c3p.messages import N_, Message

#: lines in one batch: enough for a registry's daily work, small enough to answer in seconds
MAX_LINES = 1000
#: refusals named before the batch stops trying (each refusal costs one more pass)
MAX_REFUSALS = 20


#: the columns of a batch file, as in the API's request
COLUMNS = ("from_account", "to_account", "credits", "serial")


@dataclass(frozen=True)
class TransferLine:
    """One transfer of a batch, as a transfer alone would be asked for."""

    from_account: str
    to_account: str
    credits: int | None = None
    serial: str | None = None


def transfer_batch(
    session: Session, actor: Actor, lines: Sequence[TransferLine], serials: SerialFormat = DEFAULT_FORMAT
) -> list[TransactionView]:
    """Apply every line in order, in the caller's transaction, or refuse the batch naming each refused line."""
    if not lines:
        raise InvalidInput(N_("a batch names at least one transfer"), field="transfers")
    if len(lines) > MAX_LINES:
        limit = {"limit": MAX_LINES, "count": len(lines)}
        raise InvalidInput(Message(N_("a batch holds at most %(limit)s transfers; this one has %(count)s"), limit))
    refused: dict[int, C3PError] = {}
    while True:
        views = _apply(session, actor, lines, refused, serials)
        if views is not None and not refused:
            return views
        session.rollback()
        if views is not None or len(refused) >= MAX_REFUSALS:
            raise _refusal(refused, len(lines))


def _apply(
    session: Session, actor: Actor, lines: Sequence[TransferLine], refused: dict[int, C3PError], serials: SerialFormat
) -> list[TransactionView] | None:
    """One pass over the lines not yet refused; ``None`` when one more line was refused.

    Every account the batch names is locked first, in the store's one order, so two batches
    crossing the same accounts queue instead of deadlocking.
    """
    store = service.ledger_store(session)
    store.begin_write()
    store.lock_accounts(sorted({n for line in lines for n in (line.from_account, line.to_account)}))
    views = []
    for number, line in enumerate(lines, start=1):
        if number in refused:
            continue
        try:
            views.append(
                service.transfer(session, actor, line.from_account, line.to_account, line.credits, line.serial, serials)
            )
        except C3PError as error:
            refused[number] = error
            return None
    return views


def _refusal(refused: dict[int, C3PError], count: int) -> C3PError:
    """The batch's refusal: the first reason in words, every refused transfer for machines.

    A batch refused only because the actor may not make its transfers is forbidden (403);
    any other mix is invalid input (422).
    """
    first, error = min(refused.items())
    text = N_("%(refused)s of %(count)s transfers refused; none was applied (transfer %(first)s: %(reason)s)")
    said = Message(text, {"refused": len(refused), "count": count, "first": first, "reason": error.message})
    listed = [{"transfer": number, "detail": error.detail} for number, error in sorted(refused.items())]
    kind = Forbidden if all(isinstance(error, Forbidden) for error in refused.values()) else InvalidInput
    return kind(said, field="transfers", refused=listed)


def read_lines(text: str) -> list[tuple[int, TransferLine]]:
    """The transfers of a CSV batch file (header ``from_account,to_account,credits,serial``), each with its line.

    ``credits`` is a whole number written with digits only: a file edited by hand that writes
    ``1,000`` or ``1.5`` is refused naming its line, never read as another amount.
    """
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows or [cell.strip() for cell in rows[0]] != list(COLUMNS):
        raise InvalidInput(Message(N_("a batch file starts with the header %(header)s"), {"header": ",".join(COLUMNS)}))
    numbered = enumerate(rows[1:], start=2)
    return [(number, _line(number, row)) for number, row in numbered if any(cell.strip() for cell in row)]


def _line(number: int, row: list[str]) -> TransferLine:
    if len(row) != len(COLUMNS):
        said: dict[str, object] = {"line": number, "count": len(row), "expected": len(COLUMNS)}
        raise InvalidInput(Message(N_("line %(line)s has %(count)s cells; a batch line has %(expected)s"), said))
    sender, receiver, credits, serial = (cell.strip() for cell in row)
    if (credits and not credits.isascii()) or (credits and not credits.isdigit()):
        said = {"line": number, "value": credits}
        raise InvalidInput(Message(N_("line %(line)s: credits %(value)r is not a whole number of digits"), said))
    return TransferLine(sender, receiver, int(credits) if credits else None, serial or None)
