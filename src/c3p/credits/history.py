"""The full history of a credit or a block, read from the journal (public, like "who holds it").

It finds the issuances whose credits the serials name, reads the journal entries that may
touch them (their moves and authorization changes, narrowed in SQL by the issuance's number
in each move and checked exactly by the rule), and turns the tree of
:func:`c3p.credits.rules.history.history` into views with account numbers, holders and the
final state of each range.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from c3p.accounts.tables import MemberOrganization
from c3p.credits import labels
from c3p.credits.rules import history as rules
from c3p.credits.rules.holding_accounts import AccountKind
from c3p.credits.rules.labels import Labels
from c3p.credits.rules.ledger import LedgerError
from c3p.credits.rules.serials import DEFAULT_FORMAT, SerialFormat
from c3p.credits.rules.transactions import MOVING_KINDS, Entry, TransactionKind
from c3p.credits.schemas import HistoryNodeView, HistoryView
from c3p.credits.tables import CreditAccount, CreditBlock, CreditIssuance, JournalEntry
from c3p.errors import Conflict, NotFound
from c3p.messages import N_, Message

#: what has become of credits, by the kind of account that holds them last
STATES = {
    AccountKind.retirement: "retired",
    AccountKind.cancellation: "cancelled",
    AccountKind.pending: "in_transit",
    AccountKind.returns: "returned",
}


def credit_history(session: Session, serial: str, fmt: SerialFormat = DEFAULT_FORMAT) -> HistoryView:
    """The history of the credit or block ``serial``; ``NotFound`` naming it if any of it was never issued."""
    parsed = fmt.parse(serial)
    issuance = _issuance_of(session, parsed.registry, parsed.start, parsed.end, serial)
    fmt.check_names(parsed, issuance.host_country, issuance.serial_code, issuance.period_number)
    found = replayed(entries_touching(session, issuance), parsed.registry, parsed.start, parsed.end)
    if found.issued_credits != parsed.credits:
        raise NotFound(Message(N_("no credit %(serial)s exists"), {"serial": serial}), field="serial")
    return HistoryView(
        serials=_printed(fmt, parsed.registry, issuance, parsed.start, parsed.end),
        registry=parsed.registry,
        issuance=issuance.notification_ref,
        project=issuance.project,
        host_country=issuance.host_country,
        issued_credits=found.issued_credits,
        nodes=_node_views(
            found,
            _accounts(session),
            lambda low, high: _printed(fmt, parsed.registry, issuance, low, high),
            issuance.host_country in labels.adjusted_hosts(session, [issuance.host_country]),
        ),
    )


def _node_views(
    found: rules.History,
    accounts: dict[int, tuple[str, str, str, str, str]],
    printed: Callable[[int, int], str],
    host_adjusted: bool,
) -> list[HistoryNodeView]:
    """The tree as a flat list, depth first, each node naming its parent's place and its labels then."""
    nodes: list[HistoryNodeView] = []
    places: dict[int, int] = {}  # id(node) -> its place in the list
    parents = {id(child): id(node) for _depth, node in rules.walk(found.roots) for child in node.children}
    for depth, node in rules.walk(found.roots):
        places[id(node)] = len(nodes)
        number, kind, holder, name_en, name_ja = accounts[node.account_id]
        parent = parents.get(id(node))
        tags = Labels.of(node.purposes if node.authorized else None, node.first_transferred, host_adjusted)
        nodes.append(
            HistoryNodeView(
                id=len(nodes),
                parent=None if parent is None else places[parent],
                depth=depth,
                serials=printed(node.start, node.end),
                start=node.start,
                end=node.end,
                credits=node.credits,
                account=number,
                account_kind=kind,
                holder=holder,
                holder_name_en=name_en,
                holder_name_ja=name_ja,
                event=node.kind,
                seq=node.seq,
                occurred_at=node.occurred_at,
                authorized=tags.authorized,
                purposes=sorted(tags.purposes),
                first_transferred=node.first_transferred,
                correspondingly_adjusted=tags.correspondingly_adjusted,
                state="" if node.children else STATES.get(AccountKind(kind), "held"),
            )
        )
    return nodes


def replayed(entries: list[Entry], registry: str, start: int, end: int) -> rules.History:
    """The history of a range; ``Conflict`` if the journal does not replay (``verify`` says where)."""
    try:
        return rules.history(entries, registry, start, end)
    except LedgerError as error:
        refusal = N_("the journal does not replay for these credits (%(error)s); run the registry's verification")
        raise Conflict(Message(refusal, {"error": str(error)})) from None


def _printed(fmt: SerialFormat, registry: str, issuance: CreditIssuance, start: int, end: int) -> str:
    host, code, period = issuance.host_country, issuance.serial_code, issuance.period_number
    return (
        fmt.unit(registry, host, code, period, start)
        if start == end
        else fmt.block(registry, host, code, period, start, end)
    )


def _issuance_of(session: Session, registry: str, start: int, end: int, serial: str) -> CreditIssuance:
    """The one issuance of serials ``start..end`` (a serial names one issuance's period)."""
    query = select(CreditBlock.issuance_id).where(
        CreditBlock.registry_code == registry, CreditBlock.start_serial <= end, CreditBlock.end_serial >= start
    )
    ids = set(session.scalars(query.distinct()))
    if not ids:
        raise NotFound(Message(N_("no credit %(serial)s exists"), {"serial": serial}), field="serial")
    if len(ids) > 1:
        refusal = N_("%(serial)s spans credits of %(count)s issuances; ask for each one's serials")
        raise NotFound(Message(refusal, {"serial": serial, "count": len(ids)}), field="serial")
    found = session.get(CreditIssuance, ids.pop())
    assert found is not None
    return found


def entries_touching(session: Session, issuance: CreditIssuance, until: int | None = None) -> list[Entry]:
    """The journal entries from the issuance on (to entry ``until``) that may move its credits or change its
    authorization.

    A move is stored as ``[registry,start,end,from,to,issuance,first]``, so its issuance's id is
    followed by ``,true]`` or ``,false]``; the rule then keeps only the moves of the range.
    """
    moving = [str(kind) for kind in MOVING_KINDS]
    marks = [JournalEntry.entry.like(f"%,{issuance.id},{flag}]%") for flag in ("true", "false")]
    query = (
        select(JournalEntry.entry)
        .where(JournalEntry.seq >= issuance.journal_seq)
        .where(
            or_(
                JournalEntry.kind == str(TransactionKind.authorization),
                (JournalEntry.kind.in_(moving)) & or_(*marks),
            )
        )
        .order_by(JournalEntry.seq)
        .execution_options(yield_per=2000)
    )
    if until is not None:
        query = query.where(JournalEntry.seq <= until)
    return [Entry.from_json(json.loads(text)) for text in session.scalars(query)]


def _accounts(session: Session) -> dict[int, tuple[str, str, str, str, str]]:
    """Each account's number, kind, and its holder's slug and names (empty for the registry's own accounts)."""
    query = select(
        CreditAccount.id,
        CreditAccount.number,
        CreditAccount.kind,
        func.coalesce(MemberOrganization.slug, ""),
        func.coalesce(MemberOrganization.name_en, ""),
        func.coalesce(MemberOrganization.name_ja, ""),
    ).outerjoin(MemberOrganization, MemberOrganization.id == CreditAccount.holder_id)
    return {int(row[0]): tuple(str(v) for v in row[1:]) for row in session.execute(query)}  # type: ignore[misc]
