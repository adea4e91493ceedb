"""The credit registry's commands: open accounts, issue, transfer, cancel, retire, authorize.

Each service takes the session and the acting :class:`~c3p.accounts.rules.policy.Actor`, asks the
policy with the real target (the account's registry country and holder, or the host
country for an issuance), applies the ledger rules of :mod:`c3p.credits.rules`, writes blocks,
balances and one journal entry, and flushes. The caller commits once. Any error leaves the
database as it was, since nothing is committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, Target, require
from c3p.accounts.tables import MemberOrganization
from c3p.credits.monitoring_reports import NO_REPORT
from c3p.credits.rules import article6
from c3p.credits.rules.access import account_target
from c3p.credits.rules.blocks import Block
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
)
from c3p.credits.rules.ledger import plan_issuance, plan_range, plan_transfer
from c3p.credits.rules.serials import DEFAULT_FORMAT, REGISTRY_CODE, SerialFormat
from c3p.credits.rules.transactions import Entry, Move, TransactionKind, check_amount, legs_for
from c3p.credits.schemas import AccountView, IssuanceNotice, IssuanceView, TransactionView
from c3p.credits.store import Store, begin_write
from c3p.credits.tables import (
    CreditAccount,
    CreditIssuance,
    CreditRegistry,
    MonitoringReport,
    PendingTransfer,
)
from c3p.errors import Conflict, InvalidInput, NotFound
from c3p.messages import N_, Message
from c3p.program.tables import Country

# Column positions of Store.lock_accounts rows
ID, REGISTRY, NUMBER, KIND, STATUS, BALANCE, HOLDER_ID, HOLDER, NAME = range(9)


def _account_view(row: tuple[Any, ...]) -> AccountView:
    return AccountView(
        number=row[NUMBER],
        registry=row[REGISTRY],
        kind=row[KIND],
        status=row[STATUS],
        holder=row[HOLDER],
        name=row[NAME],
        balance_credits=int(row[BALANCE]),
    )


# ---------------------------------------------------------------- registries and accounts


def _registry(session: Session, actor: Actor, code: str) -> CreditRegistry:
    """The registry ``code``, locked; opened with its system accounts on first use."""
    if not REGISTRY_CODE.fullmatch(code or ""):
        refusal = N_("registry must be a country's ISO 3166 alpha-3 code, got '%(code)s'")
        raise InvalidInput(Message(refusal, {"code": code}), field="registry")
    registry = session.get(CreditRegistry, code, with_for_update=True)
    if registry is not None:
        return registry
    country = session.get(Country, code)
    registry = CreditRegistry(
        code=code,
        name_en=f"JCM registry of {country.name_en if country else code}",
        name_ja=f"{country.name_ja if country else code} JCM登録簿",
        next_unit=1,
        next_account=1,
    )
    session.add(registry)
    session.flush()
    for kind in SYSTEM_KINDS:
        _new_account(session, actor, registry, kind, None, f"{code} {kind}")
    return registry


def _new_account(
    session: Session, actor: Actor, registry: CreditRegistry, kind: AccountKind, holder_id: int | None, name: str
) -> CreditAccount:
    number = account_number(registry.code, kind, registry.next_account)
    registry.next_account += 1
    account = CreditAccount(
        registry_code=registry.code,
        number=number,
        kind=str(kind),
        holder_id=holder_id,
        name=name,
        status="open",
        balance=0,
    )
    session.add(account)
    session.flush()
    Store(session).append(
        TransactionKind.account_opened,
        actor.label,
        details={"account_id": account.id, "registry": registry.code, "kind": str(kind), "number": number},
    )
    return account


def open_account(
    session: Session, actor: Actor, registry: str, kind: str, holder: str | None, name: str = ""
) -> AccountView:
    """Open a holding account for organization ``holder`` in ``registry`` (JPN or a partner)."""
    require(actor, "credits.account.open", Target.of(country=registry))
    try:
        account_kind = AccountKind(kind)
    except ValueError:
        refusal = N_("unknown account kind '%(kind)s'; holding kinds: government_holding, participant_holding")
        raise InvalidInput(Message(refusal, {"kind": kind})) from None
    if not account_kind.holding:
        refusal = N_("%(kind)s accounts are opened with the registry; open a holding account")
        raise InvalidInput(Message(refusal, {"kind": kind}), field="kind")
    organization = session.scalars(select(MemberOrganization).where(MemberOrganization.slug == (holder or ""))).first()
    if organization is None:
        refusal = N_("no member organization '%(holder)s'; account holders are organizations")
        raise NotFound(Message(refusal, {"holder": holder}), field="holder")
    begin_write(session)
    row = _registry(session, actor, registry)
    account = _new_account(session, actor, row, account_kind, organization.id, name or organization.name_en)
    return AccountView(
        number=account.number,
        registry=account.registry_code,
        kind=account.kind,
        status=account.status,
        holder=organization.slug,
        name=account.name,
        balance_credits=0,
        opened_at=account.opened_at,
    )


def set_account_status(session: Session, actor: Actor, number: str, status: str) -> AccountView:
    """Suspend, reopen or close an account (closing needs a zero balance and is final)."""
    begin_write(session)
    store = Store(session)
    row = store.lock_accounts([number]).get(number)
    if row is None:
        raise NotFound(Message(NO_ACCOUNT, {"number": number}))
    require(actor, "credits.account.update", Target.of(country=row[REGISTRY]))
    if AccountKind(row[KIND]).system:
        refusal = N_("account %(number)s is one of the registry's own accounts and stays open")
        raise InvalidInput(Message(refusal, {"number": number}))
    target = check_status_change(number, row[STATUS], status, int(row[BALANCE]))
    account = session.get(CreditAccount, row[ID])
    assert account is not None
    account.status = str(target)
    account.closed_at = dt.datetime.now(dt.UTC) if target == "closed" else None
    session.flush()
    store.append(TransactionKind.account_status, actor.label, details={"account_id": row[ID], "status": str(target)})
    return _account_view((*row[:STATUS], str(target), *row[STATUS + 1 :]))


# ---------------------------------------------------------------- issuance


def _request_sha256(notice: IssuanceNotice) -> str:
    return hashlib.sha256(notice.model_dump_json().encode()).hexdigest()


def parse_notice(body: dict[str, Any]) -> IssuanceNotice:
    try:
        return IssuanceNotice.model_validate(body)
    except ValidationError as error:
        raise InvalidInput.from_validation(error) from None


def issue(
    session: Session, actor: Actor, notice: IssuanceNotice, serials: SerialFormat = DEFAULT_FORMAT
) -> IssuanceView:
    """Issue the credits of a Joint Committee notification, once: a repeated notification returns the first."""
    check_amount(notice.credits)
    for line in notice.allocation:
        check_amount(line.credits)
    begin_write(session)
    report = session.get(MonitoringReport, notice.report_id, with_for_update=True)
    if report is None:
        raise NotFound(Message(NO_REPORT, {"report": notice.report_id}), field="report_id")
    require(actor, "credits.issue", Target.of(country=report.host_country, project=report.project))
    existing = session.scalars(
        select(CreditIssuance).where(CreditIssuance.notification_ref == notice.notification_ref)
    ).first()
    if existing is not None:
        if existing.request_sha256 != _request_sha256(notice):
            refusal = N_("notification %(ref)s was already issued with other contents")
            raise Conflict(Message(refusal, {"ref": notice.notification_ref}))
        from c3p.credits.queries import issuance_view

        return issuance_view(session, existing, serials)
    if report.status not in ("verified", "used"):
        refusal = N_("monitoring report %(report)s is %(status)s; a TPE must verify it before issuance")
        raise Conflict(Message(refusal, {"report": report.id, "status": report.status}))
    issued = session.scalar(
        select(func.coalesce(func.sum(CreditIssuance.credits), 0)).where(CreditIssuance.report_id == report.id)
    )
    remaining = report.emission_reductions_tco2 - int(issued or 0)
    if notice.credits > remaining:
        refusal = N_(
            "notification asks for %(credits)s credits but report %(report)s has only %(remaining)s "
            "verified reductions left (%(verified)s tCO2 verified, %(issued)s issued)"
        )
        counts = {"credits": notice.credits, "remaining": remaining, "issued": issued}
        raise Conflict(Message(refusal, {**counts, "report": report.id, "verified": report.emission_reductions_tco2}))
    allocated = sum(line.credits for line in notice.allocation)
    if allocated != notice.credits:
        refusal = N_("the allocation sums to %(allocated)s, not %(credits)s")
        raise InvalidInput(Message(refusal, {"allocated": allocated, "credits": notice.credits}))
    numbers = [line.account for line in notice.allocation]
    if len(set(numbers)) != len(numbers):
        raise InvalidInput(N_("an account appears twice in the allocation"))
    store = Store(session)
    accounts = store.lock_accounts(numbers)
    for number in numbers:
        if number not in accounts:
            raise NotFound(Message(NO_ACCOUNT, {"number": number}), field="allocation")
        row = accounts[number]
        check_usable(number, row[STATUS], row[KIND], sending=False)
        check_may_hold(row[REGISTRY], report.host_country)
    to_japan = sum(
        x.credits
        for x in notice.allocation
        if accounts[x.account][REGISTRY] == JAPAN and accounts[x.account][KIND] == AccountKind.government_holding
    )
    if notice.model_project and 2 * to_japan < notice.credits:
        refusal = N_(
            "a Model Project delivers at least half of its credits to the Government of Japan: "
            "%(to_japan)s of %(credits)s allocated to Japan's government holding accounts"
        )
        raise InvalidInput(Message(refusal, {"to_japan": to_japan, "credits": notice.credits}))
    registries = {
        row[REGISTRY]: _registry(session, actor, row[REGISTRY])
        for row in sorted(accounts.values(), key=lambda r: r[REGISTRY])
    }
    issuance = CreditIssuance(
        notification_ref=notice.notification_ref,
        request_sha256=_request_sha256(notice),
        report_id=report.id,
        project=report.project,
        host_country=report.host_country,
        period_number=report.period_number,
        vintage_year=report.period_end.year,
        credits=notice.credits,
        allocation=[line.model_dump() for line in notice.allocation],
        model_project=notice.model_project,
        authorization_status="authorized" if notice.authorized else "not_authorized",
        authorized_at=dt.datetime.now(dt.UTC) if notice.authorized else None,
        journal_seq=0,
    )
    session.add(issuance)
    session.flush()
    lines: dict[str, list[tuple[int, int, bool]]] = defaultdict(list)
    for line in notice.allocation:
        row = accounts[line.account]
        first = article6.is_first_transfer(notice.authorized, report.host_country, row[REGISTRY], row[KIND], False)
        lines[row[REGISTRY]].append((row[ID], line.credits, first))
    moves: list[Move] = []
    for code, registry in sorted(registries.items()):
        moves += plan_issuance(code, registry.next_unit, lines[code], issuance.id)
        registry.next_unit += sum(credits for _a, credits, _f in lines[code])
    session.flush()
    issuance_accounts = {code: store.system_account(code, "issuance") for code in registries}
    legs = legs_for(moves, issuance_accounts)
    store.apply_moves(moves, {})
    store.add_to_balances(legs)
    details = {
        "issuance_id": issuance.id,
        "host": report.host_country,
        "authorized": notice.authorized,
        "notification_ref": notice.notification_ref,
        "project": report.project,
        "period": report.period_number,
    }
    entry = store.append(TransactionKind.issuance, actor.label, legs, tuple(moves), details)
    _record_adjustments(
        store, entry, moves, {issuance.id: (notice.authorized, report.host_country)}, accounts_by_id(accounts)
    )
    issuance.journal_seq = entry.seq
    report.status = "used"
    session.flush()
    from c3p.credits.queries import issuance_view

    return issuance_view(session, issuance, serials)


def accounts_by_id(accounts: dict[str, tuple[Any, ...]]) -> dict[int, tuple[Any, ...]]:
    return {row[ID]: row for row in accounts.values()}


def _record_adjustments(
    store: Store,
    entry: Entry,
    moves: list[Move] | tuple[Move, ...],
    issuances: dict[int, tuple[bool, str]],
    accounts: dict[int, tuple[Any, ...]],
) -> None:
    year = int(entry.occurred_at[:4])
    found: list[article6.Adjustment] = []
    for move in moves:
        authorized, host = issuances[move.issuance_id]
        if move.first_transfer:
            found.append(article6.Adjustment(host, year, article6.AdjustmentKind.first_transfer, move.credits))
        to = accounts.get(move.to_account)
        if to is not None and article6.is_use(authorized, host, to[REGISTRY], to[KIND]):
            found.append(article6.Adjustment(to[REGISTRY], year, article6.AdjustmentKind.use, move.credits))
    if found:
        store.many(
            "INSERT INTO corresponding_adjustments (country, year, kind, credits, journal_seq) "
            "VALUES (%s, %s, %s, %s, %s)",
            [(a.country, a.year, str(a.kind), a.credits, entry.seq) for a in article6.summed(found)],
        )


# ---------------------------------------------------------------- transfers, cancellation, retirement

# The sender's blocks with their issuance: the first few by (registry, serial) are read
# straight off the (account_id, registry, start_serial) index, then joined to their issuance.
_SOURCE_SQL = (
    "SELECT b.id, b.registry, b.start_serial, b.end_serial, b.account_id, b.issuance_id, b.first_transferred, "
    "i.authorization_status, i.host_country, i.project, i.period_number "
    "FROM (SELECT id, registry, start_serial, end_serial, account_id, issuance_id, first_transferred "
    "FROM credit_blocks WHERE {where} ORDER BY registry, start_serial{limit}) b "
    "JOIN credit_issuances i ON i.id = b.issuance_id"
)
_BY_NUMBER = "account_id = (SELECT id FROM credit_accounts WHERE number = %s)"
_FIRST_BY_NUMBER = _SOURCE_SQL.format(where=_BY_NUMBER, limit=" LIMIT %s")
_FIRST_BY_ID = _SOURCE_SQL.format(where="account_id = %s", limit=" LIMIT %s")
_RANGE_BY_NUMBER = _SOURCE_SQL.format(
    where=_BY_NUMBER + " AND registry = %s AND end_serial >= %s AND start_serial <= %s", limit=""
)


def _source_sql(number: str, credits: int | None, serial: str | None, serials: SerialFormat):
    """The query of the sender's blocks to take from (lowest serials first, or those covering ``serial``)."""
    if serial:
        parsed = serials.parse(serial)
        if credits is not None and credits != parsed.credits:
            refusal = N_("serial range %(serial)s holds %(held)s credits, not %(credits)s")
            raise InvalidInput(Message(refusal, {"serial": serial, "held": parsed.credits, "credits": credits}))
        return (_RANGE_BY_NUMBER, (number, parsed.registry, parsed.start, parsed.end)), parsed
    return (_FIRST_BY_NUMBER, (number, 4)), None


def _by_serial(rows: list[Any]) -> list[Any]:
    return sorted(rows, key=lambda r: (r[1], r[2]))


def _more_source(store: Store, account_id: int, credits: int, rows: list[Any]) -> list[Any]:
    """More of the sender's blocks while the first ones hold fewer than ``credits``."""
    limit = 4
    while len(rows) == limit and sum(r[3] - r[2] + 1 for r in rows) < credits:
        limit *= 4
        rows = _by_serial(store.rows(_FIRST_BY_ID, (account_id, limit)))
    return rows


def _move_out(
    session: Session,
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
) -> TransactionView:
    if credits is None and not serial:
        raise InvalidInput(N_("give a number of credits or a serial range"), field="credits")
    if credits is not None:
        check_amount(credits)
    store = Store(session, write=True)
    numbers = [sender_number] + ([receiver_number] if receiver_number else [])
    source_query, parsed = _source_sql(sender_number, credits, serial, serials)
    locked, rows = store.multi([store.lock_accounts_sql(numbers), source_query])
    rows = _by_serial(rows)
    accounts = {row[NUMBER]: row for row in locked}
    sender = accounts.get(sender_number)
    if sender is None:
        raise NotFound(Message(NO_ACCOUNT, {"number": sender_number}), field="from")
    require(actor, action, account_target(actor, sender[REGISTRY], sender[HOLDER]))
    check_usable(sender_number, sender[STATUS], sender[KIND], sending=True)
    if receiver_number is not None:
        receiver = accounts.get(receiver_number)
        if receiver is None:
            raise NotFound(Message(NO_ACCOUNT, {"number": receiver_number}), field="to")
        if receiver_number == sender_number:
            raise InvalidInput(SAME_ACCOUNTS, field="to")
        check_usable(receiver_number, receiver[STATUS], receiver[KIND], sending=False)
    else:
        receiver_id = store.system_account(sender[REGISTRY], str(receiver_kind))
        receiver = (receiver_id, sender[REGISTRY], None, str(receiver_kind), "open", 0, None, "", "")
    external = receiver[REGISTRY] != sender[REGISTRY]
    if parsed is None:
        rows = _more_source(store, sender[ID], credits, rows)  # type: ignore[arg-type]
    issuances = {int(r[5]): (r[7] == "authorized", str(r[8])) for r in rows}
    if external:
        for _authorized, host in issuances.values():
            check_may_hold(receiver[REGISTRY], host)
    first = {
        i: article6.is_first_transfer(a, h, receiver[REGISTRY], receiver[KIND], False)
        for i, (a, h) in issuances.items()
    }
    blocks = [_block(r) for r in rows]
    to_id = store.system_account(sender[REGISTRY], "pending") if external else receiver[ID]
    if external:
        first = {}
    if parsed is not None:
        moves = plan_range(blocks, parsed.start, parsed.end, to_id, first)
    else:
        moves = plan_transfer(blocks, credits, to_id, first)  # type: ignore[arg-type]
    names = {int(r[5]): (str(r[8]), str(r[9]), int(r[10])) for r in rows}
    printed = [serials.block(m.registry, *names[m.issuance_id], m.start, m.end) for m in moves]
    legs = legs_for(moves, {})
    store.apply_moves(moves, {(b.registry, b.start): (b, int(r[0])) for b, r in zip(blocks, rows, strict=True)})
    store.add_to_balances(legs)
    if external:
        kind, details = TransactionKind.external_transfer, {**details, "to_account": receiver[ID]}
    entry = store.append(kind, actor.label, legs, tuple(moves), details)
    if external:
        store.run(
            "INSERT INTO credit_pending_transfers (key, from_account_id, to_account_id, credits, moves, status, "
            "proposed_seq) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                entry.key,
                sender[ID],
                receiver[ID],
                entry.credits,
                json.dumps([m.to_json() for m in moves]),
                "pending",
                entry.seq,
            ),
        )
    elif any(m.first_transfer for m in moves) or receiver[KIND] == AccountKind.retirement:
        _record_adjustments(store, entry, moves, issuances, {receiver[ID]: receiver})
    return TransactionView(
        seq=entry.seq,
        key=entry.key,
        kind=str(kind),
        credits=entry.credits,
        occurred_at=entry.occurred_at,
        actor=entry.actor,
        from_account=sender_number,
        to_account=receiver[NUMBER] or None,
        status="pending" if external else "completed",
        serials=printed,
        details=details,
    )


def _block(row: tuple[Any, ...]) -> Block:
    return Block(row[1], int(row[2]), int(row[3]), int(row[4]), int(row[5]), bool(row[6]))


def transfer(
    session: Session,
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


def cancel(
    session: Session,
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
    session: Session,
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


def resolve_pending(session: Session, actor: Actor, key: str, accept: bool) -> TransactionView:
    """The receiving registry accepts a pending transfer (credits arrive) or rejects it (they go back)."""
    begin_write(session)
    pending = session.get(PendingTransfer, key, with_for_update=True)
    if pending is None:
        raise NotFound(Message(N_("no pending transfer %(key)s"), {"key": key}))
    store = Store(session)
    ids = {pending.from_account_id, pending.to_account_id}
    rows = {
        r[0]: r
        for r in store.rows(
            f"SELECT {Store.ACCOUNT_COLUMNS} FROM credit_accounts a "
            "LEFT JOIN member_organizations o ON o.id = a.holder_id "
            f"WHERE a.id IN (%s, %s) ORDER BY a.id FOR UPDATE OF a",
            sorted(ids),
        )
    }
    receiver = rows[pending.to_account_id]
    require(actor, "credits.accept", Target.of(country=receiver[REGISTRY]))
    if pending.status != "pending":
        status = Message(RESOLVED_WORDS[pending.status]) if pending.status in RESOLVED_WORDS else pending.status
        raise Conflict(Message(N_("transfer %(key)s is already %(status)s"), {"key": key, "status": status}))
    to_row = receiver if accept else rows[pending.from_account_id]
    if accept:
        check_usable(to_row[NUMBER], to_row[STATUS], to_row[KIND], sending=False)
    proposal = [Move.from_json(m) for m in pending.moves]
    info = {
        int(r[0]): (r[1] == "authorized", str(r[2]))
        for r in store.rows(
            "SELECT id, authorization_status, host_country FROM credit_issuances WHERE id IN ({})".format(
                ", ".join(["%s"] * len({m.issuance_id for m in proposal}))
            ),
            sorted({m.issuance_id for m in proposal}),
        )
    }
    current = {}
    for m in proposal:
        found = store.rows(
            "SELECT id, registry, start_serial, end_serial, account_id, issuance_id, first_transferred "
            "FROM credit_blocks "
            "WHERE registry = %s AND start_serial = %s",
            (m.registry, m.start),
        )
        block = _block(found[0])
        current[(block.registry, block.start)] = (block, int(found[0][0]))
    moves = []
    for m in proposal:
        block, _row = current[(m.registry, m.start)]
        authorized, host = info[m.issuance_id]
        first = accept and article6.is_first_transfer(
            authorized, host, to_row[REGISTRY], to_row[KIND], block.first_transferred
        )
        moves.append(Move(m.registry, m.start, m.end, m.to_account, to_row[ID], m.issuance_id, first))
    legs = legs_for(moves, {})
    store.apply_moves(moves, current)
    store.add_to_balances(legs)
    kind = TransactionKind.acceptance if accept else TransactionKind.rejection
    entry = store.append(kind, actor.label, legs, tuple(moves), {"proposal": key})
    _record_adjustments(store, entry, moves, info, {to_row[ID]: to_row})
    pending.status = "accepted" if accept else "rejected"
    pending.resolved_seq = entry.seq
    session.flush()
    return TransactionView(
        seq=entry.seq,
        key=entry.key,
        kind=str(kind),
        credits=entry.credits,
        occurred_at=entry.occurred_at,
        actor=entry.actor,
        to_account=to_row[NUMBER],
        details={"proposal": key},
    )


def authorize(session: Session, actor: Actor, notification_ref: str, status: str) -> IssuanceView:
    """Set the Article 6.2 authorization of an issuance (it governs the credits' later first transfers)."""
    try:
        wanted = article6.Authorization(status)
    except ValueError:
        refusal = N_("authorization is authorized or not_authorized, got '%(status)s'")
        raise InvalidInput(Message(refusal, {"status": status})) from None
    begin_write(session)
    issuance = session.scalars(
        select(CreditIssuance).where(CreditIssuance.notification_ref == notification_ref).with_for_update()
    ).first()
    if issuance is None:
        raise NotFound(Message(N_("no issuance for notification %(ref)s"), {"ref": notification_ref}))
    require(actor, "credits.authorize", Target.of(country=issuance.host_country))
    if issuance.authorization_status != wanted:
        issuance.authorization_status = str(wanted)
        issuance.authorized_at = dt.datetime.now(dt.UTC) if wanted is article6.Authorization.authorized else None
        session.flush()
        Store(session).append(
            TransactionKind.authorization, actor.label, details={"issuance_id": issuance.id, "status": str(wanted)}
        )
    from c3p.credits.queries import issuance_view

    return issuance_view(session, issuance, DEFAULT_FORMAT)
