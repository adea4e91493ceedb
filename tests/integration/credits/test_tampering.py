"""On both backends: a raw SQL change to any stored credit fact is caught by ``verify``.

Each case edits one column of one table behind the ledger, as someone with write access to
the database could, and ``verify`` must name the table (or journal entry) that no longer
agrees with the journal. A redirected pending transfer is also refused before delivery. A
chain rewritten and re-hashed from some entry on verifies by itself, but not against a
checkpoint saved before.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select, text

from c3p.accounts.rules.policy import Actor
from c3p.credits import checkpoints, facts, representatives, service
from c3p.credits import tables as credit_tables
from c3p.credits.tables import PendingTransfer, TransferProposal
from c3p.credits.verify import RECOMPUTED, verify
from c3p.db.base import Base
from c3p.errors import Conflict
from c3p.workflow.service import jcm
from tests.support.accounts import create_user
from tests.support.credits import OPERATOR, PROJECT, Registry, create_issuance, name_representative
from tests.support.tampering import reseal_from, unlock_journal


@dataclass
class Scene:
    """An issuance into both registries (authorized, so Japan's share is first-transferred),
    a transfer inside Viet Nam's registry and one to Japan's, still pending; then Viet Nam asks
    for a second representative above 50 credits, a transfer of 60 waits for one and one of 70
    was refused; Viet Nam's participant account has two representatives, one of them removed;
    Japan's registry has an administrator, Viet Nam's Joint Committee a member, acme a TPE
    user and a reviewer; the JCM project is registered (serial code VN007) with its TPE assigned."""

    registry: Registry
    pending_key: str
    transfer_seq: int
    proposal_key: str


def build(registry: Registry) -> Scene:
    create_issuance(registry, {registry.jp_gov: 600, registry.vn_pp: 400}, authorized=True)
    with registry.database.unit_of_work() as session:
        inside = service.transfer(session, OPERATOR, registry.vn_pp, registry.vn_gov, 10)
    with registry.database.unit_of_work() as session:
        pending = service.transfer(session, OPERATOR, registry.vn_pp, registry.jp_pp, 100)
    with registry.database.unit_of_work() as session:
        service.configure_registry(session, OPERATOR, "VNM", 50)
        proposed = service.transfer(session, OPERATOR, registry.vn_pp, registry.vn_gov, 60)
        refused = service.transfer(session, OPERATOR, registry.vn_pp, registry.vn_gov, 70)
    with registry.database.unit_of_work() as session:
        service.decide_transfer(session, Actor.operator("second"), refused.key, False)
    assert proposed.status == "awaiting_approval"
    for email in ("rep@acme-vn.example", "gone@acme-vn.example"):
        create_user(registry.database, email, organization="acme-vn")
        name_representative(registry.database, registry.vn_pp, email)
    with registry.database.unit_of_work() as session:
        representatives.remove_representative(session, OPERATOR, registry.vn_pp, "gone@acme-vn.example")
    for email, role in CREDIT_ROLE_HOLDERS.items():
        create_user(registry.database, email, *role)
    return Scene(registry, pending.key, inside.seq, proposed.key)


def tamper(scene: Scene, sql: str, **params: object) -> None:
    with scene.registry.database.engine.begin() as connection:
        unlock_journal(connection)
        values = {"pending": scene.pending_key, "proposal": scene.proposal_key, "seq": scene.transfer_seq}
        connection.execute(text(sql), {**values, **params})


ACCOUNT = "(SELECT id FROM credit_accounts WHERE number = :number)"
#: users holding the credit roles sealed besides representatives (scopes: JPN, VNM, acme), and one who does not
CREDIT_ROLE_HOLDERS = {
    "admin@moej.example": ("registry_administrator",),
    "jc@moej.example": ("joint_committee_member",),
    "tpe@acme.example": ("tpe",),
    "reviewer@acme.example": ("reviewer",),
}
NEWEST_USER = "(SELECT MAX(id) FROM users)"


def added_grant(role: str, scope_kind: str, scope: str) -> str:
    """SQL that grants ``role`` to the newest user behind the registry."""
    return (
        "INSERT INTO role_grants (user_id, role, scope_kind, scope_value, granted_at, granted_by, approved_by, "
        f"approved_at, refused_by, refusal_reason) SELECT MAX(id), '{role}', '{scope_kind}', '{scope}', "
        "CURRENT_TIMESTAMP, 'x', 'x', CURRENT_TIMESTAMP, '', '' FROM users"
    )


def credit_role_cases() -> dict[str, tuple[str, str]]:
    """Each credit role granted, moved, given to someone else or removed behind the registry."""
    cases = {}
    for role, (kind, other) in {  # the other scope than the one granted in the scene
        "registry_administrator": ("country", "VNM"),
        "joint_committee_member": ("country", "JPN"),
        "tpe": ("organization", "acme-vn"),
    }.items():
        which = f"WHERE role = '{role}'"
        cases |= {
            f"{role} added": (added_grant(role, kind, other), "role_grants"),
            f"{role} moved": (f"UPDATE role_grants SET scope_value = '{other}' {which}", "role_grants"),
            f"{role} given to another": (f"UPDATE role_grants SET user_id = {NEWEST_USER} {which}", "role_grants"),
            f"{role} removed": (f"DELETE FROM role_grants {which}", "role_grants"),
            f"reviewer made {role}": (
                f"UPDATE role_grants SET role = '{role}', scope_kind = '{kind}', scope_value = '{other}' "
                "WHERE role = 'reviewer'",
                "role_grants",
            ),
        }
    return cases


#: (what is changed, SQL, what the report must name)
CASES: dict[str, tuple[str, str]] = {
    "journal credits": ("UPDATE credit_journal SET credits = credits + 1 WHERE seq = :seq", "column credits"),
    "journal kind": ("UPDATE credit_journal SET kind = 'retirement' WHERE seq = :seq", "column kind"),
    "journal key": ("UPDATE credit_journal SET key = 'k' WHERE seq = :seq", "column key"),
    "journal time": (
        "UPDATE credit_journal SET occurred_at = occurred_at - INTERVAL '1 day' WHERE seq = :seq",
        "column time",
    ),
    "block holder": (
        f"UPDATE credit_blocks SET account_id = {ACCOUNT} WHERE start_serial = 1 AND registry = 'VNM'",
        "blocks differ",
    ),
    "balance": (f"UPDATE credit_accounts SET balance = balance + 5 WHERE id = {ACCOUNT}", "balance"),
    "account holder": (
        f"UPDATE credit_accounts SET holder_id = (SELECT MAX(id) FROM member_organizations) WHERE id = {ACCOUNT}",
        "credit_accounts",
    ),
    "account name": (f"UPDATE credit_accounts SET name = 'Mallory' WHERE id = {ACCOUNT}", "credit_accounts"),
    "registry counter": ("UPDATE credit_registries SET next_unit = 1 WHERE code = 'VNM'", "registry VNM"),
    "registry name": ("UPDATE credit_registries SET name_en = 'x' WHERE code = 'JPN'", "credit_registries"),
    "pending receiver": (
        f"UPDATE credit_pending_transfers SET to_account_id = {ACCOUNT} WHERE key = :pending",
        "pending transfer",
    ),
    "pending credits": ("UPDATE credit_pending_transfers SET credits = 99 WHERE key = :pending", "pending transfer"),
    "pending status": (
        "UPDATE credit_pending_transfers SET status = 'rejected' WHERE key = :pending",
        "pending transfer",
    ),
    "proposal receiver": (
        f"UPDATE credit_transfer_proposals SET to_account_id = {ACCOUNT} WHERE key = :proposal",
        "proposed transfer",
    ),
    "proposal credits": ("UPDATE credit_transfer_proposals SET credits = 5 WHERE key = :proposal", "proposed transfer"),
    "proposal proposer": (
        "UPDATE credit_transfer_proposals SET proposed_by = 'mallory' WHERE key = :proposal",
        "proposed transfer",
    ),
    "proposal status": (
        "UPDATE credit_transfer_proposals SET status = 'refused' WHERE key = :proposal",
        "proposed transfer",
    ),
    "proposal removed": ("DELETE FROM credit_transfer_proposals", "proposed transfer"),
    "proposal approver": (
        "UPDATE credit_transfer_proposals SET resolved_by = 'mallory' WHERE status = 'refused'",
        "proposed transfer",
    ),
    "proposal decision": (
        "UPDATE credit_transfer_proposals SET status = 'approved' WHERE status = 'refused'",
        "proposed transfer",
    ),
    "representative moved": (
        "UPDATE role_grants SET scope_value = :number WHERE role = 'account_representative'",
        "role_grants",
    ),
    "representative replaced": (
        "UPDATE role_grants SET user_id = (SELECT MAX(id) FROM users) WHERE role = 'account_representative'",
        "role_grants",
    ),
    "representative named by": (
        "UPDATE role_grants SET granted_by = 'registry-admin' WHERE role = 'account_representative'",
        "role_grants",
    ),
    "representative added": (
        "INSERT INTO role_grants (user_id, role, scope_kind, scope_value, granted_at, granted_by, approved_by, "
        "approved_at, refused_by, refusal_reason) SELECT MAX(id), 'account_representative', 'account', "
        ":number, CURRENT_TIMESTAMP, 'x', 'x', CURRENT_TIMESTAMP, '', '' FROM users",
        "role_grants",
    ),
    "representative removed": ("DELETE FROM role_grants WHERE role = 'account_representative'", "role_grants"),
    "representative role changed": (
        "UPDATE role_grants SET role = 'registry_administrator' WHERE role = 'account_representative'",
        "role_grants",
    ),
    "approval threshold": (
        "UPDATE credit_registries SET approval_threshold_credits = NULL WHERE code = 'VNM'",
        "credit_registries",
    ),
    "adjustment credits": ("UPDATE corresponding_adjustments SET credits = credits - 1", "corresponding adjustments"),
    "adjustment removed": ("DELETE FROM corresponding_adjustments", "corresponding adjustments"),
    "adjustment added": (
        "INSERT INTO corresponding_adjustments (country, year, kind, credits, journal_seq) "
        "VALUES ('VNM', 2026, 'first_transfer', 5, :seq)",
        "corresponding adjustments",
    ),
    "issuance credits": ("UPDATE credit_issuances SET credits = credits * 2", "credit_issuances"),
    "issuance authorization": (
        "UPDATE credit_issuances SET authorization_status = 'not_authorized'",
        "credit_issuances",
    ),
    "authorization purposes": ("""UPDATE credit_authorizations SET purposes = '["ndc"]'""", "authorizations"),
    "authorization entities": ("""UPDATE credit_authorizations SET entities = '["acme-jp"]'""", "authorizations"),
    "authorization range": ("UPDATE credit_authorizations SET end_serial = end_serial - 1", "authorizations"),
    "authorization version": ("UPDATE credit_authorizations SET version = 2", "authorizations"),
    "authorization definition": (
        "UPDATE credit_authorizations SET first_transfer = 'first_international_transfer'",
        "authorizations",
    ),
    "authorization decision": ("UPDATE credit_authorizations SET decision_ref = 'forged'", "authorizations"),
    "authorization removed": ("DELETE FROM credit_authorizations WHERE registry = 'VNM'", "authorizations"),
    "issuance project": ("UPDATE credit_issuances SET project = 'other'", "credit_issuances"),
    "report reductions": (
        "UPDATE monitoring_reports SET emission_reductions_tco2 = emission_reductions_tco2 * 2",
        "monitoring_reports",
    ),
    "report verifier": ("UPDATE monitoring_reports SET verified_by = 'mallory'", "monitoring_reports"),
    "report period": ("UPDATE monitoring_reports SET period_number = 7", "monitoring_reports"),
    "report status": ("UPDATE monitoring_reports SET status = 'verified'", "monitoring_reports"),
    "checkpoint hash": (f"UPDATE credit_checkpoints SET head_hash = '{'1' * 64}'", "checkpoint"),
    "jcm serial code": ("UPDATE jcm_projects SET serial_code = 'VN999' WHERE slug = 'vn-007'", "jcm_projects"),
    "jcm serial code removed": (
        "UPDATE jcm_projects SET serial_code = NULL, verifier_slug = NULL WHERE slug = 'vn-007'",
        "jcm_projects",
    ),
    "jcm assigned tpe": ("UPDATE jcm_projects SET verifier_slug = 'acme' WHERE slug = 'vn-007'", "jcm_projects"),
    "jcm country": ("UPDATE jcm_projects SET country_iso3 = 'JPN' WHERE slug = 'vn-007'", "jcm_projects"),
    **credit_role_cases(),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_verify_catches_tampering_with(registry: Registry, case: str) -> None:
    scene = build(registry)
    with registry.database.reading() as session:
        assert verify(session).ok
    sql, named = CASES[case]
    if "INTERVAL" in sql and registry.database.engine.dialect.name == "sqlite":
        sql = "UPDATE credit_journal SET occurred_at = '2001-01-01 00:00:00.000000' WHERE seq = :seq"
    tamper(scene, sql, number=registry.jp_gov)
    with registry.database.reading() as session:
        report = verify(session)
    assert not report.ok
    assert any(named in problem.what for problem in report.problems), report.problems
    if case.startswith("journal"):
        assert report.first_bad_entry == scene.transfer_seq


def test_what_is_not_a_credit_fact_stays_free_to_change(registry: Registry) -> None:
    """A JCM project still in the pipeline, a registered one's title, other roles: no seal, no problem."""
    scene = build(registry)
    with registry.database.unit_of_work() as session:
        jcm.create_jcm_project(session, OPERATOR, jcm.NewJcmProject(slug="vn-008", country_iso3="VNM"))
        jcm.jcm_by_slug(session, PROJECT).title_en = "renamed"
    tamper(scene, "UPDATE jcm_projects SET title_en = 'edited', state = 'idea'")
    tamper(scene, "UPDATE role_grants SET scope_value = '2024-1' WHERE role = 'reviewer'")
    with registry.database.reading() as session:
        report = verify(session)
    assert report.ok, report.problems


def test_a_redirected_pending_transfer_is_not_delivered(registry: Registry) -> None:
    scene = build(registry)
    tamper(
        scene,
        f"UPDATE credit_pending_transfers SET to_account_id = {ACCOUNT} WHERE key = :pending",
        number=registry.jp_gov,
    )
    with registry.database.reading() as session:
        before = session.scalar(select(PendingTransfer.status).where(PendingTransfer.key == scene.pending_key))
    with pytest.raises(Conflict, match="does not match the journal entry"), registry.database.unit_of_work() as s:
        service.resolve_pending(s, OPERATOR, scene.pending_key, accept=True)
    with registry.database.reading() as session:
        after = session.scalar(select(PendingTransfer.status).where(PendingTransfer.key == scene.pending_key))
        balances = {n: b for n, b in session.execute(text("SELECT number, balance FROM credit_accounts"))}
    assert before == after == "pending"
    assert balances[registry.jp_gov] == 600 and balances[registry.jp_pp] == 0


def test_a_redirected_proposal_is_not_approved(registry: Registry) -> None:
    scene = build(registry)
    tamper(
        scene,
        f"UPDATE credit_transfer_proposals SET to_account_id = {ACCOUNT} WHERE key = :proposal",
        number=registry.vn_pp,
    )
    with registry.database.reading() as session:
        before = session.execute(text("SELECT number, balance FROM credit_accounts ORDER BY number")).all()
    second = Actor.operator("second")
    with pytest.raises(Conflict, match="does not match the journal entry"), registry.database.unit_of_work() as s:
        service.decide_transfer(s, second, scene.proposal_key, True)
    with registry.database.reading() as session:
        status = session.scalar(select(TransferProposal.status).where(TransferProposal.key == scene.proposal_key))
        after = session.execute(text("SELECT number, balance FROM credit_accounts ORDER BY number")).all()
    assert status == "proposed" and after == before


def test_a_resealed_chain_is_caught_by_a_checkpoint_saved_before(registry: Registry) -> None:
    scene = build(registry)
    with registry.database.unit_of_work() as session:
        saved = checkpoints.sign_head(session)
    assert checkpoints.parse(saved.model_dump()) is not None
    reseal_from(registry.database, scene.transfer_seq, lambda entry: entry.update(actor="mallory"))
    with registry.database.reading() as session:
        alone = verify(session)
        against = checkpoints.verify_extends(session, alone, checkpoints.parse(saved.model_dump()))
    assert alone.ok, alone.problems  # re-sealed: the chain itself is consistent again
    assert not against.ok
    assert "rewritten" in against.problems[-1].what and against.problems[-1].seq == saved.head_seq


def test_a_checkpoint_with_a_forged_signature_is_refused(registry: Registry) -> None:
    build(registry)
    with registry.database.unit_of_work() as session:
        saved = checkpoints.sign_head(session).model_dump()
    forged = {**saved, "head_seq": saved["head_seq"] - 1}
    with registry.database.reading() as session:
        report = checkpoints.verify_extends(session, verify(session), checkpoints.parse(forged))
    assert not report.ok and "signature" in report.problems[-1].what


def test_every_credit_table_is_under_verify() -> None:
    """A new credit fact table must be declared: sealed (facts.SEALED) or recomputed (verify.RECOMPUTED)."""
    chained = {"credit_journal", "credit_journal_head"}
    covered = chained | set(RECOMPUTED) | {sealed.name for sealed in facts.SEALED}
    credit = {
        mapper.class_.__tablename__
        for mapper in Base.registry.mappers
        if mapper.class_.__module__ == credit_tables.__name__
    }
    assert credit - covered == set()


def test_an_entry_whose_content_is_not_text_is_named(registry: Registry) -> None:
    if registry.database.engine.dialect.name == "postgresql":
        pytest.skip("a text column holds only text")
    create_issuance(registry, {registry.jp_gov: 10})
    with registry.database.engine.begin() as connection:
        unlock_journal(connection)  # SQLite keeps bytes in a text column: a file edited by hand
        seq = connection.scalar(text("SELECT max(seq) FROM credit_journal"))
        connection.execute(text("UPDATE credit_journal SET entry = X'7B7D' WHERE seq = :seq"), {"seq": seq})
    with registry.database.reading() as session:
        report = verify(session)
    assert report.first_bad_entry == seq
    assert "its content is not text" in report.problems[0].what, report.problems
