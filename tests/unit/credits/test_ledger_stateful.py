"""Random operation sequences through the real credit service over the in-memory store.

The ledger's invariants always hold: supply is conserved (balances sum to zero; blocks add up
to what was issued), no serial is in two places, no holding account goes negative, a refused
operation writes nothing (the in-memory store has no rollback to hide a half-done command),
a Model Project gives Japan's government at least half, and replaying the journal from scratch
through the pure ledger gives the same state. Monitoring reports: a project's periods are
numbered 1, 2, … and never overlap nor share inputs, and the credits issued on a period, over
all its notices, never exceed its verified amount (itself at most the claim).
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import replace
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from c3p.accounts.rules.policy import Actor, Grant
from c3p.credits import service
from c3p.credits.rules.authorizations import AT_RECORD, USED_KINDS, FirstTransfer, record_at
from c3p.credits.rules.blocks import Block, normalize
from c3p.credits.rules.history import Node, history, touches
from c3p.credits.rules.holding_accounts import AccountKind, AccountStatus
from c3p.credits.rules.ledger import Ledger
from c3p.credits.rules.reports import Party, party
from c3p.credits.rules.serials import DEFAULT_FORMAT
from c3p.credits.rules.transactions import Entry, TransactionKind
from c3p.credits.schemas import IssuanceNotice
from c3p.errors import C3PError
from tests.support.credit_store import MemoryStore

OPERATOR = Actor.operator("test")
PROJECTS = ("VN007", "VN008")
VERIFIER = Party(7, "tpe-vn")
#: a Joint Committee member of the verifying organization (a verifier never issues)
ISSUER_WHO_VERIFIED = Actor(7, "jc@tpe-vn", (Grant("joint_committee_member", "country", "VNM"),), "tpe-vn")
SECOND = Actor.operator("second")  # another person, for the second-representative approval
HOLDERS = {"JPN": ("moej", "acme-jp", "acme-jp"), "VNM": ("vn-mone", "acme-vn", "acme-vn")}
KINDS = ("government_holding", "participant_holding", "participant_holding")


class RegistryMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.store = MemoryStore()
        for slug in ("moej", "vn-mone", "acme-jp", "acme-vn"):
            self.store.add_organization(slug)
        self.holding = [
            service.open_account(self.store, OPERATOR, code, kind, holder).number
            for code, holders in HOLDERS.items()
            for kind, holder in zip(KINDS, holders, strict=True)
        ]
        self.issued = 0
        self.notices = 0
        self.proposals: list[str] = []
        self.period_issuances = 0
        self.awaiting: list[str] = []
        #: each approval threshold set: (journal length then, registry, threshold)
        self.thresholds: list[tuple[int, str, int | None]] = []
        self.set_approval_threshold("VNM", 100)  # Viet Nam asks for a second person from the start

    def _attempt(self, command, *args: Any, **kwargs: Any) -> Any:  # type: ignore[no-untyped-def]
        """Run a service command; a refusal must leave the store exactly as it was."""
        before = self.store.state()
        try:
            return command(self.store, OPERATOR, *args, **kwargs)
        except C3PError:
            assert self.store.state() == before
            return None

    @rule(data=st.data(), authorized=st.booleans(), model_project=st.booleans())
    def issue(self, data: st.DataObject, authorized: bool, model_project: bool) -> None:
        accounts = data.draw(st.lists(st.sampled_from(self.holding), min_size=1, max_size=3, unique=True))
        lines = [{"account": a, "credits": data.draw(st.integers(-2, 500))} for a in accounts]
        credits = sum(line["credits"] for line in lines)
        report = self.store.add_report("VNM", "VN007", verified_tco2=max(credits, 1))
        self.notices += 1
        notice = IssuanceNotice.model_validate(
            {
                "notification_ref": f"JC-{self.notices}",
                "report_id": report,
                "credits": credits,
                "allocation": lines,
                "authorized": authorized,
                "model_project": model_project,
                "first_transfer": data.draw(st.sampled_from([None, *(str(d) for d in FirstTransfer)])),
            }
        )
        if self._attempt(service.issue, notice) is not None:
            self.issued += credits
            to_japan = sum(line["credits"] for line in lines if line["account"] == self.holding[0])
            assert not model_project or 2 * to_japan >= credits

    # ---- monitoring reports: periods, verification, findings, issuance on a period ----

    @rule(
        project=st.sampled_from(PROJECTS),
        start=st.integers(0, 90),
        days=st.integers(0, 40),
        claimed=st.integers(0, 500),
        data=st.data(),
    )
    def submit_report(self, project: str, start: int, days: int, claimed: int, data: st.DataObject) -> None:
        """A report for some dates, with new inputs or inputs already reported (refused)."""
        used = [p.input_sha256 for p in self.store.periods.values()]
        digest = data.draw(st.sampled_from(used)) if used and data.draw(st.booleans()) else uuid.uuid4().hex
        first = dt.date(2025, 1, 1) + dt.timedelta(days=start)
        self._attempt_store(
            self.store.submit_report, project, "VNM", first, first + dt.timedelta(days=days), claimed, digest
        )

    def _pick(self, data: st.DataObject, *statuses: str) -> int:
        """A report, most often one in ``statuses`` (so the interesting steps happen often)."""
        wanted = sorted(i for i, r in self.store.reports.items() if r.status in statuses)
        if wanted and data.draw(st.integers(0, 3)):
            return data.draw(st.sampled_from(wanted))
        return data.draw(st.sampled_from(sorted(self.store.reports)))

    @precondition(lambda self: self.store.reports)
    @rule(data=st.data())
    def verify_report(self, data: st.DataObject) -> None:
        report_id = self._pick(data, "submitted")
        verified = data.draw(st.integers(-1, self.store.claimed[report_id] + 1))  # a few above the claim
        self._attempt_store(self.store.verify_report, report_id, verified, VERIFIER)

    @precondition(lambda self: self.store.reports)
    @rule(data=st.data(), open_requests=st.integers(0, 2))
    def corrective_action_requests(self, data: st.DataObject, open_requests: int) -> None:
        self.store.set_open_corrective_actions(self._pick(data, "verified"), open_requests)

    @precondition(lambda self: self.store.reports)
    @rule(data=st.data(), by_verifier=st.booleans())
    def issue_on_a_period(self, data: st.DataObject, by_verifier: bool) -> None:
        """One of several notices on a period: refused when the period has fewer verified tonnes left,
        when a corrective action request is open, or when its verifier would issue."""
        report_id = self._pick(data, "verified", "used")
        left = self.store.reports[report_id].verified_tco2 - self.store.issued_credits(report_id)
        credits = data.draw(st.integers(1, max(1, left + 2)))  # around what is left, so both sides are tried
        self.notices += 1
        notice = IssuanceNotice.model_validate(
            {
                "notification_ref": f"JC-P-{self.notices}",
                "report_id": report_id,
                "credits": credits,
                "allocation": [{"account": self.holding[0], "credits": credits}],
            }
        )
        issuer = ISSUER_WHO_VERIFIED if by_verifier else OPERATOR
        report = self.store.reports[report_id]
        before = self.store.state()
        try:
            service.issue(self.store, issuer, notice)
        except C3PError:
            assert self.store.state() == before
            return
        assert report.open_corrective_actions == 0 and report.status in ("verified", "used")
        assert not party(issuer).same_as(report.verifier)
        self.issued += credits
        self.period_issuances += 1

    def _attempt_store(self, command, *args: Any) -> None:  # type: ignore[no-untyped-def]
        before = self.store.state()
        try:
            command(*args)
        except C3PError:
            assert self.store.state() == before

    @invariant()
    def issuance_per_period_never_exceeds_the_verified_amount(self) -> None:
        for report in self.store.reports.values():
            issued = self.store.issued_credits(report.id)
            assert issued <= report.verified_tco2 <= self.store.claimed[report.id]
            assert issued == 0 or report.status == "used"

    @invariant()
    def periods_are_numbered_and_never_overlap(self) -> None:
        for project in PROJECTS:
            periods = sorted(
                (p for p in self.store.periods.values() if self.store.reports[p.report_id].project == project),
                key=lambda p: p.number,
            )
            assert [p.number for p in periods] == list(range(1, len(periods) + 1))
            for a, b in itertools.combinations(periods, 2):
                assert a.end < b.start or b.end < a.start
                assert a.input_sha256 != b.input_sha256

    @rule(source=st.integers(0, 5), to=st.integers(0, 5), credits=st.integers(-1, 300))
    def transfer(self, source: int, to: int, credits: int) -> None:
        labels = self._serial_labels()
        done = self._attempt(service.transfer, self.holding[source], self.holding[to], credits)
        assert self._serial_labels() == labels  # labels travel with the credits
        self._note(done)

    def _serial_labels(self) -> dict[tuple[str, int], Any]:
        """The label of every serial held (kept small: the machine issues at most a few thousand)."""
        return {
            (b.registry, unit): self._label(b.issuance_id, b.registry, unit)
            for b in self.store.blocks.values()
            for unit in range(b.start, b.end + 1)
        }

    def _note(self, done: Any) -> None:
        if done is not None and done.status == "pending":
            self.proposals.append(done.key)
        if done is not None and done.status == "awaiting_approval":
            self.awaiting.append(done.key)

    @rule(registry=st.sampled_from(["JPN", "VNM"]), threshold=st.one_of(st.none(), st.integers(-1, 300)))
    def set_approval_threshold(self, registry: str, threshold: int | None) -> None:
        if self._attempt(service.configure_registry, registry, threshold) is not None:
            self.thresholds.append((len(self.store.journal), registry, threshold))

    @precondition(lambda self: self.awaiting)
    @rule(data=st.data(), approve=st.booleans())
    def decide(self, data: st.DataObject, approve: bool) -> None:
        """The proposer can never decide; a second person approves (credits move) or refuses (nothing does)."""
        key = data.draw(st.sampled_from(self.awaiting))
        before = self.store.state()
        assert self._attempt(service.decide_transfer, key, approve) is None  # OPERATOR proposed it
        balances = {a.id: a.balance for a in self.store.accounts.values()}
        try:
            done = service.decide_transfer(self.store, SECOND, key, approve)
        except C3PError:  # e.g. the sender no longer holds the credits: nothing changed
            assert self.store.state() == before
            return
        self.awaiting.remove(key)
        moved = {a.id: a.balance for a in self.store.accounts.values()} != balances
        assert moved == (approve and done.credits > 0)
        self._note(done)

    @rule(source=st.integers(0, 5), to=st.integers(0, 5), data=st.data())
    def transfer_serials(self, source: int, to: int, data: st.DataObject) -> None:
        held = [
            b for b in self.store.blocks.values() if self.store.accounts[b.account_id].number == self.holding[source]
        ]
        if not held:
            return
        block = data.draw(st.sampled_from(held))
        start = data.draw(st.integers(block.start, block.end + 2))
        end = data.draw(st.integers(start, block.end + 2))
        report = self.store.issuances[block.issuance_id].new.report
        named = data.draw(st.sampled_from(["true", "host", "project", "period"]))
        host = "THA" if named == "host" else report.host_country
        project = "OTHER1" if named == "project" else report.serial_code
        period = report.period_number + 1 if named == "period" else report.period_number
        serial = DEFAULT_FORMAT.block(block.registry, host, project, period, start, end)
        done = self._attempt(service.transfer, self.holding[source], self.holding[to], None, serial)
        assert done is None or named == "true"  # a serial naming other credits moves nothing
        self._note(done)

    @precondition(lambda self: self.proposals)
    @rule(data=st.data(), status=st.sampled_from([AccountStatus.suspended, AccountStatus.closed]))
    def reject_after_the_sender_left(self, data: st.DataObject, status: AccountStatus) -> None:
        """The sender is suspended (or closed, if it holds nothing more) before its transfer is rejected."""
        key = data.draw(st.sampled_from(self.proposals))
        sender = self.store.accounts[self.store.pending[key].from_account_id]
        self._attempt(service.set_account_status, sender.number, str(status))
        left = self.store.accounts[sender.id].status != AccountStatus.open
        done = self._attempt(service.resolve_pending, key, False)
        assert done is not None
        self.proposals.remove(key)
        assert (done.to_account != sender.number) == left
        assert not left or done.details["returned_to"] == done.to_account
        if self.store.accounts[sender.id].status == AccountStatus.suspended:
            self._attempt(service.set_account_status, sender.number, "open")

    @rule(to=st.integers(0, 5), credits=st.integers(1, 300))
    def pass_on_returned_credits(self, to: int, credits: int) -> None:
        returns = [a.number for a in self.store.accounts.values() if a.kind == "returns"]
        if returns:
            self._attempt(service.transfer, returns[0], self.holding[to], credits)

    @precondition(lambda self: self.proposals)
    @rule(accept=st.booleans(), data=st.data())
    def resolve(self, accept: bool, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(self.proposals))
        if self._attempt(service.resolve_pending, key, accept) is not None:
            self.proposals.remove(key)

    @rule(source=st.integers(0, 5), credits=st.integers(1, 200), cancel=st.booleans())
    def retire(self, source: int, credits: int, cancel: bool) -> None:
        if cancel:
            done = self._attempt(service.cancel, self.holding[source], credits)
        else:
            done = self._attempt(service.retire, self.holding[source], "NDC", "someone", credits)
        if done is not None:  # each authorized credit used served a purpose it is authorized for
            needed = "oimp" if cancel else "ndc"
            for move in self.store.journal[done.seq - 1].moves:
                record = record_at(self.store.authorizations_of(move.issuance_id), move.registry, move.start, move.end)
                assert record is None or needed in record.purposes

    @rule(account=st.integers(0, 5), status=st.sampled_from(list(AccountStatus)))
    def set_status(self, account: int, status: AccountStatus) -> None:
        if status is AccountStatus.closed:
            return  # closing is final; keep the machine able to move credits
        self._attempt(service.set_account_status, self.holding[account], str(status))

    @rule(ref=st.integers(1, 5), authorized=st.booleans())
    def authorize(self, ref: int, authorized: bool) -> None:
        self._attempt(service.authorize, f"JC-{ref}", "authorized" if authorized else "not_authorized")

    @precondition(lambda self: self.store.issuances)
    @rule(data=st.data())
    def authorize_range(self, data: st.DataObject) -> None:
        """Authorize part of an issuance (or a bad range, purpose, entity or date: refused, nothing changes)."""
        issuance = data.draw(st.sampled_from(sorted(self.store.issuances)))
        ranges = self.store.issued_ranges(issuance)
        registry, low, high = data.draw(st.sampled_from(ranges))
        records = self.store.authorizations_of(issuance)
        how = data.draw(st.sampled_from(["inside", "inside", "again", "outside"]))
        if how == "again" and records:  # the next version of a record (first transfers restrict it)
            record = data.draw(st.sampled_from(records))
            registry, start, end = record.registry, record.start, record.end
        elif how == "outside":
            start = data.draw(st.integers(low - 1, high))
            end = data.draw(st.integers(max(start, high), high + 1))
        else:
            start = data.draw(st.integers(low, high))
            end = data.draw(st.integers(start, high))
        purposes = data.draw(st.sampled_from([["ndc"], ["oimp"], ["ndc", "oimp"], ["oimp", "ndc"], []]))
        entities = data.draw(st.sampled_from([[], ["acme-vn"], ["acme-jp", "acme-vn"], ["nobody"]]))
        day = data.draw(st.sampled_from(["2025-06-01", "2026-01-15", "2099-01-01"]))
        labels = self._labels()
        done = self._attempt(
            service.authorize_range,
            self.store.issuances[issuance].new.notification_ref,
            f"{start}-{end}",
            purposes,
            entities,
            "MOE-2026-01",
            day,
            data.draw(st.sampled_from([None, *(str(d) for d in FirstTransfer)])),
            registry,
        )
        if done is None:
            assert self._labels() == labels
        else:
            assert {*purposes} == set(done.purposes) and "nobody" not in entities and day != "2099-01-01"
            assert any(r == registry and lo <= start <= end <= hi for r, lo, hi in ranges)
            assert self.store.issuances[issuance].authorization == "authorized"

    @precondition(lambda self: self.store.issuances)
    @rule(data=st.data())
    def authorize_another_range(self, data: st.DataObject) -> None:
        """The same operation once more, so that authorizations are as frequent as transfers."""
        self.authorize_range(data)

    def _labels(self) -> dict[tuple[str, int], Any]:
        """The authorization label (record terms, or None) of the first serial of every block."""
        return {
            (b.registry, b.start): self._label(b.issuance_id, b.registry, b.start) for b in self.store.blocks.values()
        }

    def _label(self, issuance: int, registry: str, unit: int) -> Any:
        found = record_at(self.store.authorizations_of(issuance), registry, unit, unit)
        return None if found is None else (found.start, found.end, found.purposes, found.version)

    @invariant()
    def every_block_lies_wholly_inside_or_outside_each_authorization(self) -> None:
        for block in self.store.blocks.values():
            for record in self.store.authorizations_of(block.issuance_id):
                if record.overlaps(block.registry, block.start, block.end):
                    assert record.covers(block.registry, block.start, block.end)
            if block.first_transferred:
                assert self._label(block.issuance_id, block.registry, block.start) is not None

    @invariant()
    def credits_first_transferred_on_record_are_all_marked(self) -> None:
        """Under "authorization" or "issuance" every credit of the range is first transferred, except
        those used or cancelled before the record was made."""
        for block in self.store.blocks.values():
            record = record_at(self.store.authorizations_of(block.issuance_id), block.registry, block.start, block.end)
            if record is not None and record.first_transfer in AT_RECORD:
                used = AccountKind(self.store.accounts[block.account_id].kind) in USED_KINDS
                assert block.first_transferred or used, (block, record)

    @invariant()
    def supply_is_conserved_and_nothing_is_negative(self) -> None:
        balances = {a.id: a.balance for a in self.store.accounts.values()}
        assert sum(balances.values()) == 0
        blocks = list(self.store.blocks.values())
        assert sum(b.credits for b in blocks) == self.issued
        normalize(blocks)  # raises if a serial is in two blocks
        for account in self.store.accounts.values():
            if account.kind != "issuance":
                assert account.balance == sum(b.credits for b in blocks if b.account_id == account.id) >= 0

    @invariant()
    def closed_accounts_hold_nothing(self) -> None:
        assert all(a.balance == 0 for a in self.store.accounts.values() if a.status == AccountStatus.closed)

    @invariant()
    def first_transferred_credits_stay_authorized(self) -> None:
        for issuance in self.store.issuances.values():
            if self.store.first_transferred_credits(issuance.id):
                assert issuance.authorization == "authorized"

    @invariant()
    def replaying_the_journal_gives_the_same_state(self) -> None:
        replayed = Ledger()
        for entry in self.store.journal:
            replayed.apply(Entry.from_json(entry.to_json()))
        replayed.check()
        assert replayed.blocks() == sorted(self.store.blocks.values(), key=lambda b: (b.registry, b.start))
        assert {k: v for k, v in replayed.balances.items() if v} == {
            a.id: a.balance for a in self.store.accounts.values() if a.balance
        }
        assert set(replayed.pending) == {k for k, p in self.store.pending.items() if p.status == "pending"}
        assert {k: p.status for k, p in replayed.proposals.items()} == {
            k: p.status for k, p in self.store.proposals.items()
        }
        replayed_records = {(r.registry, r.start): r for rs in replayed.authorizations.values() for r in rs}
        assert replayed_records == self.store.records
        replayed_adjustments = sorted(
            (a.country, a.year, a.kind, a.credits, a.journal_seq) for a in replayed.adjustments
        )
        stored = sorted((a.country, a.year, str(a.kind), a.credits, seq) for a, seq in self.store.adjustments)
        assert replayed_adjustments == stored

    @invariant()
    def every_history_sums_to_what_was_issued_and_ends_in_the_blocks_held(self) -> None:
        blocks = list(self.store.blocks.values())
        issued = [m for e in self.store.journal if e.kind is TransactionKind.issuance for m in e.moves]
        for registry, start, end in ((m.registry, m.start, m.end) for m in issued):
            for low, high in ((start, end), (start + (end - start) // 3, end - (end - start) // 4)):
                touching = [e for e in self.store.journal if _touches(e, registry, low, high)]
                found = history(touching, registry, low, high)
                leaves = found.leaves()
                assert found.issued_credits == sum(leaf.credits for leaf in leaves) == high - low + 1
                held = [_clipped(b, low, high) for b in blocks if b.registry == registry and b.start <= high]
                assert normalize(_as_block(registry, leaf) for leaf in leaves) == normalize(b for b in held if b)
                for leaf in leaves:  # each final range carries the purposes of the record covering it now
                    label = self._label(leaf.issuance_id, registry, leaf.start)
                    assert leaf.purposes == (frozenset() if label is None else frozenset(label[2]))

    @invariant()
    def transfers_above_the_threshold_moved_only_with_a_second_person(self) -> None:
        for entry in self.store.journal:
            if entry.kind in (TransactionKind.transfer, TransactionKind.external_transfer):
                registry = self.store.accounts[entry.moves[0].from_account].registry
                threshold = self._threshold_before(registry, entry.seq)
                if threshold is not None and entry.credits > threshold:
                    assert entry.details.get("approved_by") not in (None, entry.details.get("proposed_by"))

    def _threshold_before(self, registry: str, seq: int) -> int | None:
        """The registry's approval threshold when journal entry ``seq`` was written."""
        found = [t for after, code, t in self.thresholds if code == registry and after < seq]
        return found[-1] if found else None


def _touches(entry: Entry, registry: str, start: int, end: int) -> bool:
    """What the history query reads: moves of the range, and authorization changes."""
    return entry.kind is TransactionKind.authorization or any(touches(m, registry, start, end) for m in entry.moves)


def _clipped(block: Block, start: int, end: int) -> Block | None:
    low, high = max(block.start, start), min(block.end, end)
    return replace(block, start=low, end=high) if low <= high else None


def _as_block(registry: str, leaf: Node) -> Block:
    return Block(registry, leaf.start, leaf.end, leaf.account_id, leaf.issuance_id, leaf.first_transferred)


RegistryMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
TestRegistryLedger = RegistryMachine.TestCase
