"""Many transfers in one transaction: each checked as if it were sent alone, all applied or none.

A registry administrator or an account representative moving credits for many buyers sends
them as one batch (a file, or one API call). Every line goes through :func:`service.transfer`,
so the policy and every ledger rule hold line by line, each line seeing what the earlier ones
did. The lines run against a :class:`~c3p.credits.batch_store.BatchStore`: the batch's accounts
are locked and their blocks read once, every line is decided in memory, and the writes go to
the database at the end in a few grouped statements with one commit, which is what makes a
batch faster than as many single transfers.

A refused line changes nothing (every check comes before a transfer's writes), so the batch
goes on with the next one and the answer names every refused transfer at once (up to
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
from c3p.credits.batch_store import BatchStore
from c3p.credits.rules.serials import DEFAULT_FORMAT, SerialFormat
from c3p.credits.schemas import TransactionView
from c3p.db.database import CoreUnit
from c3p.errors import C3PError, Forbidden, InvalidInput
from c3p.messages import N_, Message

#: lines in one batch: enough for a registry's daily work, small enough to answer in seconds
MAX_LINES = 1000
#: refusals named before the batch stops reading its lines
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
    work: Session | CoreUnit, actor: Actor, lines: Sequence[TransferLine], serials: SerialFormat = DEFAULT_FORMAT
) -> list[TransactionView]:
    """Apply every line in order, in the caller's transaction, or refuse the batch naming each refused line."""
    if not lines:
        raise InvalidInput(N_("a batch names at least one transfer"), field="transfers")
    if len(lines) > MAX_LINES:
        limit = {"limit": MAX_LINES, "count": len(lines)}
        raise InvalidInput(Message(N_("a batch holds at most %(limit)s transfers; this one has %(count)s"), limit))
    senders = [line.from_account for line in lines]
    numbers = senders + [line.to_account for line in lines]
    external = any(_registry(line.from_account) != _registry(line.to_account) for line in lines)
    store = BatchStore(work, numbers, senders, external)
    views, refused = _apply(store, actor, lines, serials)
    if refused:
        work.rollback()
        raise _refusal(refused, len(lines))
    store.flush()
    return views


def _registry(number: str) -> str:
    return number.partition("-")[0]  # an account number starts with its registry's code


def _apply(
    store: BatchStore, actor: Actor, lines: Sequence[TransferLine], serials: SerialFormat
) -> tuple[list[TransactionView], dict[int, C3PError]]:
    """Every line in order against the batch's store: the views, and the refused lines by number."""
    views, refused = [], {}
    for number, line in enumerate(lines, start=1):
        try:
            views.append(
                service.transfer(store, actor, line.from_account, line.to_account, line.credits, line.serial, serials)
            )
        except C3PError as error:
            refused[number] = error
            if len(refused) >= MAX_REFUSALS:
                break
    return views, refused


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
