"""What the API, pages and CLI show of the credit registry: typed, one model per thing.

Every number of credits is an integer; serials are printed with the configured
:class:`~c3p.credits.rules.serials.SerialFormat`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ConfigDict, Field

from c3p.credits.rules.authorizations import FirstTransfer
from c3p.credits.rules.transactions import MAX_CREDITS
from c3p.schema import Schema


class AccountView(Schema):
    number: str
    registry: str
    kind: str
    status: str
    holder: str = Field("", description="slug of the holding organization; empty for the registry's own accounts")
    name: str = ""
    balance_credits: int = Field(description="credits held; minus what the registry issued for its issuance account")
    opened_at: dt.datetime | None = None


class AccountDetailView(AccountView):
    blocks: list[str] = Field(description="serial ranges the account holds, in registry order")


class PendingTransferView(Schema):
    """A transfer to another registry, waiting for that registry to accept or reject it."""

    key: str
    from_account: str
    to_account: str
    credits: int
    proposed_seq: int = Field(description="journal sequence number of the proposal")


class FindingView(Schema):
    """A TPE's finding on a monitoring report and the participant's response."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    report_id: int
    kind: str = Field(description="corrective_action_request, clarification_request or forward_action_request")
    text: str
    status: str = Field(description="open or closed")
    raised_by: str
    response: str = ""
    responded_by: str | None = None
    closed_by: str | None = None


class ReportView(Schema):
    """A monitoring report: the engine's result on kept inputs, its period, and its verification."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project: str = Field(description="the JCM project's slug")
    host_country: str = Field(description="the JCM project's host country")
    period_number: int = Field(description="numbered by the registry per JCM project: 1, 2, …")
    methodology_id: str
    methodology_version: str
    period_start: dt.date
    period_end: dt.date
    emission_reductions_tco2: int = Field(description="claimed: the engine's result, whole tonnes rounded down")
    input_sha256: str = Field(description="SHA-256 over the methodology, the input files' checksums and parameters")
    inputs: list[dict[str, Any]] = Field(
        [], description="the kept monitoring files: filename, sha256, size_bytes (empty for visitors not signed in)"
    )
    status: str
    submitted_by: str
    submitted_by_organization: str | None = None
    verified_by: str | None = None
    verified_by_organization: str | None = None
    verified_tco2: int | None = Field(None, description="the verified amount; it caps the period's issuance")
    opinion: str = ""
    issued_credits: int = 0
    findings: list[FindingView] = []  # noqa: RUF012

    def for_visitor(self) -> ReportView:
        """A visitor who is not signed in sees the report, not the people (their e-mails) nor the files behind it."""
        return self.model_copy(update={"submitted_by": "", "verified_by": None, "inputs": []})


class AllocationLine(Schema):
    model_config = ConfigDict(frozen=True, extra="forbid")

    account: str = Field(description="account number, e.g. JPN-G-000001")
    credits: int = Field(strict=True, description=f"whole credits (tCO2e) for this account, 1 to {MAX_CREDITS:,}")


class IssuanceNotice(Schema):
    """The Joint Committee's notification of issuance: amount and allocation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    notification_ref: str = Field(
        min_length=1, max_length=80, description="the JC's reference; issuance is idempotent per reference"
    )
    report_id: int = Field(strict=True, description="the verified monitoring report")
    credits: int = Field(strict=True, description=f"credits to issue (whole tCO2e), 1 to {MAX_CREDITS:,}")
    allocation: tuple[AllocationLine, ...] = Field(min_length=1)
    authorized: bool = Field(False, description="Article 6.2: the credits are authorized (ITMOs)")
    first_transfer: FirstTransfer | None = Field(
        None,
        description="for authorized credits, when they are first transferred: use_or_cancellation (by default), "
        "first_international_transfer, authorization or issuance (both: at issuance)",
    )
    model_project: bool = Field(True, description="a JCM Model Project: at least half goes to Japan's government")


class AuthorizationView(Schema):
    """One Article 6.2 authorization record in its current version."""

    notification_ref: str = Field(description="the Joint Committee notification of the issuance")
    registry: str
    start_serial: int
    end_serial: int
    credits: int
    purposes: list[str] = Field(description="ndc (use towards NDCs), oimp (other international mitigation purposes)")
    entities: list[str] = Field(description="slugs of the authorized organizations")
    first_transfer: str = Field(
        description="first_international_transfer, use_or_cancellation, authorization or issuance"
    )
    version: int
    decision_ref: str
    decided_on: dt.date
    recorded_by: str
    journal_seq: int


class IssuanceView(Schema):
    id: int
    notification_ref: str
    project: str = Field(description="the JCM project's slug")
    serial_code: str = Field("", description="the JCM project's serial code, printed in the serials")
    host_country: str
    period_number: int
    vintage_year: int
    credits: int
    authorization: str
    issued_at: dt.datetime
    report_id: int
    allocation: list[dict[str, Any]]
    serials: list[str] = []  # noqa: RUF012
    journal_seq: int
    authorized_credits: int = Field(0, description="credits covered by an Article 6.2 authorization record")
    authorization_scope: str = Field("none", description="full, partial or none: how much of it is authorized")
    authorizations: list[AuthorizationView] = Field([], description="its authorization records, in serial order")


class TransactionView(Schema):
    seq: int
    key: str
    kind: str
    credits: int
    occurred_at: str
    actor: str
    from_account: str | None = None
    to_account: str | None = None
    status: str = Field(
        "completed",
        description="completed; pending until the other registry acts; awaiting_approval until a second "
        "representative decides; refused",
    )
    serials: list[str] = []  # noqa: RUF012
    details: dict[str, Any] = {}  # noqa: RUF012


class StatementLine(Schema):
    """One transaction on an account's statement."""

    seq: int = Field(description="the journal entry's sequence number")
    occurred_at: str
    kind: str
    counterparty: str | None = Field(
        None, description="the other account; between registries, the account at the other end"
    )
    credits_in: int
    credits_out: int
    balance_credits: int | None = Field(None, description="the account's balance after this transaction")
    serials: list[str] = []  # noqa: RUF012


class StatementView(Schema):
    """An account's transactions over a period; opening + in − out = closing."""

    account: str
    registry: str
    holder: str = ""
    from_date: dt.date | None = Field(None, description="first day (UTC) of the period; none: from the first entry")
    to_date: dt.date | None = Field(None, description="last day (UTC) of the period; none: up to now")
    opening_balance_credits: int
    credits_in: int
    credits_out: int
    closing_balance_credits: int
    lines: list[StatementLine] = []  # noqa: RUF012


class HolderView(Schema):
    serial: str
    block: str
    account: str
    account_kind: str
    registry: str
    holder: str
    issuance: str
    project: str
    first_transferred: bool


class HistoryNodeView(Schema):
    """Serials that one journal entry put in one account; ``parent`` is the node they came from."""

    id: int = Field(description="the node's place in the list (depth first, from 0)")
    parent: int | None = Field(description="the node it was split from or changed; none for an issued range")
    depth: int = Field(description="how many nodes lie between it and its issued range")
    serials: str = Field(description="the serial range, printed")
    start: int = Field(description="first unit number of the range in its issuing registry")
    end: int = Field(description="last unit number of the range")
    credits: int
    account: str = Field(description="number of the account the entry put them in")
    account_kind: str
    holder: str = Field("", description="slug of the account's holding organization; empty for system accounts")
    holder_name_en: str = ""
    holder_name_ja: str = ""
    event: str = Field(description="the entry's kind; 'split' for the part that stayed when another part moved")
    seq: int = Field(description="the journal entry")
    occurred_at: str
    authorized: bool = Field(description="Article 6.2 authorized at that time (a record covered the range)")
    purposes: list[str] = Field([], description="the purposes of that authorization record: ndc, oimp")
    first_transferred: bool
    correspondingly_adjusted: bool = Field(
        False, description="first transferred, and its host's recorded adjustments cover its first transfers"
    )
    state: str = Field("", description="for the final state only: held, retired, cancelled, in_transit or returned")


class HistoryView(Schema):
    """The full history of a serial range: one tree per issued range, rebuilt from the journal, as a flat list
    (depth first; each node names its parent), so that a chain of any depth reads and serializes alike."""

    serials: str
    registry: str
    issuance: str = Field(description="the Joint Committee's notification of issuance")
    project: str
    host_country: str
    issued_credits: int = Field(description="credits issued in the range; the final states sum to it")
    nodes: list[HistoryNodeView]


class SignedCertificate(Schema):
    """A retirement certificate as signed: the facts, the registry's public key, the signature and the code."""

    facts: dict[str, Any] = Field(description="the retirement's facts; the signature covers their canonical JSON")
    public_key: str = Field(description="the registry's Ed25519 public key, 64 hex digits")
    signature: str = Field(description="128 hex digits")
    code: str = Field(description="the short verification code printed on the certificate")


class CertificateCheck(Schema):
    """A retirement certificate checked against the journal: valid, or each thing that differs."""

    ok: bool
    code: str
    retirement: int = Field(description="the retirement's journal entry")
    problems: list[str] = Field(default_factory=list)


class Problem(Schema):
    seq: int | None = None
    what: str


class VerifyReport(Schema):
    ok: bool
    entries: int
    accounts: int
    blocks: int
    supply_credits: int
    first_bad_entry: int | None = Field(None, description="sequence number of the first entry that fails")
    problems: list[Problem] = []  # noqa: RUF012


class CheckpointView(Schema):
    """A signed checkpoint of the journal head (format: docs/registry.md, "Signed checkpoints")."""

    format: str = Field(description="c3p-checkpoint-1")
    head_seq: int = Field(description="sequence number of the journal entry signed")
    head_hash: str = Field(description="its hash (hex sha256)")
    signed_at: str = Field(description="when it was signed (ISO 8601, UTC)")
    public_key: str = Field(description="the registry's Ed25519 public key (32 bytes, hex)")
    signature: str = Field(description="Ed25519 signature of the other fields' canonical JSON (64 bytes, hex)")


class ProjectTotal(Schema):
    project: str = Field(description="the JCM project's slug")
    host_country: str
    serial_code: str = ""
    title_en: str = ""
    title_ja: str = ""
    program_projects: list[str] = Field([], description="slugs of the C3P projects that led to the JCM project")
    partnerships: list[str] = Field([], description="slugs of those projects' partnerships")
    issued_credits: int
    retired_credits: int
    cancelled_credits: int
    issuances: int


class RetirementView(Schema):
    seq: int
    occurred_at: str
    credits: int
    account: str
    registry: str
    purpose: str
    beneficiary: str
    serials: list[str]
    authorized_credits: int = Field(0, description="of its credits, those Article 6.2 authorized")
    purposes: list[str] = Field([], description="the purposes of their authorization records: ndc, oimp")
    first_transferred_credits: int = 0
    adjusted_credits: int = Field(0, description="of its credits, those correspondingly adjusted")


class RegistryStats(Schema):
    issued_credits: int
    held_credits: int
    pending_credits: int
    retired_credits: int
    cancelled_credits: int
    issuances: int
    transactions: int
    accounts: int
    by_registry: dict[str, dict[str, int]]
    by_year: dict[int, dict[str, int]]


class Article6Row(Schema):
    country: str
    year: int
    authorized_credits: int
    first_transferred_credits: int
    used_credits: int
    adjustment_first_transfer_credits: int
    adjustment_use_credits: int


class RepresentativeView(Schema):
    """A person named to move an account's credits (role ``account_representative`` on it)."""

    account: str
    email: str
    name: str
    organization: str = Field(description="slug of the representative's own organization")
    named_by: str
    named_at: dt.datetime | None = None


class RegistrySettings(Schema):
    """What a registry's administrators set for it."""

    registry: str
    approval_threshold_credits: int | None = Field(
        None, description="transfers of more credits wait for a second representative's approval; null: never"
    )


class ProposalView(Schema):
    """A transfer waiting for a second representative of its sending account."""

    key: str
    from_account: str
    to_account: str
    credits: int
    serial: str = ""
    proposed_by: str
    proposed_at: dt.datetime | None = None
