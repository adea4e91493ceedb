"""On both backends: the history records every change in the same transaction, cannot be
edited, keeps secrets out; sign-in, lockout, reset and tokens refuse bad input and record it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, func, select, text, update

from c3p.accounts.rules.policy import Actor
from c3p.accounts.service import api_tokens, signin
from c3p.accounts.service import members as svc
from c3p.accounts.tables import ApiToken, MemberOrganization, RoleGrant, SecurityEvent, User
from c3p.db.database import Database
from c3p.db.history import REDACTED, act_as, entries_for
from c3p.db.history_table import HistoryEntry
from c3p.errors import Forbidden, InvalidInput, Unauthenticated
from c3p.settings import Settings
from tests.support.accounts import PASSWORD, create_token, create_user


@pytest.fixture
def settings(tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(data_dir=tmp_path, sign_in_max_failures=3)


def test_changes_are_recorded_with_actor_fields_and_secrets_redacted(accounts_database: Database) -> None:
    user_id = create_user(accounts_database, "tanaka@example.org", "proposer")
    with accounts_database.unit_of_work() as session:
        act_as(session, user_id, "tanaka@example.org")
        svc.set_language(session, Actor(user_id, "tanaka@example.org"), session.get(User, user_id), "en")  # type: ignore[arg-type]
    with accounts_database.reading() as session:
        update_entry, insert_entry = entries_for(session, "users", str(user_id))
    assert update_entry.operation == "update" and update_entry.actor == "tanaka@example.org"
    assert update_entry.changes == {"language": ["ja", "en"]}
    assert insert_entry.actor == "system"
    assert insert_entry.changes["password_hash"] == [None, REDACTED]
    assert insert_entry.changes["email"] == [None, "tanaka@example.org"]


def test_a_rolled_back_change_leaves_no_history(accounts_database: Database) -> None:
    create_user(accounts_database, "sato@example.org")
    with accounts_database.reading() as session:
        before = session.scalar(select(func.count()).select_from(HistoryEntry))
    with pytest.raises(RuntimeError), accounts_database.unit_of_work() as session:
        session.scalars(select(MemberOrganization)).one().name_en = "Changed"
        session.flush()
        raise RuntimeError("the request failed")
    with accounts_database.reading() as session:
        assert session.scalar(select(func.count()).select_from(HistoryEntry)) == before


def test_deletes_and_bulk_deletes_are_recorded(accounts_database: Database) -> None:
    user_id = create_user(accounts_database, "ito@example.org", "reviewer", "secretariat")
    with accounts_database.unit_of_work() as session:
        svc.revoke(session, Actor.operator(), session.get(User, user_id), "secretariat")  # type: ignore[arg-type]
        session.execute(delete(RoleGrant).where(RoleGrant.role == "reviewer"))
    with accounts_database.reading() as session:
        deletes = session.scalars(select(HistoryEntry).where(HistoryEntry.operation == "delete")).all()
        assert sorted((d.table_name, d.changes["role"][0]) for d in deletes) == [
            ("role_grants", "reviewer"),
            ("role_grants", "secretariat"),
        ]


def test_bulk_updates_are_recorded_row_by_row_with_before_and_after(accounts_database: Database) -> None:
    first = create_user(accounts_database, "sato@example.org")
    second = create_user(accounts_database, "abe@example.org")
    with accounts_database.unit_of_work() as session:
        changed = session.execute(
            update(User)
            .where(User.id.in_([first, second]))
            .values(language="en", password_hash="new secret", totp_last_step=7)
        )
        assert changed.rowcount == 2  # type: ignore[attr-defined]
    with accounts_database.reading() as session:
        updates = session.scalars(
            select(HistoryEntry).where(HistoryEntry.operation == "update", HistoryEntry.table_name == "users")
        ).all()
        assert sorted(int(u.record_key) for u in updates) == sorted([first, second])
        for entry in updates:
            assert entry.changes["language"] == ["ja", "en"]
            assert entry.changes["password_hash"] == [REDACTED, REDACTED]
            assert "email" not in entry.changes  # unchanged columns are left out
            assert "totp_last_step" not in entry.changes  # bookkeeping, marked history: False


def test_history_is_append_only_in_the_database(accounts_database: Database) -> None:
    create_user(accounts_database, "kato@example.org")
    for statement in (update(HistoryEntry).values(actor="someone else"), delete(HistoryEntry)):
        with pytest.raises(Exception, match="append-only"), accounts_database.engine.begin() as connection:
            connection.execute(statement)
    with accounts_database.engine.connect() as connection:
        assert connection.execute(text("select count(*) from history where actor = 'someone else'")).scalar() == 0


def _sign_in(database: Database, settings: Settings, email: str, password: str, code: str = ""):  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        return signin.sign_in(session, settings, email, password, code, "192.0.2.1")


def test_wrong_password_then_lockout_are_refused_and_recorded(accounts_database: Database, settings: Settings) -> None:
    create_user(accounts_database, "mori@example.org")
    for _ in range(3):
        outcome = _sign_in(accounts_database, settings, "mori@example.org", "not the password!")
        assert outcome.user is None and outcome.error.status == 401  # type: ignore[union-attr]
    locked = _sign_in(accounts_database, settings, "mori@example.org", PASSWORD)
    assert locked.user is None and locked.error.status == 429 and "locked" in locked.error.detail  # type: ignore[union-attr]
    with accounts_database.reading() as session:
        kinds = session.scalars(select(SecurityEvent.kind).where(SecurityEvent.email == "mori@example.org")).all()
    assert sorted(kinds) == ["sign_in.failed"] * 3 + ["sign_in.locked"]


def test_disabled_account_cannot_sign_in_or_use_tokens(accounts_database: Database, settings: Settings) -> None:
    user_id = create_user(accounts_database, "abe@example.org")
    token = create_token(accounts_database, "abe@example.org", "users.read")
    with accounts_database.unit_of_work() as session:
        svc.set_disabled(session, Actor.operator(), session.get(User, user_id), True)  # type: ignore[arg-type]
    outcome = _sign_in(accounts_database, settings, "abe@example.org", PASSWORD)
    assert "disabled" in outcome.error.detail  # type: ignore[union-attr]
    with pytest.raises(Unauthenticated, match="disabled"), accounts_database.reading() as session:
        api_tokens.token_actor(session, token)


def test_expired_revoked_and_forged_tokens_are_refused(accounts_database: Database) -> None:
    create_user(accounts_database, "ueda@example.org")
    token = create_token(accounts_database, "ueda@example.org", "users.read")
    with accounts_database.reading() as session:
        assert api_tokens.token_actor(session, token).label == "ueda@example.org"
        with pytest.raises(Unauthenticated, match="not recognized"):
            api_tokens.token_actor(session, token[:-1] + ("A" if token[-1] != "A" else "B"))
    with accounts_database.unit_of_work() as session:
        session.execute(update(ApiToken).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    with pytest.raises(Unauthenticated, match="expired"), accounts_database.reading() as session:
        api_tokens.token_actor(session, token)
    with accounts_database.unit_of_work() as session:
        api_tokens.revoke_token(session, Actor.operator(), session.scalars(select(ApiToken.id)).one())
    with pytest.raises(Unauthenticated, match="revoked"), accounts_database.reading() as session:
        api_tokens.token_actor(session, token)


def test_password_reset_is_single_use_and_ends_sessions(accounts_database: Database, settings: Settings) -> None:
    create_user(accounts_database, "oda@example.org")
    with accounts_database.unit_of_work() as session:
        user, secret = signin.create_password_reset(session, settings, "oda@example.org")  # type: ignore[misc]
        session_secret = signin.start_session(session, settings, user, "")
        assert signin.create_password_reset(session, settings, "nobody@example.org") is None
    with pytest.raises(InvalidInput, match="12 characters"), accounts_database.unit_of_work() as session:
        signin.reset_password(session, secret, "short")
    with accounts_database.unit_of_work() as session:
        signin.reset_password(session, secret, "a brand new passphrase")
    with pytest.raises(InvalidInput, match="invalid, used or expired"), accounts_database.unit_of_work() as session:
        signin.reset_password(session, secret, "another new passphrase")
    with accounts_database.reading() as session:
        assert signin.session_user(session, session_secret) is None
    assert _sign_in(accounts_database, settings, "oda@example.org", "a brand new passphrase").user is not None


def test_totp_second_factor(accounts_database: Database, settings: Settings) -> None:
    import pyotp

    user_id = create_user(accounts_database, "admin@example.org", "administrator")
    with accounts_database.unit_of_work() as session:
        user = session.get(User, user_id)
        key = signin.begin_totp(session, user)  # type: ignore[arg-type]
        signin.confirm_totp(session, user, pyotp.TOTP(key).now())  # type: ignore[arg-type]
    assert "6-digit code" in _sign_in(accounts_database, settings, "admin@example.org", PASSWORD).error.detail  # type: ignore[union-attr]
    code = pyotp.TOTP(key).at(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30))
    assert _sign_in(accounts_database, settings, "admin@example.org", PASSWORD, code).user is not None
    replayed = _sign_in(accounts_database, settings, "admin@example.org", PASSWORD, code)
    assert replayed.user is None  # a code works once


def test_scoped_staff_edit_only_their_organization(accounts_database: Database) -> None:
    create_user(accounts_database, "staff@example.org", "proposer")
    create_user(accounts_database, "other@example.org", organization="other-co")
    with accounts_database.reading() as session:
        actor = svc.actor_for(session, svc.user_by_email(session, "staff@example.org"))  # type: ignore[arg-type]
    with accounts_database.unit_of_work() as session:
        svc.update_organization(session, actor, "acme", {"website": "https://acme.example"})
    with pytest.raises(Forbidden, match="does not cover organization other-co"), accounts_database.unit_of_work() as s:
        svc.update_organization(s, actor, "other-co", {"website": "https://evil.example"})
    with accounts_database.reading() as session:
        assert svc.organization_by_slug(session, "other-co").website == ""  # type: ignore[union-attr]


def test_first_administrator_is_created_once(accounts_database: Database) -> None:
    with accounts_database.unit_of_work() as session:
        assert svc.ensure_first_administrator(session, "root@example.org", PASSWORD) is not None
        assert svc.ensure_first_administrator(session, "second@example.org", PASSWORD) is None
    with accounts_database.reading() as session:
        assert [u.email for u in svc.list_users(session, Actor.operator())] == ["root@example.org"]
