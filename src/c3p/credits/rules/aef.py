"""The Article 6.2 annual report in the agreed electronic format (AEF), from the journal alone.

The journal is replayed through the one :class:`~c3p.credits.rules.ledger.Ledger` up to
31 December of the reported year (24:00 UTC, the year the adjustments are counted in too);
every move of an authorized credit during the year becomes the AEF actions it is for each
country, and the ledger's state at that instant gives the holdings. The tables follow the AEF
version 2 (Table 2 authorizations, one row per authorization record of a serial range, Table 3
actions, Table 4 holdings, Table 5 authorized entities); Table 3 is shown as the three tables of
the brief (first transfers; transfers and acquisitions; uses and cancellations). A credit is in
the report when an authorization record covers it (``credits/rules/authorizations.py``).

Each range carries its JCM serials and the decision 6/CMA.4 unique identifiers of its first and
last unit: ``CA0012-VNM01-VNM-42-2026`` = cooperative approach ID, Party ITMO registry ID (the
registry that numbered the unit, ISO3 + ``01``), first transferring Party (the host), the unit's
number in that registry, vintage. The order and syntax are the UNFCCC AEF check's pattern for
"ITMO unique identifier as per 6/CMA.4 annex I para. 5". Each partnership's ID is a reviewed
record (:mod:`c3p.credits.rules.cooperative_approaches`); while one is missing its units carry
the placeholder ``CA0000`` and the report is a draft (docs/registry.md).

>>> unique_id("VNM", "VNM", 42, 2026, "CA0012")
'CA0012-VNM01-VNM-42-2026'
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field

from c3p.credits.rules.authorizations import AuthorizedRange, FirstTransfer, Purpose, is_in_place
from c3p.credits.rules.blocks import Block, normalize
from c3p.credits.rules.cooperative_approaches import PLACEHOLDER, approach_id, without_id
from c3p.credits.rules.holding_accounts import JAPAN, AccountKind
from c3p.credits.rules.ledger import Ledger
from c3p.credits.rules.serials import DEFAULT_FORMAT, SerialFormat
from c3p.credits.rules.transactions import Entry, Move, TransactionKind
from c3p.schema import Schema

#: the placeholder a unit carries while its partnership's cooperative approach ID is not on record
COOPERATIVE_APPROACH_ID = PLACEHOLDER
#: each country keeps one JCM registry; the AEF names it by the Party's code and two digits
REGISTRY_NUMBER = "01"
#: the purposes and first-transfer definitions of a record, as the AEF spells them
PURPOSE_WORDS = {Purpose.ndc: "NDC", Purpose.oimp: "OIMP"}
FIRST_TRANSFER_WORDS = {
    FirstTransfer.use_or_cancellation: "Use or cancellation",
    FirstTransfer.first_international_transfer: "First international transfer",
    FirstTransfer.authorization: "Authorization",
    FirstTransfer.issuance: "Issuance",
}
#: accounts whose credits are still held at 31 December (retired and cancelled credits are not)
HELD_KINDS = (AccountKind.government_holding, AccountKind.participant_holding, AccountKind.pending, AccountKind.returns)


class ActionType(StrEnum):
    """Table 3's action types, spelled as the AEF spells them."""

    first_transfer = "First transfer"
    transfer = "Transfer"
    acquisition = "Acquisition"
    use = "Use"
    cancellation = "Cancellation"


class CheckName(StrEnum):
    mirror = "mirror"  # the other country's report shows the same transfers, serial for serial
    holdings = "holdings"  # holdings at 31 December equal the balances replayed from the journal


def unique_id(registry: str, host: str, unit: int, vintage: int, approach: str = PLACEHOLDER) -> str:
    """The decision 6/CMA.4 unique identifier of one unit of the cooperative approach ``approach``."""
    return f"{approach}-{registry}{REGISTRY_NUMBER}-{host}-{unit}-{vintage}"


class Row(Schema):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Units(Row):
    """One serial range of one issuance, with both its JCM serials and its AEF identifiers."""

    authorization_id: str = Field(description="the Joint Committee notification that issued and authorized it")
    first_transferring_party: str = Field(description="the host country (ISO3)")
    party_itmo_registry_id: str = Field(description="the registry that numbered the units, e.g. VNM01")
    first_id: str = Field(description="decision 6/CMA.4 unique identifier of the first unit")
    last_id: str = Field(description="decision 6/CMA.4 unique identifier of the last unit")
    jcm_serials: str = Field(description="the JCM serial range, first and last unit")
    registry: str = Field(description="registry that numbered the units (ISO3)")
    first_unit: int = Field(ge=1)
    last_unit: int = Field(ge=1)
    quantity_tco2e: int = Field(ge=1, description="credits in the range (1 credit = 1 tCO2e)")
    vintage: int


class AuthorizationRow(Row):
    """Table 2: one authorization record (a serial range of an issuance) in force on 31 December."""

    authorization_id: str = Field(description="the Joint Committee notification of the issuance")
    authorization_date: str = Field(description="when this version was recorded, UTC, ISO 8601")
    cooperative_approach_id: str = COOPERATIVE_APPROACH_ID
    authorized_parties: str = Field(description="the two Parties of the partnership, ISO3")
    first_transferring_party: str
    quantity_tco2e: int
    vintage: int
    purposes: str = Field(description="NDC, OIMP, or NDC and OIMP")
    first_transfer_definition_oimp: str = Field(
        description="for OIMP: first international transfer, use or cancellation, authorization or issuance"
    )
    registry: str = Field("", description="registry that numbered the units (ISO3)")
    first_unit: int = 0
    last_unit: int = 0
    version: int = 1
    decision_ref: str = Field("", description="the authorizing decision")
    decided_on: str = Field("", description="date of the authorizing decision")


class EntityRow(Row):
    """Table 5: one entity authorized by one authorization record."""

    authorization_id: str
    registry: str
    first_unit: int
    last_unit: int
    version: int
    entity: str = Field(description="slug of the authorized organization")


class ActionRow(Units):
    """Table 3: one action on a range during the year."""

    action_date: str = Field(description="journal time of the move, UTC, ISO 8601")
    action_type: ActionType
    action_subtype: str = ""
    transferring_party: str = ""
    acquiring_party: str = ""
    using_party: str = ""
    purpose: str = Field("", description="NDC for a use, OIMP for a cancellation")
    journal_seq: int


class HoldingRow(Units):
    """Table 4: authorized units held in the country's registry at 31 December."""

    account: str
    account_kind: str
    first_transferred: bool


class AccountBalance(Row):
    """One account of the country's registry at 31 December: its balance, and what its blocks add up to."""

    account: str
    account_kind: str
    balance_credits: int = Field(description="the balance replayed from the journal's legs")
    authorized_credits: int = Field(description="the sum of the account's rows in the holdings table")
    other_credits: int = Field(description="credits held that are not authorized (not in the AEF)")


class Check(Row):
    name: CheckName
    other_country: str = ""
    passed: bool
    differences: list[str] = Field(default_factory=list, description="serial ranges or accounts that disagree")


class AefReport(Row):
    country: str
    year: int
    as_of: str = Field(description="the instant the holdings are frozen at: 1 January of the next year, 00:00 UTC")
    cooperative_approach_id: str = Field(
        COOPERATIVE_APPROACH_ID, description="the partnership's ID; Japan's report lists each partnership's"
    )
    draft: bool = Field(False, description="true while a partnership in the report has no cooperative approach ID")
    partners_without_approach_id: list[str] = Field(
        default_factory=list, description="partners whose units carry the placeholder CA0000"
    )
    authorizations: list[AuthorizationRow]
    actions: list[ActionRow]
    holdings: list[HoldingRow]
    balances: list[AccountBalance]
    entities: list[EntityRow] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return all(c.passed for c in self.checks)

    def of_type(self, *types: ActionType) -> list[ActionRow]:
        return [a for a in self.actions if a.action_type in types]


@dataclass(frozen=True)
class IssuanceTerms:
    """What the report needs of an issuance, as its journal entry says."""

    ref: str
    host: str
    serial_code: str
    period: int
    credits: int
    vintage: int


@dataclass
class YearEnd:
    """The ledger replayed to 31 December, and what happened to authorized credits during the year."""

    year: int
    ledger: Ledger
    #: each partnership's cooperative approach ID, by partner country (missing: the placeholder)
    approaches: Mapping[str, str] = field(default_factory=dict)
    issuances: dict[int, IssuanceTerms] = field(default_factory=dict)
    authorized_at: dict[int, str] = field(default_factory=dict)
    #: the time of each entry that can record an authorization (issuances, authorizations), by seq
    recorded_at: dict[int, str] = field(default_factory=dict)
    #: (entry, move, authorized then, from registry, to registry, to kind) of each move in the year
    moves: list[tuple[Entry, Move, str, str, AccountKind]] = field(default_factory=list)


def cutoff(year: int) -> dt.datetime:
    """The instant holdings are frozen at: the end of 31 December, UTC."""
    return dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)


def replay(
    entries: Iterable[Entry],
    year: int,
    vintages: Mapping[int, int] | None = None,
    approaches: Mapping[str, str] | None = None,
) -> YearEnd:
    """Replay ``entries`` (in journal order) up to the end of ``year``; later entries are ignored."""
    state = YearEnd(year, Ledger(), dict(approaches or {}))
    end = cutoff(year)
    for entry in entries:
        if dt.datetime.fromisoformat(entry.occurred_at) >= end:
            break
        _observe(state, entry, vintages or {})
        state.ledger.apply(entry)
    return state


def _observe(state: YearEnd, entry: Entry, vintages: Mapping[int, int]) -> None:
    """Note what ``entry`` means for the report, reading the ledger as it was just before it."""
    details, ledger = entry.details, state.ledger
    if entry.kind is TransactionKind.issuance:
        state.issuances[details["issuance_id"]] = IssuanceTerms(
            details["notification_ref"],
            details["host"],
            details["serial_code"],
            int(details["period"]),
            entry.credits,
            vintages.get(details["issuance_id"], int(entry.occurred_at[:4])),
        )
    authorized_now = entry.kind is TransactionKind.issuance and details["authorized"]
    if authorized_now or (entry.kind is TransactionKind.authorization and details["status"] == "authorized"):
        state.authorized_at[details["issuance_id"]] = entry.occurred_at
    if entry.kind in (TransactionKind.issuance, TransactionKind.authorization):
        state.recorded_at[entry.seq] = entry.occurred_at
    if not entry.moves or int(entry.occurred_at[:4]) != state.year:
        return
    for move in entry.moves:
        issuance = ledger.issuances.get(move.issuance_id)
        record = ledger.authorization_of(move.issuance_id, move.registry, move.start, move.end)
        # an authorization's own moves are the first transfers of the record it makes
        covered = entry.kind is TransactionKind.authorization or record is not None
        if not (covered if issuance is not None else authorized_now):
            continue
        host = state.issuances[move.issuance_id].host
        origin = host if move.from_account is None else ledger.accounts[move.from_account].registry
        to = ledger.accounts[move.to_account]
        state.moves.append((entry, move, origin, to.registry, to.kind))


def _units(state: YearEnd, registry: str, start: int, end: int, issuance_id: int, fmt: SerialFormat) -> dict[str, Any]:
    terms = state.issuances[issuance_id]
    approach = approach_id(state.approaches, terms.host)
    return {
        "authorization_id": terms.ref,
        "first_transferring_party": terms.host,
        "party_itmo_registry_id": f"{registry}{REGISTRY_NUMBER}",
        "first_id": unique_id(registry, terms.host, start, terms.vintage, approach),
        "last_id": unique_id(registry, terms.host, end, terms.vintage, approach),
        "jcm_serials": fmt.block(registry, terms.host, terms.serial_code, terms.period, start, end),
        "registry": registry,
        "first_unit": start,
        "last_unit": end,
        "quantity_tco2e": end - start + 1,
        "vintage": terms.vintage,
    }


def first_transfer_subtype(definition: FirstTransfer | None, to_kind: AccountKind) -> str:
    """What made a move a first transfer, as Table 3's action subtype: the record's definition decides.

    >>> first_transfer_subtype(FirstTransfer.issuance, AccountKind.participant_holding)
    'Issuance'
    >>> first_transfer_subtype(FirstTransfer.use_or_cancellation, AccountKind.cancellation)
    'Cancellation for OIMP'
    """
    if definition is FirstTransfer.authorization:
        return "Authorization"
    if definition is FirstTransfer.issuance:
        return "Issuance"
    return "Cancellation for OIMP" if to_kind is AccountKind.cancellation else "Transfer to the acquiring Party"


def _actions_of(
    country: str, move: Move, origin: str, to: tuple[str, AccountKind], host: str, definition: FirstTransfer | None
) -> list[dict[str, str]]:
    """The AEF actions one move of an authorized range is for ``country`` (often none).

    A move that leaves the credits where they are (an authorization first-transferring them) is a
    first transfer and nothing else."""
    to_registry, to_kind = to
    found: list[dict[str, str]] = []
    crossing = origin != to_registry
    first_here = move.first_transfer and host == country
    if first_here:
        found.append(
            {
                "action_type": ActionType.first_transfer,
                "action_subtype": first_transfer_subtype(definition, to_kind),
                "transferring_party": country,
                "acquiring_party": to_registry if crossing else "",
            }
        )
    if is_in_place(move):
        return found
    if crossing and origin == country and not first_here:
        found.append(
            {"action_type": ActionType.transfer, "transferring_party": country, "acquiring_party": to_registry}
        )
    if crossing and to_registry == country:
        found.append({"action_type": ActionType.acquisition, "transferring_party": origin, "acquiring_party": country})
    if to_registry == country and to_kind is AccountKind.retirement:
        found.append({"action_type": ActionType.use, "using_party": country, "purpose": "NDC"})
    if to_registry == country and to_kind is AccountKind.cancellation:
        found.append({"action_type": ActionType.cancellation, "using_party": country, "purpose": "OIMP"})
    return found


def _in_report(country: str, host: str) -> bool:
    """Japan reports on every partnership's credits; a partner on the credits it hosts or holds."""
    return country == JAPAN or host == country


def report(state: YearEnd, country: str, fmt: SerialFormat = DEFAULT_FORMAT) -> AefReport:
    """``country``'s AEF tables for the replayed year (without checks: see :func:`with_checks`)."""
    records = [
        record
        for issuance_id, terms in sorted(state.issuances.items())
        if _in_report(country, terms.host)
        for record in state.ledger.authorizations.get(issuance_id, [])
    ]
    authorizations = [_authorization_row(state, record) for record in records]
    actions = []
    for entry, move, origin, to_registry, to_kind in state.moves:
        host = state.issuances[move.issuance_id].host
        record = state.ledger.authorization_of(move.issuance_id, move.registry, move.start, move.end)
        definition = record.first_transfer if record is not None else None
        for action in _actions_of(country, move, origin, (to_registry, to_kind), host, definition):
            units = _units(state, move.registry, move.start, move.end, move.issuance_id, fmt)
            actions.append(ActionRow(**units, **action, action_date=entry.occurred_at, journal_seq=entry.seq))
    holdings, balances = _holdings(state, country, fmt)
    hosts = {country} - {JAPAN} | {row.first_transferring_party for row in authorizations}
    hosts |= {row.first_transferring_party for row in [*actions, *holdings]}
    missing = without_id(state.approaches, hosts)
    return AefReport(
        country=country,
        year=state.year,
        as_of=cutoff(state.year).isoformat(),
        cooperative_approach_id=", ".join(sorted({approach_id(state.approaches, host) for host in hosts})),
        draft=bool(missing),
        partners_without_approach_id=missing,
        authorizations=authorizations,
        actions=actions,
        holdings=holdings,
        balances=balances,
        entities=[_entity_row(state, record, entity) for record in records for entity in record.entities],
    )


def _authorization_row(state: YearEnd, record: AuthorizedRange) -> AuthorizationRow:
    terms = state.issuances[record.issuance_id]
    oimp = Purpose.oimp in record.purposes
    return AuthorizationRow(
        authorization_id=terms.ref,
        authorization_date=state.recorded_at.get(record.journal_seq, state.authorized_at.get(record.issuance_id, "")),
        cooperative_approach_id=approach_id(state.approaches, terms.host),
        authorized_parties=f"{terms.host}, {JAPAN}",
        first_transferring_party=terms.host,
        quantity_tco2e=record.credits,
        vintage=terms.vintage,
        purposes=" and ".join(PURPOSE_WORDS[p] for p in sorted(record.purposes)),
        first_transfer_definition_oimp=FIRST_TRANSFER_WORDS[record.first_transfer] if oimp else "",
        registry=record.registry,
        first_unit=record.start,
        last_unit=record.end,
        version=record.version,
        decision_ref=record.decision,
        decided_on=record.decided_on,
    )


def _entity_row(state: YearEnd, record: AuthorizedRange, entity: str) -> EntityRow:
    return EntityRow(
        authorization_id=state.issuances[record.issuance_id].ref,
        registry=record.registry,
        first_unit=record.start,
        last_unit=record.end,
        version=record.version,
        entity=entity,
    )


def _labelled(ledger: Ledger, block: Block) -> list[tuple[Block, bool]]:
    """``block`` cut at the bounds of its issuance's authorization records, each piece with whether one covers it."""
    pieces, start = [], block.start
    for record in ledger.authorizations.get(block.issuance_id, []):
        if record.registry != block.registry or record.end < start or record.start > block.end:
            continue
        if record.start > start:
            pieces.append((replace(block, start=start, end=record.start - 1), False))
        end = min(record.end, block.end)
        pieces.append((replace(block, start=max(start, record.start), end=end), True))
        start = end + 1
    if start <= block.end:
        pieces.append((replace(block, start=start), False))
    return pieces


def _held_accounts(ledger: Ledger, country: str) -> dict[int, tuple[str, AccountKind]]:
    return {
        a.id: (a.number, a.kind) for a in ledger.accounts.values() if a.registry == country and a.kind in HELD_KINDS
    }


def _holdings(state: YearEnd, country: str, fmt: SerialFormat) -> tuple[list[HoldingRow], list[AccountBalance]]:
    ledger = state.ledger
    accounts = _held_accounts(ledger, country)
    rows: list[HoldingRow] = []
    other: dict[int, int] = defaultdict(int)
    held = normalize(b for b in ledger.blocks() if b.account_id in accounts)
    for block, covered in (piece for b in held for piece in _labelled(ledger, b)):
        if not covered:
            other[block.account_id] += block.credits
            continue
        number, kind = accounts[block.account_id]
        units = _units(state, block.registry, block.start, block.end, block.issuance_id, fmt)
        rows.append(HoldingRow(**units, account=number, account_kind=kind, first_transferred=block.first_transferred))
    authorized: dict[str, int] = defaultdict(int)
    for row in rows:
        authorized[row.account] += row.quantity_tco2e
    balances = [
        AccountBalance(
            account=number,
            account_kind=kind,
            balance_credits=ledger.balances.get(account_id, 0),
            authorized_credits=authorized[number],
            other_credits=other[account_id],
        )
        for account_id, (number, kind) in sorted(accounts.items(), key=lambda item: item[1][0])
    ]
    return rows, balances


# ---- the consistency checks ----


def coverage(rows: Iterable[Units]) -> list[tuple[str, int, int, int]]:
    """How many rows cover each unit, as (registry, first, last, count) runs of equal count.

    A range may cross between the registries more than once in a year, so two tables are
    compared unit by unit with multiplicity, however their rows were cut.

    >>> rows = [Units(**_example(1, 10)), Units(**_example(5, 12))]
    >>> coverage(rows)
    [('VNM', 1, 4, 1), ('VNM', 5, 10, 2), ('VNM', 11, 12, 1)]
    """
    steps: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        steps[row.registry][row.first_unit] += 1
        steps[row.registry][row.last_unit + 1] -= 1
    runs: list[tuple[str, int, int, int]] = []
    for registry in sorted(steps):
        count, previous = 0, 0
        for unit in sorted(steps[registry]):
            if count and unit > previous:
                last = runs[-1] if runs else None
                if last and last[0] == registry and last[2] + 1 == previous and last[3] == count:
                    runs[-1] = (registry, last[1], unit - 1, count)
                else:
                    runs.append((registry, previous, unit - 1, count))
            count += steps[registry][unit]
            previous = unit
    return runs


def _example(first: int, last: int) -> dict[str, Any]:
    """A made-up range, for the doctests."""
    unit = {"first_id": "", "last_id": "", "jcm_serials": "", "party_itmo_registry_id": "VNM01"}
    return {
        **unit,
        "authorization_id": "JC-1",
        "first_transferring_party": "VNM",
        "registry": "VNM",
        "first_unit": first,
        "last_unit": last,
        "quantity_tco2e": last - first + 1,
        "vintage": 2025,
    }


def _difference(mine: Iterable[Units], theirs: Iterable[Units]) -> list[str]:
    """Units the two tables count differently, as text (at most ten runs)."""
    found, expected = set(coverage(mine)), set(coverage(theirs))
    different = sorted(found ^ expected, key=lambda run: (run[0], run[1]))
    return [f"{registry} {first}-{last} ×{count}" for registry, first, last, count in different][:10]


def mirror_check(sender: AefReport, receiver: AefReport) -> list[str]:
    """What ``sender`` transferred to ``receiver`` in the year, against what ``receiver`` acquired from it."""
    sent = [
        a
        for a in sender.of_type(ActionType.first_transfer, ActionType.transfer)
        if a.acquiring_party == receiver.country
    ]
    acquired = [a for a in receiver.of_type(ActionType.acquisition) if a.transferring_party == sender.country]
    return _difference(sent, acquired)


def holdings_check(document: AefReport, state: YearEnd) -> list[str]:
    """The report's holdings against the journal replayed to the same instant: ranges and balances."""
    fresh = report(state, document.country)
    problems = _difference(document.holdings, fresh.holdings)
    by_account = {b.account: b for b in fresh.balances}
    shown: dict[str, int] = defaultdict(int)
    for row in document.holdings:
        shown[row.account] += row.quantity_tco2e
    for number in sorted(set(by_account) | set(shown)):
        replayed = by_account.get(number)
        balance = replayed.balance_credits if replayed else 0
        other = replayed.other_credits if replayed else 0
        if shown[number] + other != balance:
            problems.append(f"{number}: {shown[number]} + {other} held, balance {balance}")
    return problems


def with_checks(document: AefReport, state: YearEnd, others: Iterable[AefReport]) -> AefReport:
    """``document`` with its consistency checks against the replayed journal and the other countries' reports."""
    checks = [Check(name=CheckName.holdings, passed=not (h := holdings_check(document, state)), differences=h)]
    for other in others:
        if other.country == document.country:
            continue
        differences = mirror_check(document, other) + mirror_check(other, document)
        checks.append(
            Check(name=CheckName.mirror, other_country=other.country, passed=not differences, differences=differences)
        )
    return document.model_copy(update={"checks": checks})


def partners(state: YearEnd, country: str) -> list[str]:
    """The countries whose report ``country``'s report is checked against: Japan, or every host."""
    if country != JAPAN:
        return [JAPAN]
    return sorted({t.host for t in state.issuances.values()} - {JAPAN})


def checked_report(state: YearEnd, country: str, fmt: SerialFormat = DEFAULT_FORMAT) -> AefReport:
    """``country``'s report, checked against the partnership's other reports from the same replay."""
    others = [report(state, other, fmt) for other in partners(state, country)]
    return with_checks(report(state, country, fmt), state, others)
