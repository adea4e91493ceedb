"""Tables of the JCM credit registry: registries, accounts, monitoring reports, issuances,
serial blocks, the hash-chained journal, pending transfers, corresponding adjustments and
signed checkpoints of the journal head.

Credits are integers (``BigInteger``). Serial blocks are indexed by ``(registry,
start_serial)`` so "who holds serial X" is one index seek. The journal is the registry's own
audit trail (append-only, enforced by triggers, hash-chained), so the high-volume tables it
describes (blocks, journal, pending transfers, adjustments) and account balances stay out of
the generic change history; accounts, reports and issuances are recorded there as well.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from c3p.credits.move_function import create_with
from c3p.credits.rules.journal import GENESIS
from c3p.db.append_only import refuse_changes
from c3p.db.base import NOT_IN_HISTORY, Base, utcnow


class CreditRegistry(Base):
    """One country's JCM registry; ``next_unit`` is the next unit number it will issue."""

    __tablename__ = "credit_registries"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name_en: Mapped[str] = mapped_column(Text)
    name_ja: Mapped[str] = mapped_column(Text, default="")
    next_unit: Mapped[int] = mapped_column(BigInteger, default=1, info=NOT_IN_HISTORY)
    next_account: Mapped[int] = mapped_column(Integer, default=1, info=NOT_IN_HISTORY)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: transfers of more credits than this wait for a second representative's approval (None: never)
    approval_threshold_credits: Mapped[int | None] = mapped_column(BigInteger)


class CreditAccount(Base):
    __tablename__ = "credit_accounts"
    __table_args__ = (
        CheckConstraint("balance >= 0 OR kind = 'issuance'", name="balance_not_negative"),
        Index("ix_credit_accounts_registry_kind", "registry", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: column ``registry`` (the attribute name ``registry`` is reserved by SQLAlchemy's declarative base)
    registry_code: Mapped[str] = mapped_column("registry", ForeignKey("credit_registries.code"))
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("member_organizations.id"), index=True)
    name: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="open")
    balance: Mapped[int] = mapped_column(BigInteger, default=0, info=NOT_IN_HISTORY)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class MonitoringReport(Base):
    """The MRV engine's result on monitoring data kept by c3p, for one period of a JCM project.

    ``inputs`` names the stored files (by SHA-256, kept under ``attachments_dir``) and
    ``params`` the calculation parameters, so the record can be recomputed at any time;
    ``input_sha256`` identifies those inputs. The assigned TPE's verification records the
    verified amount, which caps what all issuances on the report may issue together.
    """

    __tablename__ = "monitoring_reports"
    __table_args__ = (UniqueConstraint("project", "period_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jcm_project_id: Mapped[int | None] = mapped_column(ForeignKey("jcm_projects.id"), index=True)
    #: the JCM project's slug, copied from it
    project: Mapped[str] = mapped_column(String(80), index=True)
    host_country: Mapped[str] = mapped_column(String(3))
    period_number: Mapped[int] = mapped_column(Integer)
    methodology_id: Mapped[str] = mapped_column(String(40))
    methodology_version: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    emission_reductions_tco2: Mapped[int] = mapped_column(BigInteger)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    inputs: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default="[]")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    input_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default="submitted")
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_by: Mapped[str] = mapped_column(String(254))
    submitted_by_user_id: Mapped[int | None] = mapped_column(Integer)
    submitted_by_organization: Mapped[str | None] = mapped_column(String(80))
    verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    verified_by: Mapped[str | None] = mapped_column(String(254))
    verified_by_user_id: Mapped[int | None] = mapped_column(Integer)
    verified_by_organization: Mapped[str | None] = mapped_column(String(80))
    verified_tco2: Mapped[int | None] = mapped_column(BigInteger)
    opinion: Mapped[str] = mapped_column(Text, default="", server_default="")


class VerificationFinding(Base):
    """A TPE's finding on a monitoring report: a corrective action, clarification or forward action
    request, open until the TPE closes it after the participant's response."""

    __tablename__ = "verification_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("monitoring_reports.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="open")
    raised_by: Mapped[str] = mapped_column(String(254))
    raised_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    response: Mapped[str] = mapped_column(Text, default="")
    responded_by: Mapped[str | None] = mapped_column(String(254))
    responded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(254))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CreditIssuance(Base):
    """One Joint Committee notification of issuance and the credits created for it."""

    __tablename__ = "credit_issuances"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_ref: Mapped[str] = mapped_column(String(80), unique=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    report_id: Mapped[int] = mapped_column(ForeignKey("monitoring_reports.id"), index=True)
    jcm_project_id: Mapped[int | None] = mapped_column(ForeignKey("jcm_projects.id"), index=True)
    project: Mapped[str] = mapped_column(String(80), index=True)
    #: the JCM project's serial code when issued; the credits' serials carry it
    serial_code: Mapped[str] = mapped_column(String(16), server_default="")
    host_country: Mapped[str] = mapped_column(String(3), index=True)
    period_number: Mapped[int] = mapped_column(Integer)
    vintage_year: Mapped[int] = mapped_column(Integer)
    credits: Mapped[int] = mapped_column(BigInteger)
    allocation: Mapped[list[Any]] = mapped_column(JSON)
    model_project: Mapped[bool] = mapped_column(Boolean, default=True)
    authorization_status: Mapped[str] = mapped_column(String(16), default="not_authorized")
    authorized_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    journal_seq: Mapped[int] = mapped_column(Integer)


class CreditBlock(Base):
    """Credits ``start_serial..end_serial`` (inclusive) of ``registry``, all in one account."""

    __tablename__ = "credit_blocks"
    __table_args__ = (
        UniqueConstraint("registry", "start_serial"),
        Index("ix_credit_blocks_account_id_registry_start_serial", "account_id", "registry", "start_serial"),
        CheckConstraint("end_serial >= start_serial AND start_serial >= 1", name="range_not_empty"),
        {"info": NOT_IN_HISTORY},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registry_code: Mapped[str] = mapped_column("registry", String(3))
    start_serial: Mapped[int] = mapped_column(BigInteger)
    end_serial: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[int] = mapped_column(ForeignKey("credit_accounts.id"))
    issuance_id: Mapped[int] = mapped_column(ForeignKey("credit_issuances.id"))
    first_transferred: Mapped[bool] = mapped_column(Boolean, default=False)


class JournalEntry(Base):
    """One ledger transaction; ``entry`` is its canonical JSON, sealed by ``hash``."""

    __tablename__ = "credit_journal"
    __table_args__ = ({"info": NOT_IN_HISTORY},)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: a random id (uuid4); pending transfers refer to it
    key: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(24), index=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    credits: Mapped[int] = mapped_column(BigInteger, default=0)
    entry: Mapped[str] = mapped_column(Text)
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class JournalHead(Base):
    """The chain's tip: the one row every ledger transaction updates as it appends to the journal.

    Updating it takes its lock (held to the commit), so appends are serialized; it holds the
    number and hash of the last entry, written in the same transaction as that entry, and
    ``c3p registry verify`` checks that the two agree.
    """

    __tablename__ = "credit_journal_head"
    __table_args__ = ({"info": NOT_IN_HISTORY},)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS, server_default=GENESIS)
    previous_hash: Mapped[str] = mapped_column(String(64), default=GENESIS, server_default=GENESIS)


refuse_changes(JournalEntry, "the credit journal is append-only")
# the chain's tip exists from the start: every append updates it, none inserts it
event.listen(JournalHead.__table__, "after_create", DDL("INSERT INTO credit_journal_head (id) VALUES (1)"))


class PendingTransfer(Base):
    """A transfer to the other registry, waiting for it to accept or reject."""

    __tablename__ = "credit_pending_transfers"
    __table_args__ = ({"info": NOT_IN_HISTORY},)

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    from_account_id: Mapped[int] = mapped_column(ForeignKey("credit_accounts.id"))
    to_account_id: Mapped[int] = mapped_column(ForeignKey("credit_accounts.id"), index=True)
    credits: Mapped[int] = mapped_column(BigInteger)
    moves: Mapped[list[Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    proposed_seq: Mapped[int] = mapped_column(Integer)
    resolved_seq: Mapped[int | None] = mapped_column(Integer)


class TransferProposal(Base):
    """A transfer above its registry's approval threshold, proposed by one representative of the
    sending account and waiting for another to approve or refuse it; nothing moves until then."""

    __tablename__ = "credit_transfer_proposals"
    __table_args__ = ({"info": NOT_IN_HISTORY},)

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    from_account_id: Mapped[int] = mapped_column(ForeignKey("credit_accounts.id"), index=True)
    to_account_id: Mapped[int] = mapped_column(ForeignKey("credit_accounts.id"))
    credits: Mapped[int] = mapped_column(BigInteger)
    serial: Mapped[str] = mapped_column(Text, default="")
    proposed_by_id: Mapped[int | None] = mapped_column(Integer)
    proposed_by: Mapped[str] = mapped_column(Text)
    proposed_seq: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="proposed", index=True)
    resolved_by: Mapped[str] = mapped_column(Text, default="")
    resolved_seq: Mapped[int | None] = mapped_column(Integer)


class CorrespondingAdjustment(Base):
    """Credits a country adjusts for in a year under Article 6.2, from one journal entry."""

    __tablename__ = "corresponding_adjustments"
    __table_args__ = (Index("ix_corresponding_adjustments_country_year", "country", "year"), {"info": NOT_IN_HISTORY})

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(3))
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    credits: Mapped[int] = mapped_column(BigInteger)
    journal_seq: Mapped[int] = mapped_column(Integer)


class FirstTransferTotal(Base):
    """A host country's running total of the credits it first transferred under Article 6.2.

    Kept by the credit service in the transaction that records the corresponding adjustments of
    the first transfers, so the "correspondingly adjusted" label reads one row per host instead of
    summing the host's first-transferred blocks; ``verify`` recomputes it from the replayed blocks.
    """

    __tablename__ = "article6_first_transfer_totals"
    __table_args__ = ({"info": NOT_IN_HISTORY},)

    country: Mapped[str] = mapped_column(String(3), primary_key=True)
    credits: Mapped[int] = mapped_column(BigInteger)


class CreditCheckpoint(Base):
    """The journal head signed with the registry's Ed25519 key (at each issuance, and daily)."""

    __tablename__ = "credit_checkpoints"
    __table_args__ = ({"info": NOT_IN_HISTORY},)

    id: Mapped[int] = mapped_column(primary_key=True)
    head_seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[str] = mapped_column(String(40))
    public_key: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))


class Article6Submission(Base):
    """One submitted version of a country's Article 6.2 annual report, kept exactly as submitted.

    A report produced again after the journal changed becomes the next version; earlier versions
    stay. ``document`` is the report's canonical JSON and ``sha256`` its hash; rows are sealed
    into the journal (``credits/facts.py``), so ``verify`` finds an edited one.
    """

    __tablename__ = "article6_submissions"
    __table_args__ = (UniqueConstraint("country", "year", "version"), {"info": NOT_IN_HISTORY})

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(3))
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)
    consistent: Mapped[bool] = mapped_column(Boolean)
    submitted_by: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CreditAuthorization(Base):
    """An Article 6.2 authorization record: serials ``start_serial..end_serial`` of one issuance in
    ``registry``, authorized for ``purposes`` (``ndc``, ``oimp``), in its current ``version``.

    Each change is an ``authorization`` journal entry (earlier versions live there), and
    ``verify`` rebuilds the rows from the journal (``credits/rules/authorizations.py``).
    """

    __tablename__ = "credit_authorizations"
    __table_args__ = (
        UniqueConstraint("registry", "start_serial"),
        CheckConstraint("end_serial >= start_serial AND start_serial >= 1", name="range_not_empty"),
        {"info": NOT_IN_HISTORY},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issuance_id: Mapped[int] = mapped_column(ForeignKey("credit_issuances.id"), index=True)
    registry_code: Mapped[str] = mapped_column("registry", String(3))
    start_serial: Mapped[int] = mapped_column(BigInteger)
    end_serial: Mapped[int] = mapped_column(BigInteger)
    #: sorted purpose codes: ["ndc"], ["oimp"] or ["ndc", "oimp"]
    purposes: Mapped[list[str]] = mapped_column(JSON)
    #: slugs of the organizations authorized
    entities: Mapped[list[str]] = mapped_column(JSON)
    first_transfer: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    decision_ref: Mapped[str] = mapped_column(Text)
    decided_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    journal_seq: Mapped[int] = mapped_column(Integer)


create_with(CorrespondingAdjustment)  # PL/pgSQL resolves the tables it names when it runs
