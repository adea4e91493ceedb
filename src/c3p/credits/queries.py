"""Reads of the credit registry: accounts, balances, who holds a serial, the public views.

The reads an actor may see only part of (accounts, pending transfers) are answered here and
only here, through the policy (:mod:`c3p.credits.rules.access`): the API, the pages and the
CLI call the same ``visible_*`` / ``readable_*`` function and filter nothing themselves.

The public views are what Japan's JCM registry publishes (issuances, credits by account
type, annual transactions) plus retirements and per-project totals. Serials are printed
with the :class:`~c3p.credits.rules.serials.SerialFormat` passed in.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from c3p.accounts.rules.policy import Actor, require
from c3p.accounts.tables import MemberOrganization
from c3p.credits import labels
from c3p.credits.rules import statements
from c3p.credits.rules.access import account_target, may_read_account, may_resolve_pending
from c3p.credits.rules.approvals import ProposalFacts, may_decide
from c3p.credits.rules.holding_accounts import NO_ACCOUNT
from c3p.credits.rules.serials import DEFAULT_FORMAT, SerialFormat
from c3p.credits.rules.transactions import Entry, Move
from c3p.credits.schemas import (
    AccountView,
    Article6Row,
    HolderView,
    IssuanceView,
    ProjectTotal,
    ProposalView,
    RegistryStats,
    RetirementView,
    StatementLine,
    StatementView,
    TransactionView,
)
from c3p.credits.store import Store
from c3p.credits.tables import (
    CorrespondingAdjustment,
    CreditAccount,
    CreditBlock,
    CreditIssuance,
    JournalEntry,
    PendingTransfer,
    TransferProposal,
)
from c3p.errors import NotFound
from c3p.messages import N_, Message
from c3p.program.tables import Partnership, Project
from c3p.workflow.tables import JcmProject, JcmProjectLink


def _account_query():
    return select(CreditAccount, func.coalesce(MemberOrganization.slug, "")).outerjoin(
        MemberOrganization, MemberOrganization.id == CreditAccount.holder_id
    )


def _view(account: CreditAccount, holder: str) -> AccountView:
    return AccountView(
        number=account.number,
        registry=account.registry_code,
        kind=account.kind,
        status=account.status,
        holder=holder,
        name=account.name,
        balance_credits=account.balance,
        opened_at=account.opened_at,
    )


def accounts(session: Session, registry: str | None = None, holder: str | None = None) -> list[AccountView]:
    query = _account_query().order_by(CreditAccount.registry_code, CreditAccount.id)
    if registry:
        query = query.where(CreditAccount.registry_code == registry)
    if holder:
        query = query.where(MemberOrganization.slug == holder)
    return [_view(a, h) for a, h in session.execute(query)]


def visible_accounts(
    session: Session, actor: Actor, registry: str | None = None, holder: str | None = None
) -> list[AccountView]:
    """The accounts ``actor`` may read (of ``registry``, of ``holder``): its organization's, its registry's."""
    return [a for a in accounts(session, registry, holder) if may_read_account(actor, a.registry, a.holder, a.number)]


def readable_account(session: Session, actor: Actor, number: str) -> AccountView:
    """The account ``number``, if ``actor`` may read it; else Unauthenticated or Forbidden."""
    found = account(session, number)
    require(actor, "credits.read", account_target(actor, found.registry, found.holder, found.number))
    return found


def _account_row(session: Session, number: str) -> tuple[CreditAccount, str]:
    """The account ``number`` and its holder's slug; an unknown number is refused."""
    found = session.execute(_account_query().where(CreditAccount.number == number)).first()
    if found is None:
        raise NotFound(Message(NO_ACCOUNT, {"number": number}))
    return found[0], found[1]


def account(session: Session, number: str) -> AccountView:
    return _view(*_account_row(session, number))


def account_holder(session: Session, number: str) -> tuple[str, str]:
    """(registry, holder slug) of an account, for the policy."""
    view = account(session, number)
    return view.registry, view.holder


class Serials:
    """Prints serials of blocks, looking each issuance up once."""

    def __init__(self, session: Session, fmt: SerialFormat) -> None:
        self.session, self.fmt = session, fmt
        self._issuances: dict[int, tuple[str, str, int, str]] = {}

    def issuance(self, issuance_id: int) -> tuple[str, str, int, str]:
        if issuance_id not in self._issuances:
            i = self.session.get(CreditIssuance, issuance_id)
            assert i is not None
            self._issuances[issuance_id] = (i.host_country, i.serial_code, i.period_number, i.notification_ref)
        return self._issuances[issuance_id]

    def block(self, registry: str, start: int, end: int, issuance_id: int) -> str:
        host, project, period, _ref = self.issuance(issuance_id)
        return self.fmt.block(registry, host, project, period, start, end)

    def moves(self, moves: list[Move] | tuple[Move, ...]) -> list[str]:
        return [self.block(m.registry, m.start, m.end, m.issuance_id) for m in moves]


def _entry(session: Session, seq: int) -> Entry:
    row = session.get(JournalEntry, seq)
    assert row is not None
    return Entry.from_json(json.loads(row.entry))


def issuance_view(session: Session, issuance: CreditIssuance, fmt: SerialFormat = DEFAULT_FORMAT) -> IssuanceView:
    return labels.issuances_with_authorizations(session, [_issuance_view(session, issuance, fmt)])[0]


def _issuance_view(session: Session, issuance: CreditIssuance, fmt: SerialFormat) -> IssuanceView:
    serials = Serials(session, fmt)
    moves = _entry(session, issuance.journal_seq).moves if issuance.journal_seq else ()
    return IssuanceView(
        id=issuance.id,
        notification_ref=issuance.notification_ref,
        project=issuance.project,
        serial_code=issuance.serial_code,
        host_country=issuance.host_country,
        period_number=issuance.period_number,
        vintage_year=issuance.vintage_year,
        credits=issuance.credits,
        authorization=issuance.authorization_status,
        issued_at=issuance.issued_at,
        report_id=issuance.report_id,
        allocation=list(issuance.allocation),
        serials=serials.moves(moves),
        journal_seq=issuance.journal_seq,
    )


def issuances(
    session: Session,
    project: str | None = None,
    country: str | None = None,
    limit: int = 500,
    fmt: SerialFormat = DEFAULT_FORMAT,
) -> list[IssuanceView]:
    query = select(CreditIssuance).order_by(CreditIssuance.id.desc()).limit(limit)
    if project:
        query = query.where(CreditIssuance.project == project)
    if country:
        query = query.where(CreditIssuance.host_country == country)
    views = [_issuance_view(session, i, fmt) for i in session.scalars(query)]
    return labels.issuances_with_authorizations(session, views)


_HOLDER_SQL = (
    "SELECT b.registry, b.start_serial, b.end_serial, b.first_transferred, a.number, a.kind, a.registry, "
    "COALESCE(o.slug, ''), i.host_country, i.serial_code, i.period_number, i.notification_ref "
    "FROM credit_blocks b JOIN credit_accounts a ON a.id = b.account_id "
    "LEFT JOIN member_organizations o ON o.id = a.holder_id JOIN credit_issuances i ON i.id = b.issuance_id "
    "WHERE b.id = (SELECT id FROM credit_blocks WHERE registry = %s AND start_serial <= %s "
    "ORDER BY start_serial DESC LIMIT 1)"
)


def holder_of(session: Session, serial: str, fmt: SerialFormat = DEFAULT_FORMAT) -> HolderView:
    """Who holds the credit ``serial``: one statement, an index seek on (registry, start_serial)."""
    parsed = fmt.parse(serial)
    found = Store(session).rows(_HOLDER_SQL, (parsed.registry, parsed.start))
    if not found or found[0][2] < parsed.start:
        raise NotFound(Message(N_("no credit %(serial)s exists"), {"serial": serial}))
    registry, start, end, first, number, kind, account_registry, holder, host, project, period, ref = found[0]
    if (host, fmt.project_code(project), period) != (parsed.host, parsed.project, parsed.period):
        refusal = N_("no credit %(serial)s exists (unit %(unit)s of %(registry)s belongs to %(ref)s)")
        raise NotFound(Message(refusal, {"serial": serial, "unit": parsed.start, "registry": registry, "ref": ref}))
    return HolderView(
        serial=fmt.unit(registry, host, project, period, parsed.start),
        block=fmt.block(registry, host, project, period, int(start), int(end)),
        account=number,
        account_kind=kind,
        registry=account_registry,
        holder=holder,
        issuance=ref,
        project=project,
        first_transferred=bool(first),
    )


def blocks_of(session: Session, number: str, fmt: SerialFormat = DEFAULT_FORMAT, limit: int = 1000) -> list[str]:
    view = account(session, number)
    serials = Serials(session, fmt)
    query = (
        select(CreditBlock)
        .join(CreditAccount, CreditAccount.id == CreditBlock.account_id)
        .where(CreditAccount.number == view.number)
        .order_by(CreditBlock.registry_code, CreditBlock.start_serial)
        .limit(limit)
    )
    return [serials.block(b.registry_code, b.start_serial, b.end_serial, b.issuance_id) for b in session.scalars(query)]


def _numbers(session: Session) -> dict[int, str]:
    return dict(session.execute(select(CreditAccount.id, CreditAccount.number)).all())


def transactions(
    session: Session, kinds: tuple[str, ...] = (), limit: int = 200, fmt: SerialFormat = DEFAULT_FORMAT
) -> list[TransactionView]:
    """The newest journal entries (of ``kinds``), as transactions."""
    query = select(JournalEntry).order_by(JournalEntry.seq.desc()).limit(limit)
    if kinds:
        query = query.where(JournalEntry.kind.in_(kinds))
    numbers, serials = _numbers(session), Serials(session, fmt)
    pending = dict(session.execute(select(PendingTransfer.key, PendingTransfer.status)).all())
    found = []
    for row in session.scalars(query):
        entry = Entry.from_json(json.loads(row.entry))
        senders = {m.from_account for m in entry.moves if m.from_account is not None}
        receivers = {m.to_account for m in entry.moves}
        found.append(
            TransactionView(
                seq=entry.seq,
                key=entry.key,
                kind=str(entry.kind),
                credits=entry.credits,
                occurred_at=entry.occurred_at,
                actor=entry.actor,
                from_account=numbers.get(next(iter(senders))) if len(senders) == 1 else None,
                to_account=numbers.get(next(iter(receivers))) if len(receivers) == 1 else None,
                status=pending.get(entry.key, "completed"),
                serials=serials.moves(entry.moves),
                details=dict(entry.details),
            )
        )
    return found


def retirements(session: Session, limit: int = 200, fmt: SerialFormat = DEFAULT_FORMAT) -> list[RetirementView]:
    """The newest retirements, each in the registry where it was made (that of its retirement account,
    which a credit transferred from the host's registry is not numbered by)."""
    accounts = session.execute(select(CreditAccount.id, CreditAccount.number, CreditAccount.registry_code)).all()
    numbers, registries = {i: n for i, n, _r in accounts}, {i: r for i, _n, r in accounts}
    serials = Serials(session, fmt)
    query = select(JournalEntry).where(JournalEntry.kind == "retirement").order_by(JournalEntry.seq.desc()).limit(limit)
    found, entries = [], [Entry.from_json(json.loads(row.entry)) for row in session.scalars(query)]
    for entry in entries:
        sender = entry.moves[0].from_account
        found.append(
            RetirementView(
                seq=entry.seq,
                occurred_at=entry.occurred_at,
                credits=entry.credits,
                account=numbers.get(sender or 0, ""),
                registry=registries.get(entry.moves[0].to_account, "") if entry.moves else "",
                purpose=entry.details.get("purpose", ""),
                beneficiary=entry.details.get("beneficiary", ""),
                serials=serials.moves(entry.moves),
            )
        )
    return labels.with_retirement_labels(session, found, entries)


def _held_by_kind(session: Session) -> list[tuple[str, str, str, int]]:
    """(project, host, account kind, credits) over all blocks."""
    query = (
        select(
            CreditIssuance.project,
            CreditIssuance.host_country,
            CreditAccount.kind,
            func.sum(CreditBlock.end_serial - CreditBlock.start_serial + 1),
        )
        .join(CreditIssuance, CreditIssuance.id == CreditBlock.issuance_id)
        .join(CreditAccount, CreditAccount.id == CreditBlock.account_id)
        .group_by(CreditIssuance.project, CreditIssuance.host_country, CreditAccount.kind)
    )
    return [(p, h, k, int(n)) for p, h, k, n in session.execute(query)]


def project_totals(session: Session) -> list[ProjectTotal]:
    totals: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for project, host, issued, count in session.execute(
        select(
            CreditIssuance.project, CreditIssuance.host_country, func.sum(CreditIssuance.credits), func.count()
        ).group_by(CreditIssuance.project, CreditIssuance.host_country)
    ):
        totals[(project, host)]["issued"] += int(issued)
        totals[(project, host)]["issuances"] += int(count)
    for project, host, kind, credits in _held_by_kind(session):
        totals[(project, host)][kind] += credits
    return [
        ProjectTotal(
            project=p,
            host_country=h,
            issued_credits=t["issued"],
            retired_credits=t["retirement"],
            cancelled_credits=t["cancellation"],
            issuances=t["issuances"],
            **_project_links(session, p),
        )
        for (p, h), t in sorted(totals.items())
    ]


def _project_links(session: Session, slug: str) -> dict[str, Any]:
    """What a JCM project's totals link to: its serial code and titles, its C3P projects and their partnerships."""
    jcm = session.scalars(select(JcmProject).where(JcmProject.slug == slug)).one_or_none()
    if jcm is None:
        return {}
    linked = session.execute(
        select(Project.slug, Partnership.slug)
        .join(JcmProjectLink, JcmProjectLink.project_id == Project.id)
        .join(Partnership, Partnership.id == Project.partnership_id)
        .where(JcmProjectLink.jcm_project_id == jcm.id)
        .order_by(Project.slug)
    ).all()
    return {
        "serial_code": jcm.serial_code or "",
        "title_en": jcm.title_en,
        "title_ja": jcm.title_ja,
        "program_projects": [project for project, _partnership in linked],
        "partnerships": sorted({partnership for _project, partnership in linked}),
    }


def stats(session: Session) -> RegistryStats:
    by_kind: dict[str, int] = defaultdict(int)
    by_registry: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for registry, kind, balance in session.execute(
        select(CreditAccount.registry_code, CreditAccount.kind, func.sum(CreditAccount.balance)).group_by(
            CreditAccount.registry_code, CreditAccount.kind
        )
    ):
        if kind != "issuance":
            by_kind[kind] += int(balance)
            by_registry[registry][kind] += int(balance)
        else:
            by_registry[registry]["issued"] += -int(balance)
    by_year: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for year, credits in session.execute(
        select(CreditIssuance.vintage_year, func.sum(CreditIssuance.credits)).group_by(CreditIssuance.vintage_year)
    ):
        by_year[int(year)]["issued"] += int(credits)
    for occurred_at, kind, credits in session.execute(
        select(JournalEntry.occurred_at, JournalEntry.kind, JournalEntry.credits).where(
            JournalEntry.kind.in_(("retirement", "cancellation", "transfer", "acceptance"))
        )
    ):
        by_year[occurred_at.year][str(kind)] += int(credits)
    return RegistryStats(
        issued_credits=int(session.scalar(select(func.coalesce(func.sum(CreditIssuance.credits), 0))) or 0),
        held_credits=by_kind["government_holding"] + by_kind["participant_holding"],
        pending_credits=by_kind["pending"],
        retired_credits=by_kind["retirement"],
        cancelled_credits=by_kind["cancellation"],
        issuances=int(session.scalar(select(func.count()).select_from(CreditIssuance)) or 0),
        transactions=int(
            session.scalar(select(func.count()).select_from(JournalEntry).where(JournalEntry.credits > 0)) or 0
        ),
        accounts=int(session.scalar(select(func.count()).select_from(CreditAccount)) or 0),
        by_registry={k: dict(v) for k, v in sorted(by_registry.items())},
        by_year={k: dict(v) for k, v in sorted(by_year.items())},
    )


def article6_report(session: Session, country: str | None = None) -> list[Article6Row]:
    """Per country and year: authorized issuances hosted, first transfers, use, adjustments."""
    rows: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for host, issued_at, credits in session.execute(
        select(CreditIssuance.host_country, CreditIssuance.issued_at, CreditIssuance.credits).where(
            CreditIssuance.authorization_status == "authorized"
        )
    ):
        rows[(host, issued_at.year)]["authorized"] += int(credits)
    for c, year, kind, credits in session.execute(
        select(
            CorrespondingAdjustment.country,
            CorrespondingAdjustment.year,
            CorrespondingAdjustment.kind,
            func.sum(CorrespondingAdjustment.credits),
        ).group_by(CorrespondingAdjustment.country, CorrespondingAdjustment.year, CorrespondingAdjustment.kind)
    ):
        rows[(c, int(year))][kind] += int(credits)
    return [
        Article6Row(
            country=c,
            year=y,
            authorized_credits=r["authorized"],
            first_transferred_credits=r["first_transfer"],
            used_credits=r["use"],
            adjustment_first_transfer_credits=r["first_transfer"],
            adjustment_use_credits=-r["use"],
        )
        for (c, y), r in sorted(rows.items())
        if country is None or c == country
    ]


def pending(session: Session, registry: str | None = None) -> list[dict[str, Any]]:
    numbers = _numbers(session)
    query = select(PendingTransfer).where(PendingTransfer.status == "pending").order_by(PendingTransfer.proposed_seq)
    found = []
    for p in session.scalars(query):
        to = numbers[p.to_account_id]
        if registry and not to.startswith(registry + "-"):
            continue
        found.append(
            {
                "key": p.key,
                "from_account": numbers[p.from_account_id],
                "to_account": to,
                "credits": p.credits,
                "proposed_seq": p.proposed_seq,
            }
        )
    return found


def visible_pending(session: Session, actor: Actor, registry: str | None = None) -> list[dict[str, Any]]:
    """The pending transfers ``actor`` may see and resolve: those waiting in its registry (of ``registry``)."""
    return [p for p in pending(session, registry) if may_resolve_pending(actor, p["to_account"])]


def proposal_facts(session: Session, number: str | None = None) -> list[tuple[ProposalFacts, dt.datetime, str]]:
    """Every transfer waiting for a second representative (from account ``number``): its facts,
    when it was proposed and its serials, oldest first."""
    sender, receiver = aliased(CreditAccount), aliased(CreditAccount)
    query = (
        select(TransferProposal, sender, receiver, MemberOrganization.slug, JournalEntry.occurred_at)
        .join(sender, sender.id == TransferProposal.from_account_id)
        .join(receiver, receiver.id == TransferProposal.to_account_id)
        .outerjoin(MemberOrganization, MemberOrganization.id == sender.holder_id)
        .join(JournalEntry, JournalEntry.seq == TransferProposal.proposed_seq)
        .where(TransferProposal.status == "proposed")
        .order_by(TransferProposal.proposed_seq)
    )
    if number is not None:
        query = query.where(sender.number == number)
    found = []
    for proposal, source, target, holder, at in session.execute(query).all():
        facts = ProposalFacts(
            proposal.key,
            source.registry_code,
            holder or "",
            source.number,
            target.number,
            proposal.credits,
            proposal.proposed_by_id,
            proposal.proposed_by,
        )
        found.append((facts, at, proposal.serial))
    return found


def proposals(session: Session, actor: Actor, number: str | None = None) -> list[ProposalView]:
    """Transfers waiting for a second representative, from accounts ``actor`` may read (of ``number``)."""
    return [
        ProposalView(
            key=facts.key,
            from_account=facts.from_account,
            to_account=facts.to_account,
            credits=facts.credits,
            serial=serial,
            proposed_by=facts.proposed_by,
            proposed_at=at,
        )
        for facts, at, serial in proposal_facts(session, number)
        if may_read_account(actor, facts.registry, facts.holder, facts.from_account)
    ]


def decidable_proposals(session: Session, actor: Actor) -> set[str]:
    """The keys of the waiting transfers ``actor`` may approve or refuse (never one they proposed)."""
    return {facts.key for facts, _at, _serial in proposal_facts(session) if may_decide(actor, facts)}


# ---------------------------------------------------------------- statements


def _entries_of(
    session: Session, account_id: int, before: dt.datetime | None = None, newest: int | None = None
) -> list[Entry]:
    """The journal entries that may change the account, oldest first (all, or the ``newest``).

    Legs are stored as ``[account_id,credits]`` in the canonical JSON, so ``LIKE '%[id,%'``
    leaves out every entry that does not touch the account (it may keep a few that only
    mention such text; their change is zero and they make no line).
    """
    query = select(JournalEntry.entry).where(JournalEntry.credits > 0, JournalEntry.entry.like(f"%[{account_id},%"))
    if before is not None:
        query = query.where(JournalEntry.occurred_at < before)
    if newest is None:
        rows = list(session.scalars(query.order_by(JournalEntry.seq).execution_options(yield_per=2000)))
    else:
        rows = list(reversed(session.scalars(query.order_by(JournalEntry.seq.desc()).limit(newest)).all()))
    return [Entry.from_json(json.loads(text)) for text in rows]


def _proposals(session: Session, entries: Sequence[Entry]) -> dict[str, tuple[int, int]]:
    """(sender, receiver) of the transfers between registries that ``entries`` propose or resolve."""
    keys = {e.key for e in entries} | {str(e.details["proposal"]) for e in entries if "proposal" in e.details}
    if not keys:
        return {}
    query = select(PendingTransfer.key, PendingTransfer.from_account_id, PendingTransfer.to_account_id).where(
        PendingTransfer.key.in_(sorted(keys))
    )
    return {key: (int(sender), int(receiver)) for key, sender, receiver in session.execute(query)}


def _line_views(session: Session, found: list[statements.Line], fmt: SerialFormat) -> list[StatementLine]:
    ids = sorted({line.counterparty for line in found if line.counterparty is not None})
    query = select(CreditAccount.id, CreditAccount.number).where(CreditAccount.id.in_(ids))
    numbers = {int(row[0]): str(row[1]) for row in session.execute(query)} if ids else {}
    serials = Serials(session, fmt)
    return [
        StatementLine(
            seq=line.entry.seq,
            occurred_at=line.entry.occurred_at,
            kind=str(line.entry.kind),
            counterparty=numbers.get(line.counterparty) if line.counterparty is not None else None,
            credits_in=line.credits_in,
            credits_out=line.credits_out,
            balance_credits=line.balance,
            serials=serials.moves(line.moves),
        )
        for line in found
    ]


def statement(
    session: Session,
    number: str,
    period: statements.Period = statements.Period(),
    fmt: SerialFormat = DEFAULT_FORMAT,
) -> StatementView:
    """The account's statement over ``period``, computed from the journal alone."""
    row, holder = _account_row(session, number)
    view, account_id = _view(row, holder), row.id
    earlier: list[Entry] = []
    during: list[Entry] = []
    for entry in _entries_of(session, account_id, before=period.ends_before):
        (earlier if period.before(dt.datetime.fromisoformat(entry.occurred_at)) else during).append(entry)
    opening = statements.opening_balance(earlier, account_id)
    found = statements.lines(during, account_id, opening, _proposals(session, during))
    return StatementView(
        account=view.number,
        registry=view.registry,
        holder=view.holder,
        from_date=period.start,
        to_date=period.end,
        opening_balance_credits=opening,
        credits_in=sum(line.credits_in for line in found),
        credits_out=sum(line.credits_out for line in found),
        closing_balance_credits=found[-1].balance if found else opening,
        lines=_line_views(session, found, fmt),
    )


def recent_transactions(
    session: Session, number: str, limit: int = 10, fmt: SerialFormat = DEFAULT_FORMAT
) -> list[StatementLine]:
    """The account's newest transactions, newest first, without balances (the statement has them)."""
    account_id = _account_row(session, number)[0].id
    entries = _entries_of(session, account_id, newest=limit)
    found = statements.lines(entries, account_id, 0, _proposals(session, entries))
    return [line.model_copy(update={"balance_credits": None}) for line in reversed(_line_views(session, found, fmt))]
