"""The credit registry's commands: open accounts, issue, transfer, cancel, retire, authorize.

Each service takes the session (or any :class:`~c3p.credits.store.LedgerStore`, as the property
tests do) and the acting :class:`~c3p.accounts.rules.policy.Actor`, asks the policy with the real
target (the account's registry country and holder, or the host country for an issuance), applies
the ledger rules of :mod:`c3p.credits.rules`, and reads and writes the ledger only through the
store: blocks, balances and one journal entry. The caller commits once. Any error leaves the
database as it was, since nothing is committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, NamedTuple

from pydantic import ValidationError
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, Target, require
from c3p.credits.labels import authorization_view
from c3p.credits.monitoring_reports import NO_REPORT
from c3p.credits.rules import article6, authorizations
from c3p.credits.rules.access import account_target
from c3p.credits.rules.approvals import check_open, check_second_person, check_threshold, needs_approval
from c3p.credits.rules.authorizations import AuthorizedRange, record_at
from c3p.credits.rules.holding_accounts import (
    JAPAN,
    NO_ACCOUNT,
    SAME_ACCOUNTS,
    SYSTEM_KINDS,
    AccountKind,
    account_number,
    check_may_hold,
    check_status_change,
    check_usable,
    may_take_back,
)
from c3p.credits.rules.issuance import (
    check_allocation,
    check_model_project_share,
    check_report_verified,
    check_within_verified,
)
from c3p.credits.rules.ledger import issued_ranges, plan_issuance, plan_range, plan_transfer
from c3p.credits.rules.reports import check_no_open_corrective_action, check_not_verifier, party
from c3p.credits.rules.serials import DEFAULT_FORMAT, REGISTRY_CODE, ParsedSerial, SerialFormat, check_units_left
from c3p.credits.rules.transactions import Entry, Move, TransactionKind, check_amount, legs_for
from c3p.credits.schemas import (
    AccountView,
    AuthorizationView,
    IssuanceNotice,
    IssuanceView,
    RegistrySettings,
    TransactionView,
)
from c3p.credits.store import (
    FIRST_SOURCE_LIMIT,
    AccountRow,
    IssuanceRow,
    LedgerStore,
    NewIssuance,
    PendingRow,
    ProposalRow,
    ReportRow,
    SerialRange,
    SourceBlock,
    Store,
    new_key,
)
from c3p.db.database import CoreUnit
from c3p.errors import C3PError, Conflict, InvalidInput, NotFound
from c3p.messages import N_, Message

#: what a command runs in: an ORM unit of work, a Core one (the hot path), or a store itself (the property tests)
Work = Session | CoreUnit | LedgerStore


def ledger_store(session: Work) -> LedgerStore:
    """The store of ``session``'s transaction (SQL), or ``session`` itself when it already is a store."""
    return Store(session) if isinstance(session, Session | CoreUnit) else session


def _account_view(row: AccountRow) -> AccountView:
    return AccountView(
        number=row.number,
        registry=row.registry,
        kind=row.kind,
        status=row.status,
        holder=row.holder,
        name=row.name,
        balance_credits=row.balance,
    )


# ---------------------------------------------------------------- registries and accounts


def _open_registry(store: LedgerStore, actor: Actor, code: str) -> None:
    """Lock the registry ``code``; open it with its system accounts on first use."""
    if not REGISTRY_CODE.fullmatch(code or ""):
        refusal = N_("registry must be a country's ISO 3166 alpha-3 code, got '%(code)s'")
        raise InvalidInput(Message(refusal, {"code": code}), field="registry")
    if store.lock_registry(code) or not store.add_registry(code):
        return  # opened before, or just now by a concurrent first use
    for kind in SYSTEM_KINDS:
        _new_account(store, actor, code, kind, None, f"{code} {kind}")


def _new_account(
    store: LedgerStore, actor: Actor, registry: str, kind: AccountKind, holder_id: int | None, name: str
) -> AccountView:
    number = account_number(registry, kind, store.take_account_serial(registry))
    opened = store.add_account(registry, number, str(kind), holder_id, name)
    store.append(
        TransactionKind.account_opened,
        actor.label,
        details={"account_id": opened.id, "registry": registry, "kind": str(kind), "number": number},
    )
    return AccountView(
        number=number,
        registry=registry,
        kind=str(kind),
        status="open",
        holder="",
        name=name,
        balance_credits=0,
        opened_at=opened.opened_at,
    )


def _holding_kind(kind: str) -> AccountKind:
    try:
        account_kind = AccountKind(kind)
    except ValueError:
        refusal = N_("unknown account kind '%(kind)s'; holding kinds: government_holding, participant_holding")
        raise InvalidInput(Message(refusal, {"kind": kind})) from None
    if not account_kind.holding:
        refusal = N_("%(kind)s accounts are opened with the registry; open a holding account")
        raise InvalidInput(Message(refusal, {"kind": kind}), field="kind")
    return account_kind


def open_account(
    session: Work, actor: Actor, registry: str, kind: str, holder: str | None, name: str = ""
) -> AccountView:
    """Open a holding account for organization ``holder`` in ``registry`` (JPN or a partner)."""
    require(actor, "credits.account.open", Target.of(country=registry))
    account_kind = _holding_kind(kind)
    store = ledger_store(session)
    organization = store.organization(holder or "")
    if organization is None:
        refusal = N_("no member organization '%(holder)s'; account holders are organizations")
        raise NotFound(Message(refusal, {"holder": holder}), field="holder")
    store.begin_write()
    _open_registry(store, actor, registry)
    view = _new_account(store, actor, registry, account_kind, organization.id, name or organization.name_en)
    return view.model_copy(update={"holder": organization.slug})


def set_account_status(session: Work, actor: Actor, number: str, status: str) -> AccountView:
    """Suspend, reopen or close an account (closing needs a zero balance and is final)."""
    store = ledger_store(session)
    store.begin_write()
    row = store.lock_accounts([number]).get(number)
    if row is None:
        raise NotFound(Message(NO_ACCOUNT, {"number": number}))
    require(actor, "credits.account.update", Target.of(country=row.registry))
    if AccountKind(row.kind).system:
        refusal = N_("account %(number)s is one of the registry's own accounts and stays open")
        raise InvalidInput(Message(refusal, {"number": number}))
    target = str(check_status_change(number, row.status, status, row.balance))
    store.set_account_status(row.id, target)
    store.append(TransactionKind.account_status, actor.label, details={"account_id": row.id, "status": target})
    return _account_view(row._replace(status=target))


# ---------------------------------------------------------------- issuance


def _request_sha256(notice: IssuanceNotice) -> str:
    # fields left unset (None) stay out, so a notification hashes as it did before they existed
    return hashlib.sha256(notice.model_dump_json(exclude_none=True).encode()).hexdigest()


def parse_notice(body: dict[str, Any]) -> IssuanceNotice:
    try:
        return IssuanceNotice.model_validate(body)
    except ValidationError as error:
        raise InvalidInput.from_validation(error) from None


def issue(session: Work, actor: Actor, notice: IssuanceNotice, serials: SerialFormat = DEFAULT_FORMAT) -> IssuanceView:
    """Issue the credits of a Joint Committee notification, once: a repeated notification returns the first."""
    check_amount(notice.credits)
    for line in notice.allocation:
        check_amount(line.credits)
    store = ledger_store(session)
    store.begin_write()
    report = store.lock_report(notice.report_id)
    if report is None:
        raise NotFound(Message(NO_REPORT, {"report": notice.report_id}), field="report_id")
    require(actor, "credits.issue", Target.of(country=report.host_country, project=report.project))
    check_not_verifier(party(actor), report.verifier, report.id)
    earlier = _earlier_issuance(store, notice)
    if earlier is not None:
        return store.issuance_view(earlier, serials)
    _check_notice(store, notice, report)
    accounts = _allocation_accounts(store, notice, report.host_country)
    for code in sorted({account.registry for account in accounts.values()}):
        _open_registry(store, actor, code)
    issuance_id = store.add_issuance(
        NewIssuance(
            notice.notification_ref,
            _request_sha256(notice),
            report,
            notice.credits,
            [line.model_dump() for line in notice.allocation],
            notice.model_project,
            notice.authorized,
        )
    )
    moves = _allocate(store, notice, report.host_country, accounts, issuance_id)
    entry = _seal_issuance(store, actor, notice, report, issuance_id, moves)
    records: dict[int, list[AuthorizedRange]] = {issuance_id: []}
    if notice.authorized:
        day = entry.occurred_at[:10]
        ranges = issued_ranges(moves)
        records[issuance_id] = authorizations.legacy(
            issuance_id, ranges, notice.notification_ref, day, actor.label, entry.seq, _definition(notice)
        )
        for record in records[issuance_id]:
            store.save_authorization(record)
    hosts = {issuance_id: report.host_country}
    _record_adjustments(store, entry, moves, hosts, records, {row.id: row for row in accounts.values()})
    store.seal_issuance(issuance_id, entry.seq)
    store.mark_report_used(report.id)
    return store.issuance_view(issuance_id, serials)


def _earlier_issuance(store: LedgerStore, notice: IssuanceNotice) -> int | None:
    """The issuance of this notification made earlier, if any (a repeat with other contents is refused)."""
    existing = store.issuance_by_ref(notice.notification_ref)
    if existing is None:
        return None
    if existing.request_sha256 != _request_sha256(notice):
        refusal = N_("notification %(ref)s was already issued with other contents")
        raise Conflict(Message(refusal, {"ref": notice.notification_ref}))
    return existing.id


def _check_notice(store: LedgerStore, notice: IssuanceNotice, report: ReportRow) -> None:
    """The report is verified and covers the credits; the allocation adds up."""
    check_report_verified(report.id, report.status)
    check_no_open_corrective_action(report.id, report.open_corrective_actions)
    check_within_verified(notice.credits, report.id, report.verified_tco2, store.issued_credits(report.id))
    check_allocation(notice.credits, [(line.account, line.credits) for line in notice.allocation])


def _allocation_accounts(store: LedgerStore, notice: IssuanceNotice, host: str) -> dict[str, AccountRow]:
    """The allocation's accounts, locked: each may receive the host's credits, and a Model Project
    gives Japan's government at least half."""
    numbers = [line.account for line in notice.allocation]
    accounts = store.lock_accounts(numbers)
    for number in numbers:
        if number not in accounts:
            raise NotFound(Message(NO_ACCOUNT, {"number": number}), field="allocation")
        row = accounts[number]
        check_usable(number, row.status, row.kind, sending=False)
        check_may_hold(row.registry, host)
    to_japan = sum(
        line.credits
        for line in notice.allocation
        if accounts[line.account].registry == JAPAN and accounts[line.account].kind == AccountKind.government_holding
    )
    check_model_project_share(notice.model_project, notice.credits, to_japan)
    return accounts


def _allocate(
    store: LedgerStore, notice: IssuanceNotice, host: str, accounts: dict[str, AccountRow], issuance_id: int
) -> list[Move]:
    """New serials for each allocation line, numbered on in each receiving registry."""
    lines: dict[str, list[tuple[int, int, bool]]] = defaultdict(list)
    for line in notice.allocation:
        row = accounts[line.account]
        record = _notice_record(notice, issuance_id, row.registry)
        first = authorizations.is_first_transfer(record, host, row.registry, row.kind, False)
        lines[row.registry].append((row.id, line.credits, first))
    moves: list[Move] = []
    for code in sorted(lines):
        count = sum(credits for _a, credits, _f in lines[code])
        first_unit = store.take_units(code, count)
        check_units_left(code, first_unit, count)
        moves += plan_issuance(code, first_unit, lines[code], issuance_id)
    return moves


def _notice_record(notice: IssuanceNotice, issuance_id: int, registry: str) -> AuthorizedRange | None:
    """The terms a notification that authorizes its credits gives them (None when it does not)."""
    if not notice.authorized:
        return None
    return authorizations.legacy(
        issuance_id, [(registry, 1, 1)], notice.notification_ref, "", "", 0, _definition(notice)
    )[0]


def _definition(notice: IssuanceNotice) -> authorizations.FirstTransfer:
    """The first-transfer definition a notification gives its credits (the legacy one when it names none)."""
    return notice.first_transfer or authorizations.LEGACY_FIRST_TRANSFER


def _seal_issuance(
    store: LedgerStore, actor: Actor, notice: IssuanceNotice, report: ReportRow, issuance_id: int, moves: list[Move]
) -> Entry:
    """Write the new blocks and balances, and the issuance's journal entry."""
    registries = sorted({move.registry for move in moves})
    legs = legs_for(moves, {code: store.system_account(code, "issuance") for code in registries})
    store.apply_moves(moves, {})
    store.add_to_balances(legs)
    details = {
        "issuance_id": issuance_id,
        "host": report.host_country,
        "authorized": notice.authorized,
        "notification_ref": notice.notification_ref,
        "project": report.project,
        "serial_code": report.serial_code,
        "period": report.period_number,
    }
    if notice.authorized and notice.first_transfer is not None:
        details["first_transfer"] = str(notice.first_transfer)
    return store.append(TransactionKind.issuance, actor.label, legs, tuple(moves), details)


def _records(store: LedgerStore, authorized: dict[int, bool]) -> dict[int, list[AuthorizedRange]]:
    """The authorization records of the issuances marked authorized (no read when there are none),
    held still until commit: a move checks its receiver against them (purposes, authorized entities)
    and must not write on records a concurrent change has replaced since it read them."""
    wanted = [issuance for issuance, yes in authorized.items() if yes]
    if not wanted:
        return {}  # no issuance has records: every move's is None, as with an empty list each
    store.hold_authorizations(wanted)
    found = store.authorizations(wanted)
    return {issuance: found.get(issuance, []) for issuance in authorized}


def _record_of(records: dict[int, list[AuthorizedRange]], move: Move) -> AuthorizedRange | None:
    return record_at(records.get(move.issuance_id, ()), move.registry, move.start, move.end)


def _record_adjustments(
    store: LedgerStore,
    entry: Entry,
    moves: Sequence[Move],
    hosts: dict[int, str],
    records: dict[int, list[AuthorizedRange]],
    accounts: dict[int, AccountRow],
) -> None:
    """Record the Article 6.2 corresponding adjustments the entry's moves call for."""
    movements = []
    for move in moves:
        authorized, host = _record_of(records, move) is not None, hosts[move.issuance_id]
        to = accounts[move.to_account]
        movements.append(article6.Movement(move.credits, move.first_transfer, authorized, host, to.registry, to.kind))
    _record_movements(store, entry, movements)


def _record_movements(store: LedgerStore, entry: Entry, movements: Sequence[article6.Movement]) -> None:
    """The adjustments the moves call for, and the hosts' running totals of first-transferred credits."""
    found = article6.adjustments_for(movements, int(entry.occurred_at[:4]))
    if found:
        store.add_adjustments(found, entry.seq)
    first = article6.first_transferred_by_host(movements)
    if first:
        store.add_first_transfers(first)


# ---------------------------------------------------------------- transfers, cancellation, retirement


def _serial_range(credits: int | None, serial: str | None, serials: SerialFormat) -> ParsedSerial | None:
    """The serial range asked for, if any; with an amount too, the two must agree."""
    if credits is None and not serial:
        raise InvalidInput(N_("give a number of credits or a serial range"), field="credits")
    if credits is not None:
        check_amount(credits)
    if not serial:
        return None
    parsed = serials.parse(serial)
    if credits is not None and credits != parsed.credits:
        refusal = N_("serial range %(serial)s holds %(held)s credits, not %(credits)s")
        raise InvalidInput(Message(refusal, {"serial": serial, "held": parsed.credits, "credits": credits}))
    return parsed


def _check_serial_names(parsed: ParsedSerial | None, source: list[SourceBlock], serials: SerialFormat) -> None:
    """Each block a serial range reaches must be of the host, project and period the serial names."""
    if parsed is None:
        return
    for held in source:
        if held.block.end >= parsed.start and held.block.start <= parsed.end:
            serials.check_names(parsed, held.host, held.project, held.period)


def _more_source(store: LedgerStore, account_id: int, credits: int, source: list[SourceBlock]) -> list[SourceBlock]:
    """More of the sender's blocks while the first ones hold fewer than ``credits`` (the store gives only those
    that hold them, see :func:`~c3p.credits.store.holding`)."""
    limit = FIRST_SOURCE_LIMIT
    while len(source) == limit and sum(s.block.credits for s in source) < credits:
        limit *= 4
        source = store.first_source(account_id, limit, credits)
    return source


def _check_parties(
    actor: Actor, action: str, accounts: dict[str, AccountRow], sender_number: str, receiver_number: str | None
) -> AccountRow:
    """The sender may send (and the actor may act for it); a named receiver exists and may receive."""
    sender = accounts.get(sender_number)
    if sender is None:
        raise NotFound(Message(NO_ACCOUNT, {"number": sender_number}), field="from")
    if sender.kind == AccountKind.returns:
        if action != "credits.transfer":
            refusal = N_("credits in %(number)s are only transferred on, to a holding account")
            raise InvalidInput(Message(refusal, {"number": sender_number}), field="from")
        require(actor, "credits.returns.transfer", Target.of(country=sender.registry))
    else:
        require(actor, action, account_target(actor, sender.registry, sender.holder, sender.number))
    check_usable(sender_number, sender.status, sender.kind, sending=True)
    if receiver_number is not None:
        receiver = accounts.get(receiver_number)
        if receiver is None:
            raise NotFound(Message(NO_ACCOUNT, {"number": receiver_number}), field="to")
        if receiver_number == sender_number:
            raise InvalidInput(SAME_ACCOUNTS, field="to")
        check_usable(receiver_number, receiver.status, receiver.kind, sending=False)
    return sender


def _system_receiver(store: LedgerStore, registry: str, kind: AccountKind) -> AccountRow:
    """The registry's own cancellation or retirement account, as a receiver."""
    return AccountRow(store.system_account(registry, str(kind)), registry, "", str(kind), "open", 0, None, "", "")


def _take_blocks(
    store: LedgerStore,
    sender: AccountRow,
    receiver: AccountRow,
    source: list[SourceBlock],
    credits: int | None,
    wanted: SerialRange | None,
) -> list[Move]:
    """The moves out of the sender's blocks ``source`` (those that move): to the receiver, or to the pending
    account when it is in the other registry, which must be allowed to hold every credit that moves (the first
    transfer is then decided on acceptance)."""
    external = receiver.registry != sender.registry
    if external:
        for host in {s.host for s in source}:
            check_may_hold(receiver.registry, host)
        to_id, first = store.system_account(sender.registry, "pending"), {}
    else:
        to_id = receiver.id
        first = {
            s.block.issuance_id: article6.is_first_transfer(
                s.authorized, s.host, receiver.registry, receiver.kind, False
            )
            for s in source
        }
    blocks = [s.block for s in source]
    if wanted is not None:
        moves = plan_range(blocks, wanted.start, wanted.end, to_id, first)
    else:
        assert credits is not None  # _serial_range asks for one or the other
        moves = plan_transfer(blocks, credits, to_id, first)
    return moves


def _under_records(
    moves: list[Move], records: dict[int, list[AuthorizedRange]], hosts: dict[int, str], receiver: AccountRow
) -> list[Move]:
    """The moves with the first transfer each one's authorization record defines; a use its purposes
    do not allow (retirement without ndc, cancellation without oimp) is refused."""
    settled = []
    for move in moves:
        record = _record_of(records, move)
        authorizations.check_use(record, receiver.kind)
        _check_entity(record, receiver)
        first = move.first_transfer and authorizations.is_first_transfer(
            record, hosts[move.issuance_id], receiver.registry, receiver.kind, False
        )
        settled.append(move if first == move.first_transfer else move._replace(first_transfer=first))
    return settled


def _check_entity(record: AuthorizedRange | None, receiver: AccountRow) -> None:
    """The receiving account's holder is an authorized entity of the credits' record, when it lists any."""
    ref = record.decision if record is not None else ""
    authorizations.check_entity(record, receiver.kind, receiver.holder, receiver.number, ref)


def _hosts(names: dict[int, tuple[str, str, int]]) -> dict[int, str]:
    """The host country of each issuance, from its serials' names (host, project, period): made only for the
    moves that need it (authorization records, adjustments), not for every transfer."""
    return {issuance: name[0] for issuance, name in names.items()}


def _move_out(
    session: Work,
    actor: Actor,
    action: str,
    sender_number: str,
    receiver_number: str | None,
    receiver_kind: AccountKind | None,
    credits: int | None,
    serial: str | None,
    kind: TransactionKind,
    details: dict[str, Any],
    serials: SerialFormat,
    approval: dict[str, Any] | None = None,
) -> TransactionView:
    """Move credits out of an account; a transfer above its registry's threshold is only proposed,
    unless ``approval`` (who proposed and who approved it) says a second representative agreed."""
    parsed = _serial_range(credits, serial, serials)
    wanted = None if parsed is None else SerialRange(parsed.registry, parsed.start, parsed.end)
    store = ledger_store(session)
    if isinstance(store, Store) and store.moves_on_server and parsed is None and credits and approval is None:
        args = (action, sender_number, receiver_number, receiver_kind, credits, kind, details)
        view = _move_on_server(store, actor, *args, serials)
        if view is not None:
            return view
    store.begin_write()
    numbers = [sender_number] + ([receiver_number] if receiver_number else [])
    accounts, source = store.lock_with_source(numbers, sender_number, wanted, credits)
    sender = _check_parties(actor, action, accounts, sender_number, receiver_number)
    _check_serial_names(parsed, source, serials)
    if receiver_number is not None:
        receiver = accounts[receiver_number]
    else:
        assert receiver_kind is not None
        receiver = _system_receiver(store, sender.registry, receiver_kind)
    if wanted is None:
        source = _more_source(store, sender.id, credits or 0, source)
    moves = _take_blocks(store, sender, receiver, source, credits, wanted)
    records = _records(store, {s.block.issuance_id: s.authorized for s in source})
    names = {s.block.issuance_id: (s.host, s.project, s.period) for s in source}
    if any(records.values()):
        moves = _under_records(moves, records, _hosts(names), receiver)
    if kind is TransactionKind.transfer and approval is None:
        amount = sum(move.credits for move in moves)
        if needs_approval(amount, store.approval_threshold(sender.registry)):
            return _propose(store, actor, sender, receiver, amount, serial or "")
    details = {**details, **(approval or {})}
    printed = [serials.block(m.registry, *names[m.issuance_id], m.start, m.end) for m in moves]
    legs = legs_for(moves, {})
    store.apply_moves(moves, {(s.block.registry, s.block.start): (s.block, s.row_id) for s in source})
    store.add_to_balances(legs)
    external = receiver.registry != sender.registry
    if external:
        kind, details = TransactionKind.external_transfer, {**details, "to_account": receiver.id}
    entry = store.append(kind, actor.label, legs, tuple(moves), details)
    if external:
        store.add_pending(entry, sender.id, receiver.id)
    elif any(m.first_transfer for m in moves) or receiver.kind == AccountKind.retirement:
        _record_adjustments(store, entry, moves, _hosts(names), records, {receiver.id: receiver})
    return TransactionView(
        seq=entry.seq,
        key=entry.key,
        kind=str(kind),
        credits=entry.credits,
        occurred_at=entry.occurred_at,
        actor=entry.actor,
        from_account=sender_number,
        to_account=receiver.number or None,
        status="pending" if external else "completed",
        serials=printed,
        details=details,
    )


def _move_on_server(
    store: Store,
    actor: Actor,
    action: str,
    sender_number: str,
    receiver_number: str | None,
    receiver_kind: AccountKind | None,
    credits: int,
    kind: TransactionKind,
    details: dict[str, Any],
    serials: SerialFormat,
) -> TransactionView | None:
    """The same move in one server-side call, after the same policy decision (PostgreSQL).

    Parties met before (see :mod:`c3p.credits.known_parties`) are not read again: the call is the
    unit's one round trip, and the function checks under its locks each fact the policy used.
    None, with nothing changed, when the Python path must decide: a transfer to the other
    registry or one awaiting approval, or anything the function found unexpected under its
    locks (it then refuses with the precise reason, or succeeds if a concurrent change allows).
    """
    command = _ServerCommand(action, sender_number, receiver_number, receiver_kind, credits, kind, details)
    registry, system_kind = sender_number.partition("-")[0], str(receiver_kind or AccountKind.cancellation)
    known = store.known_parties(command.numbers, registry, system_kind if receiver_kind else None)
    if known is not None:
        view = _move_known(store, actor, command, known, serials)
        if view is not None:
            return view
        store.forget_parties(command.numbers, registry, system_kind)
    accounts, threshold = store.parties(command.numbers, registry, system_kind)
    sender, receiver = _server_parties(actor, command, accounts)
    if receiver is None or (kind is TransactionKind.transfer and needs_approval(credits, threshold)):
        return None
    return _call_server(store, actor, command, sender, receiver, serials)


class _ServerCommand(NamedTuple):
    """A transfer, cancellation or retirement of a number of credits, as the server path takes it."""

    action: str
    sender_number: str
    receiver_number: str | None
    receiver_kind: AccountKind | None
    credits: int
    kind: TransactionKind
    details: dict[str, Any]

    @property
    def numbers(self) -> list[str]:
        return [self.sender_number] + ([self.receiver_number] if self.receiver_number else [])


def _move_known(
    store: Store, actor: Actor, command: _ServerCommand, known: dict[str, AccountRow], serials: SerialFormat
) -> TransactionView | None:
    """The move between remembered parties (taken as open), the threshold left to the function; None, with
    nothing changed, when the path that reads the parties must decide (a remembered fact may be stale, so a
    refusal is that path's to make)."""
    try:
        sender, receiver = _server_parties(actor, command, known)
    except C3PError:
        return None
    return None if receiver is None else _call_server(store, actor, command, sender, receiver, serials)


def _server_parties(
    actor: Actor, command: _ServerCommand, accounts: dict[str, AccountRow]
) -> tuple[AccountRow, AccountRow | None]:
    """The sender and the receiver the policy allows (see :func:`_check_parties`); no receiver when the Python path
    moves (a receiver in the other registry, or the registry's system account missing)."""
    sender = _check_parties(actor, command.action, accounts, command.sender_number, command.receiver_number)
    if command.receiver_number is not None:
        receiver: AccountRow | None = accounts[command.receiver_number]
    else:
        kind = command.receiver_kind
        receiver = next((a for a in accounts.values() if a.kind == kind and a.registry == sender.registry), None)
    return sender, receiver if receiver is not None and receiver.registry == sender.registry else None


def _call_server(
    store: Store, actor: Actor, command: _ServerCommand, sender: AccountRow, receiver: AccountRow, serials: SerialFormat
) -> TransactionView | None:
    """``c3p_move_out`` between the parties; None when it changed nothing."""
    now = dt.datetime.now(dt.UTC).isoformat()
    entry = Entry(0, new_key(), command.kind, now, actor.label, details=command.details)
    done = store.move_on_server(sender, receiver, command.credits, entry)
    if done is None:
        return None
    printed = [serials.block(m.registry, *name, m.start, m.end) for m, name in zip(done.moves, done.names, strict=True)]
    return TransactionView(
        seq=done.seq,
        key=entry.key,
        kind=str(command.kind),
        credits=command.credits,
        occurred_at=now,
        actor=entry.actor,
        from_account=command.sender_number,
        to_account=command.receiver_number,
        status="completed",
        serials=printed,
        details=command.details,
    )


def transfer(
    session: Work,
    actor: Actor,
    from_account: str,
    to_account: str,
    credits: int | None = None,
    serial: str | None = None,
    serials: SerialFormat = DEFAULT_FORMAT,
) -> TransactionView:
    """Transfer credits between holding accounts; to the other registry the transfer waits to be accepted."""
    return _move_out(
        session,
        actor,
        "credits.transfer",
        from_account,
        to_account,
        None,
        credits,
        serial,
        TransactionKind.transfer,
        {},
        serials,
    )


def _propose(
    store: LedgerStore, actor: Actor, sender: AccountRow, receiver: AccountRow, credits: int, serial: str
) -> TransactionView:
    """Record a transfer that waits for a second representative; nothing moves yet."""
    details = {
        "from_account": sender.id,
        "to_account": receiver.id,
        "credits": credits,
        "serial": serial,
        "proposed_by_id": actor.user_id,
    }
    entry = store.append(TransactionKind.transfer_proposed, actor.label, details=details)
    proposal = ProposalRow(
        entry.key, sender.id, receiver.id, credits, serial, actor.user_id, actor.label, "proposed", entry.seq
    )
    store.add_proposal(proposal, entry.seq)
    return TransactionView(
        seq=entry.seq,
        key=entry.key,
        kind=str(TransactionKind.transfer_proposed),
        credits=credits,
        occurred_at=entry.occurred_at,
        actor=entry.actor,
        from_account=sender.number,
        to_account=receiver.number,
        status="awaiting_approval",
        details={"from_account": sender.number, "to_account": receiver.number, "credits": credits, "serial": serial},
    )


def _check_proposed(store: LedgerStore, proposal: ProposalRow) -> None:
    """A proposal is decided only as the journal entry that proposed it says (parties, credits, serials, who)."""
    entry = store.journal_entry(proposal.proposed_seq)
    journal = None
    if entry is not None and entry.key == proposal.key and entry.kind is TransactionKind.transfer_proposed:
        d = entry.details
        journal = (d["from_account"], d["to_account"], d["credits"], d["serial"], d.get("proposed_by_id"), entry.actor)
    stored = (
        proposal.from_account_id,
        proposal.to_account_id,
        proposal.credits,
        proposal.serial,
        proposal.proposed_by_id,
        proposal.proposed_by,
    )
    if journal != stored:
        refusal = N_(
            "proposed transfer %(key)s does not match the journal entry that proposed it, so it is not decided; "
            "the registry administrator should run the registry's verification"
        )
        raise Conflict(Message(refusal, {"key": proposal.key}))


def decide_transfer(
    session: Work, actor: Actor, key: str, approve: bool, serials: SerialFormat = DEFAULT_FORMAT
) -> TransactionView:
    """A second representative of the sending account approves a proposed transfer (it happens now,
    naming both people in its journal entry) or refuses it (nothing moves); never its proposer."""
    store = ledger_store(session)
    store.begin_write()
    proposal = store.lock_proposal(key)
    if proposal is None:
        raise NotFound(Message(N_("no proposed transfer %(key)s"), {"key": key}))
    _check_proposed(store, proposal)
    accounts = store.lock_accounts_by_id({proposal.from_account_id, proposal.to_account_id})
    sender, receiver = accounts[proposal.from_account_id], accounts[proposal.to_account_id]
    require(actor, "credits.transfer.approve", account_target(actor, sender.registry, sender.holder, sender.number))
    check_open(key, proposal.status)
    check_second_person(key, (proposal.proposed_by_id, proposal.proposed_by), (actor.user_id, actor.label))
    decided = {"approval_of": key, "proposed_by": proposal.proposed_by}
    if approve:
        view = _move_out(
            store,
            actor,
            "credits.transfer",
            sender.number,
            receiver.number,
            None,
            None if proposal.serial else proposal.credits,
            proposal.serial or None,
            TransactionKind.transfer,
            {},
            serials,
            {**decided, "approved_by": actor.label},
        )
        store.close_proposal(key, "approved", actor.label, view.seq)
        return view
    entry = store.append(TransactionKind.transfer_refused, actor.label, details={**decided, "refused_by": actor.label})
    store.close_proposal(key, "refused", actor.label, entry.seq)
    return TransactionView(
        seq=entry.seq,
        key=entry.key,
        kind=str(TransactionKind.transfer_refused),
        credits=0,
        occurred_at=entry.occurred_at,
        actor=entry.actor,
        from_account=sender.number,
        to_account=receiver.number,
        status="refused",
        details=dict(entry.details),
    )


def configure_registry(
    session: Work, actor: Actor, code: str, approval_threshold_credits: int | None
) -> RegistrySettings:
    """Set above how many credits a transfer in registry ``code`` needs a second representative (None: never)."""
    require(actor, "credits.registry.configure", Target.of(country=code))
    threshold = check_threshold(approval_threshold_credits)
    store = ledger_store(session)
    store.begin_write()
    if not store.lock_registry(code):
        raise NotFound(Message(N_("registry %(code)s is not opened yet"), {"code": code}), field="registry")
    store.set_approval_threshold(code, threshold)
    return RegistrySettings(registry=code, approval_threshold_credits=threshold)


def cancel(
    session: Work,
    actor: Actor,
    from_account: str,
    credits: int | None = None,
    serial: str | None = None,
    reason: str = "",
    serials: SerialFormat = DEFAULT_FORMAT,
) -> TransactionView:
    """Move credits to the registry's cancellation account, so they are never transferred again."""
    return _move_out(
        session,
        actor,
        "credits.cancel",
        from_account,
        None,
        AccountKind.cancellation,
        credits,
        serial,
        TransactionKind.cancellation,
        {"reason": reason},
        serials,
    )


def retire(
    session: Work,
    actor: Actor,
    from_account: str,
    purpose: str,
    beneficiary: str,
    credits: int | None = None,
    serial: str | None = None,
    serials: SerialFormat = DEFAULT_FORMAT,
) -> TransactionView:
    """Move credits to the registry's retirement account, used toward an NDC on behalf of ``beneficiary``."""
    if not purpose.strip() or not beneficiary.strip():
        raise InvalidInput(N_("a retirement names its purpose and its beneficiary"), field="purpose")
    details = {"purpose": purpose.strip(), "beneficiary": beneficiary.strip()}
    return _move_out(
        session,
        actor,
        "credits.retire",
        from_account,
        None,
        AccountKind.retirement,
        credits,
        serial,
        TransactionKind.retirement,
        details,
        serials,
    )


#: how a pending transfer was resolved, said in the reader's language
RESOLVED_WORDS = {"accepted": N_("accepted"), "rejected": N_("rejected")}


def resolve_pending(session: Work, actor: Actor, key: str, accept: bool) -> TransactionView:
    """The receiving registry accepts a pending transfer (credits arrive) or rejects it (they go back).

    Rejected credits go back to the sender while it is open; a sender closed or suspended
    meanwhile cannot take them, so they go to its registry's returns account, and the journal
    entry and the answer name that account (``returned_to``) and why (``sender_status``).
    """
    store = ledger_store(session)
    store.begin_write()
    pending = store.lock_pending(key)
    if pending is None:
        raise NotFound(Message(N_("no pending transfer %(key)s"), {"key": key}))
    # the pending account holds the blocks: locked with the parties, so an authorization marking them
    # (which locks their holder first) is wholly before or after this
    in_transit = {move.to_account for move in pending.moves}
    accounts = store.lock_accounts_by_id({pending.from_account_id, pending.to_account_id, *in_transit})
    receiver = accounts[pending.to_account_id]
    require(actor, "credits.accept", Target.of(country=receiver.registry))
    if pending.status != "pending":
        status = Message(RESOLVED_WORDS[pending.status]) if pending.status in RESOLVED_WORDS else pending.status
        raise Conflict(Message(N_("transfer %(key)s is already %(status)s"), {"key": key, "status": status}))
    _check_proposal(store, pending)
    sender = accounts[pending.from_account_id]
    to_row, details = receiver if accept else sender, {"proposal": key}
    if accept:
        check_usable(to_row.number, to_row.status, to_row.kind, sending=False)
    elif not may_take_back(sender.status):
        to_row = _returns_account(store, actor, sender.registry)
        details = {**details, "returned_to": to_row.number, "sender_status": sender.status}
    terms = store.issuance_terms(m.issuance_id for m in pending.moves)
    hosts = {i: t.host for i, t in terms.items()}
    records = _records(store, {i: t.authorized for i, t in terms.items()})
    held = store.blocks_starting_at(pending.moves)
    moves = [
        _settle(m, held[(m.registry, m.start)][0].first_transferred, hosts, records, to_row, accept)
        for m in pending.moves
    ]
    legs = legs_for(moves, {})
    store.apply_moves(moves, held)
    store.add_to_balances(legs)
    kind = TransactionKind.acceptance if accept else TransactionKind.rejection
    entry = store.append(kind, actor.label, legs, tuple(moves), details)
    _record_adjustments(store, entry, moves, hosts, records, {to_row.id: to_row})
    store.close_pending(key, "accepted" if accept else "rejected", entry.seq)
    return TransactionView(
        seq=entry.seq,
        key=entry.key,
        kind=str(kind),
        credits=entry.credits,
        occurred_at=entry.occurred_at,
        actor=entry.actor,
        to_account=to_row.number,
        details=details,
    )


def _returns_account(store: LedgerStore, actor: Actor, registry: str) -> AccountRow:
    """The registry's returns account, opened (and journaled) the first time a rejection needs it.

    A rejected transfer's credits go back to the sender; when the sender was closed or
    suspended meanwhile they cannot, so they wait here, in the sender's registry, for its
    administrators to pass them on (``credits.returns.transfer``).
    """
    found = store.find_system_account(registry, str(AccountKind.returns))
    if found is None:
        store.lock_registry(registry)
        opened = _new_account(store, actor, registry, AccountKind.returns, None, f"{registry} returns")
        found = store.lock_accounts([opened.number])[opened.number].id
    return store.lock_accounts_by_id([found])[found]


def _check_proposal(store: LedgerStore, pending: PendingRow) -> None:
    """A pending transfer delivers only what the journal entry that proposed it says (parties and serials)."""
    proposal = store.journal_entry(pending.proposed_seq)
    proposed = None
    if proposal is not None and proposal.key == pending.key and proposal.kind is TransactionKind.external_transfer:
        proposed = (proposal.moves[0].from_account, proposal.details.get("to_account"), proposal.moves)
    if proposed != (pending.from_account_id, pending.to_account_id, pending.moves):
        refusal = N_(
            "pending transfer %(key)s does not match the journal entry that proposed it, so it is not delivered; "
            "the registry administrator should run the registry's verification"
        )
        raise Conflict(Message(refusal, {"key": pending.key}))


def _settle(
    proposed: Move,
    already: bool,
    hosts: dict[int, str],
    records: dict[int, list[AuthorizedRange]],
    to: AccountRow,
    accept: bool,
) -> Move:
    """A proposed move out of the pending account, on to the receiver (or back to the sender)."""
    record = _record_of(records, proposed)
    if accept:
        _check_entity(record, to)
    first = accept and authorizations.is_first_transfer(
        record, hosts[proposed.issuance_id], to.registry, to.kind, already
    )
    return Move(
        proposed.registry, proposed.start, proposed.end, proposed.to_account, to.id, proposed.issuance_id, first
    )


def authorize(session: Work, actor: Actor, notification_ref: str, status: str) -> IssuanceView:
    """Set the Article 6.2 authorization of an issuance (it governs the credits' later first transfers)."""
    try:
        wanted = article6.Authorization(status)
    except ValueError:
        refusal = N_("authorization is authorized or not_authorized, got '%(status)s'")
        raise InvalidInput(Message(refusal, {"status": status})) from None
    store = ledger_store(session)
    store.begin_write()
    issuance = _issuance(store, notification_ref)
    require(actor, "credits.authorize", Target.of(country=issuance.host_country))
    issuance = _lock_holders(store, notification_ref, store.issued_ranges(issuance.id))
    if issuance.authorization != wanted:
        article6.check_authorization_change(notification_ref, wanted, store.first_transferred_credits(issuance.id))
        store.set_authorization(issuance.id, str(wanted))
        entry = store.append(
            TransactionKind.authorization, actor.label, details={"issuance_id": issuance.id, "status": str(wanted)}
        )
        if wanted is article6.Authorization.authorized:
            ranges, day = store.issued_ranges(issuance.id), entry.occurred_at[:10]
            for record in authorizations.legacy(issuance.id, ranges, notification_ref, day, entry.actor, entry.seq):
                store.save_authorization(record)
        else:
            store.drop_authorizations(issuance.id)
    return store.issuance_view(issuance.id, DEFAULT_FORMAT)


def authorize_range(
    session: Work,
    actor: Actor,
    notification_ref: str,
    serials: str,
    purposes: Sequence[str],
    entities: Sequence[str],
    decision_ref: str,
    decided_on: str,
    first_transfer: str | None = None,
    registry: str | None = None,
    today: dt.date | None = None,
) -> AuthorizationView:
    """Record (or make the next version of) the Article 6.2 authorization of serials ``a-b`` of an issuance.

    The blocks crossing the range's bounds are split, so the authorization travels with the credits.
    """
    wanted_purposes = authorizations.parse_purposes(purposes)
    definition = authorizations.parse_first_transfer(first_transfer, wanted_purposes)
    start, end = _parse_serials(serials)
    day = _parse_day(decided_on)
    authorizations.check_decided_on(day, today or dt.datetime.now(dt.UTC).date())
    if not decision_ref.strip():
        raise InvalidInput(N_("name the decision that authorizes the credits"), field="decision_ref")
    store = ledger_store(session)
    store.begin_write()
    issuance = _issuance(store, notification_ref)
    require(actor, "credits.authorize", Target.of(country=issuance.host_country))
    slugs = _entities(store, entities)
    issued = store.issued_ranges(issuance.id)
    code = _range_registry(registry, issued, notification_ref)
    authorizations.check_within(issued, code, start, end, notification_ref)
    issuance = _lock_holders(store, notification_ref, [(code, start, end)])
    existing = store.authorizations([issuance.id]).get(issuance.id, [])
    same = any((r.registry, r.start, r.end) == (code, start, end) for r in existing)
    first_transferred = store.first_transferred_in(issuance.id, code, start, end) if same else 0
    wanted = authorizations.AuthorizedRange(
        issuance.id, code, start, end, wanted_purposes, slugs, definition, 0, decision_ref.strip(), day.isoformat()
    )
    record = authorizations.next_version(existing, wanted, first_transferred)
    meeting = store.blocks_in(code, start, end)
    authorizations.check_no_cut_in_transit([(block, kind) for block, _row, kind in meeting], start, end)
    store.split_blocks(code, start, end)
    held = store.blocks_in(code, start, end)
    moves = authorizations.first_transfers_on_record(record, [(block, kind) for block, _row, kind in held])
    store.apply_moves(moves, {(block.registry, block.start): (block, row) for block, row, _kind in held})
    details = {"issuance_id": issuance.id, "status": "authorized", "authorization": record.terms()}
    entry = store.append(TransactionKind.authorization, actor.label, moves=tuple(moves), details=details)
    if moves:
        kinds = {block.account_id: kind for block, _row, kind in held}
        _record_first_transfers(store, entry, moves, issuance.host_country, kinds)
    record = replace(record, recorded_by=entry.actor, journal_seq=entry.seq)
    store.save_authorization(record)
    if issuance.authorization != article6.Authorization.authorized:
        store.set_authorization(issuance.id, str(article6.Authorization.authorized))
    return authorization_view(notification_ref, record)


def _issuance(store: LedgerStore, notification_ref: str) -> IssuanceRow:
    """The issuance of ``notification_ref``, read without a lock (its id, host and serials never change)."""
    issuance = store.issuance_by_ref(notification_ref)
    if issuance is None:
        raise NotFound(Message(N_("no issuance for notification %(ref)s"), {"ref": notification_ref}))
    return issuance


def _lock_holders(store: LedgerStore, notification_ref: str, spans: Sequence[tuple[str, int, int]]) -> IssuanceRow:
    """Lock the accounts holding the credits of ``spans``, then the issuance; the issuance as it now is.

    An authorization splits blocks and marks credits first transferred where they are held; a
    transfer reads its sender's blocks without locking them and writes them back by row id. Both
    follow one lock order, the store's: accounts by id, then the issuance (``FOR UPDATE`` here,
    ``FOR KEY SHARE`` by a move of authorized credits), then blocks, then the journal head. So this
    waits for a transfer holding the sender to commit, and a transfer coming later waits on its
    account lock until this authorization commits and then reads the blocks (a new statement, a
    new snapshot under READ COMMITTED) split, marked and of an authorized issuance. The holders
    are read again once locked: a transfer that committed in between may have moved credits of the
    spans to an account not yet locked, which is then locked too (out of id order, in that rare
    case; PostgreSQL ends a resulting deadlock by refusing one side). Once all are locked no credit
    of the spans can move. SQLite needs none of it: ``BEGIN IMMEDIATE`` made this the only writer.
    """
    locked: set[int] = set()
    while fresh := store.holders(spans) - locked:
        store.lock_accounts_by_id(fresh)
        locked |= fresh
    issuance = store.issuance_by_ref(notification_ref, lock=True)
    assert issuance is not None  # found above, and issuances are never deleted
    return issuance


def _record_first_transfers(
    store: LedgerStore, entry: Entry, moves: Sequence[Move], host: str, kinds: dict[int, str]
) -> None:
    """The host's adjustments for the credits an authorization first-transferred where they are held."""
    movements = [article6.Movement(m.credits, True, True, host, m.registry, kinds[m.to_account]) for m in moves]
    _record_movements(store, entry, movements)


def _parse_serials(serials: str) -> tuple[int, int]:
    """``a-b`` (or one serial ``a``) as unit numbers."""
    parts = (serials or "").replace(" ", "").split("-")
    try:
        start, end = (int(parts[0]), int(parts[-1])) if 1 <= len(parts) <= 2 else (0, -1)
    except ValueError:
        start, end = 0, -1
    if start < 1 or end < start:
        refusal = N_("serials must be a range of unit numbers such as 11-20, got '%(serials)s'")
        raise InvalidInput(Message(refusal, {"serials": serials}), field="serials")
    return start, end


def _parse_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        refusal = N_("the decision date must be a date such as 2026-04-01, got '%(value)s'")
        raise InvalidInput(Message(refusal, {"value": value}), field="decided_on") from None


def _entities(store: LedgerStore, entities: Sequence[str]) -> tuple[str, ...]:
    """The authorized organizations, each a member organization, in order and once."""
    slugs = sorted({slug.strip() for slug in entities if slug.strip()})
    for slug in slugs:
        if store.organization(slug) is None:
            refusal = N_("no member organization '%(entity)s' to authorize")
            raise NotFound(Message(refusal, {"entity": slug}), field="entities")
    return tuple(slugs)


def _range_registry(registry: str | None, issued: Sequence[tuple[str, int, int]], ref: str) -> str:
    """The registry whose serials are meant: the one given, or the only one the issuance issued into."""
    if registry:
        return registry.strip().upper()
    codes = sorted({code for code, _s, _e in issued})
    if len(codes) != 1:
        refusal = N_("issuance %(ref)s has serials in %(registries)s: name the registry")
        raise InvalidInput(Message(refusal, {"ref": ref, "registries": ", ".join(codes)}), field="registry")
    return codes[0]
