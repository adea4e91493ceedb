"""Accounts on the database side: organizations, users, role grants; each change asks the policy.

Services take the acting :class:`~c3p.accounts.rules.policy.Actor`, ask the policy with the real
target (so scoped roles are checked against the record), then flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from c3p.accounts.rules import passwords, roles
from c3p.accounts.rules.policy import Actor, Grant, Target, require
from c3p.accounts.schemas import GrantView, OrganizationView, UserView, WaitingGrantView
from c3p.accounts.tables import MemberOrganization, RoleGrant, User, UserSession
from c3p.credits.tables import CreditAccount
from c3p.errors import Conflict, Forbidden, InvalidInput, NotFound
from c3p.messages import N_, Message

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
ORGANIZATION_KINDS = (
    "ministry",
    "secretariat",
    "company",
    "research_institute",
    "japanese_government",
    "partner_place",
    "tpe",
    "registry",
    "other",
)
#: kinds that say who speaks for the program, verifies or keeps a registry: an administrator's to give
OFFICIAL_KINDS = ("ministry", "secretariat", "tpe", "registry")
LANGUAGES = ("ja", "en")


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL.fullmatch(email) or len(email) > 254:
        raise InvalidInput(Message(N_("'%(email)s' is not an e-mail address"), {"email": email}), field="email")
    return email


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == email.strip().lower())).one_or_none()


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def organization_by_slug(session: Session, slug: str) -> MemberOrganization | None:
    return session.scalars(select(MemberOrganization).where(MemberOrganization.slug == slug)).one_or_none()


def organization_by_id(session: Session, organization_id: int) -> MemberOrganization | None:
    return session.get(MemberOrganization, organization_id)


def members_of(session: Session, organization_id: int) -> list[User]:
    """The accounts of one member organization, by e-mail."""
    return list(session.scalars(select(User).where(User.organization_id == organization_id).order_by(User.email)))


def grants_of(session: Session, user_id: int) -> list[RoleGrant]:
    """The roles ``user_id`` holds: approved grants only (a waiting grant confers nothing)."""
    query = select(RoleGrant).where(RoleGrant.user_id == user_id, RoleGrant.approved_at.is_not(None))
    return list(session.scalars(query.order_by(RoleGrant.id)))


def waiting_grants(session: Session) -> list[RoleGrant]:
    """Grants that wait for a second administrator's approval."""
    return list(session.scalars(select(RoleGrant).where(RoleGrant.approved_at.is_(None)).order_by(RoleGrant.id)))


def waiting_grant_views(session: Session, actor: Actor) -> list[WaitingGrantView]:
    """The waiting grants as administrators see them: whose, which role, asked for by whom."""
    require(actor, "users.grant")
    views = []
    for row in waiting_grants(session):
        user = session.get(User, row.user_id)
        views.append(
            WaitingGrantView(
                id=row.id,
                user_id=row.user_id,
                email=user.email if user else "",
                role=row.role,
                scope_kind=row.scope_kind,
                scope_value=row.scope_value,
                granted_by=row.granted_by,
                granted_at=row.granted_at,
                asked_by_you=row.granted_by == actor.label,
            )
        )
    return views


def actor_for(session: Session, user: User, token_scopes: frozenset[str] | None = None) -> Actor:
    """The policy's view of ``user``: roles and organization, limited to a token's scopes if any."""
    organization = session.get(MemberOrganization, user.organization_id)
    grants = tuple(Grant(g.role, g.scope_kind, g.scope_value) for g in grants_of(session, user.id))
    slug = organization.slug if organization else None
    return Actor(user.id, user.email, grants, slug, token_scopes)


def user_view(session: Session, user: User) -> UserView:
    organization = session.get(MemberOrganization, user.organization_id)
    return UserView(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        organization=OrganizationView.model_validate(organization),
        language=user.language,
        disabled=user.is_disabled,
        totp_enabled=user.totp_enabled,
        roles=[
            GrantView(role=g.role, scope_kind=g.scope_kind, scope_value=g.scope_value)
            for g in grants_of(session, user.id)
        ],
        created_at=user.created_at,
    )


def user_target(user: User, organization_slug: str | None = None) -> Target:
    return Target.of(owner_id=user.id, organization=organization_slug)


def list_users(session: Session, actor: Actor) -> list[User]:
    require(actor, "users.list")
    return list(session.scalars(select(User).order_by(User.email)))


def list_organizations(session: Session) -> list[MemberOrganization]:
    return list(session.scalars(select(MemberOrganization).order_by(MemberOrganization.slug)))


def create_organization(
    session: Session, actor: Actor, slug: str, name_en: str, kind: str = "other", **fields: str
) -> MemberOrganization:
    require(actor, "organizations.create")
    if not roles.SCOPE_PATTERNS["organization"].fullmatch(slug):
        refusal = N_("'%(slug)s' is not a slug: lowercase letters, digits and hyphens")
        raise InvalidInput(Message(refusal, {"slug": slug}), field="slug")
    if kind not in ORGANIZATION_KINDS:
        refusal = N_("unknown organization kind '%(kind)s'; kinds: %(kinds)s")
        raise InvalidInput(Message(refusal, {"kind": kind, "kinds": ", ".join(ORGANIZATION_KINDS)}))
    if organization_by_slug(session, slug):
        raise Conflict(Message(N_("organization %(slug)s exists already"), {"slug": slug}))
    if kind in OFFICIAL_KINDS and not _administers(actor):
        refusal = N_("only an administrator registers an organization of kind %(kind)s")
        raise Forbidden(Message(refusal, {"kind": kind}))
    organization = MemberOrganization(slug=slug, name_en=name_en or slug, kind=kind, **fields)
    session.add(organization)
    session.flush()
    return organization


EDITABLE_ORGANIZATION_FIELDS = ("name_ja", "name_en", "kind", "country_iso3", "website")
#: what says who an organization is: staff could otherwise pass for a ministry or the secretariat
OFFICIAL_ORGANIZATION_FIELDS = ("name_ja", "name_en", "kind")


def update_organization(session: Session, actor: Actor, slug: str, changes: dict[str, str]) -> MemberOrganization:
    require(actor, "organizations.update", Target.of(organization=slug))
    organization = organization_by_slug(session, slug)
    if organization is None:
        raise NotFound(Message(N_("no organization %(slug)s"), {"slug": slug}))
    unknown = set(changes) - set(EDITABLE_ORGANIZATION_FIELDS)
    if unknown:
        raise InvalidInput(Message(N_("cannot change %(fields)s"), {"fields": ", ".join(sorted(unknown))}))
    # a form sends the names back unchanged; only a real change of them needs an administrator
    official = sorted(
        name
        for name in OFFICIAL_ORGANIZATION_FIELDS
        if name in changes and changes[name].strip() != getattr(organization, name)
    )
    if official and not _administers(actor):
        refusal = N_("only an administrator can change an organization's %(fields)s")
        raise Forbidden(Message(refusal, {"fields": ", ".join(official)}))
    if "kind" in changes and changes["kind"] not in ORGANIZATION_KINDS:
        refusal = N_("unknown organization kind '%(kind)s'; kinds: %(kinds)s")
        raise InvalidInput(Message(refusal, {"kind": changes["kind"], "kinds": ", ".join(ORGANIZATION_KINDS)}))
    if "country_iso3" in changes and not roles.SCOPE_PATTERNS["country"].fullmatch(changes["country_iso3"]):
        raise InvalidInput(N_("country_iso3 must be an ISO 3166 alpha-3 code such as JPN"))
    for name, value in changes.items():
        setattr(organization, name, value.strip())
    session.flush()
    return organization


def create_user(
    session: Session,
    actor: Actor,
    email: str,
    display_name: str,
    organization: MemberOrganization,
    password: str | None,
    language: str = "ja",
) -> User:
    """A new account, in ``language``; without a password it is entered through a password reset."""
    require(actor, "users.create")
    check_language(language)
    email = normalize_email(email)
    if user_by_email(session, email):
        raise Conflict(Message(N_("a user with e-mail %(email)s exists already"), {"email": email}))
    _refuse_privileged_membership(session, actor, organization)
    if password is not None:
        passwords.check(password, email)
    user = User(
        email=email,
        display_name=display_name.strip() or email,
        organization_id=organization.id,
        password_hash=passwords.hash_password(password) if password is not None else None,
        language=language,
    )
    session.add(user)
    session.flush()
    return user


def _administers(actor: Actor) -> bool:
    return actor.system or actor.holds("administrator")


def _refuse_privileged_membership(session: Session, actor: Actor, organization: MemberOrganization) -> None:
    """Membership of a credit holder reads its accounts, of an official body speaks for it: administrators only.

    Otherwise the secretariat, which creates accounts, could make one of its own inside them.
    """
    if _administers(actor):
        return
    holds_credits = session.scalar(select(exists().where(CreditAccount.holder_id == organization.id)))
    if holds_credits or organization.kind in OFFICIAL_KINDS:
        refusal = N_("only an administrator adds people to %(organization)s: it holds credits or is an official body")
        raise Forbidden(Message(refusal, {"organization": organization.slug}))


def grant(session: Session, actor: Actor, user: User, role: str, scope_value: str | None = None) -> RoleGrant:
    """Grant ``role``; a role that needs approval waits until a second administrator grants it too.

    The operator on the server (CLI, seed) grants at once. Nobody grants a role to themselves,
    and roles kept apart by separation of duties are refused to the holder of the other one.
    """
    require(actor, "users.grant")
    _refuse_named_by_registry(actor, role)
    _refuse_own_account(actor, user)
    kind, value = roles.check_grant(role, scope_value)
    row = _grant_row(session, user, role, kind, value)
    if row is not None and row.approved_at is None:
        return approve(session, actor, row.id)
    if row is not None:
        refusal = N_("%(email)s already holds %(grant)s")
        raise Conflict(Message(refusal, {"email": user.email, "grant": str(Grant(role, kind, value))}))
    held = set(session.scalars(select(RoleGrant.role).where(RoleGrant.user_id == user.id)))
    roles.check_compatible(role, held)
    row = RoleGrant(user_id=user.id, role=role, scope_kind=kind, scope_value=value, granted_by=actor.label)
    if role not in roles.NEEDS_APPROVAL or actor.system:
        row.approved_by, row.approved_at = actor.label, dt.datetime.now(dt.UTC)
    session.add(row)
    session.flush()
    return row


def _approve(session: Session, actor: Actor, row: RoleGrant) -> RoleGrant:
    """The second administrator's approval of a waiting grant: never the one who asked for it."""
    if row.granted_by == actor.label and not actor.system:
        refusal = N_("the grant of %(role)s waits for another administrator's approval")
        raise Conflict(Message(refusal, {"role": row.role}))
    row.approved_by, row.approved_at = actor.label, dt.datetime.now(dt.UTC)
    session.flush()
    return row


def _refuse_named_by_registry(actor: Actor, role: str) -> None:
    """Account representatives are the registry's to name, so platform role administration refuses them."""
    if role in roles.NAMED_BY_REGISTRY and not actor.system:
        refusal = N_("only the registry administrator of the account's registry grants or revokes role %(role)s")
        raise Forbidden(Message(refusal, {"role": role}))


def waiting_grant(session: Session, grant_id: int) -> RoleGrant:
    """The grant ``grant_id`` if it still waits for approval."""
    row = session.get(RoleGrant, grant_id)
    if row is None or row.approved_at is not None:
        raise NotFound(Message(N_("no grant %(id)s waits for approval"), {"id": grant_id}))
    return row


def approve(session: Session, actor: Actor, grant_id: int) -> RoleGrant:
    """Approve a waiting grant by its id: what the approvals page and API do."""
    require(actor, "users.grant")
    row = waiting_grant(session, grant_id)
    _refuse_own_account(actor, session.get(User, row.user_id))  # type: ignore[arg-type]
    held = set(session.scalars(select(RoleGrant.role).where(RoleGrant.user_id == row.user_id, RoleGrant.id != row.id)))
    roles.check_compatible(row.role, held)
    return _approve(session, actor, row)


REASON_MAX_CHARS = 500


def refuse(session: Session, actor: Actor, grant_id: int, reason: str) -> RoleGrant:
    """Refuse a waiting grant: a second administrator's decision, with a reason, kept in the history.

    The refusal is written on the grant, then the grant is deleted: both steps are in its history,
    and the same role can be asked for again. Whoever asked for it withdraws it by revoking it.
    """
    require(actor, "users.grant")
    row = waiting_grant(session, grant_id)
    _refuse_own_account(actor, session.get(User, row.user_id))  # type: ignore[arg-type]
    if row.granted_by == actor.label and not actor.system:
        raise Conflict(N_("you asked for this grant: withdraw it instead of refusing it"))
    reason = reason.strip()
    if not reason or len(reason) > REASON_MAX_CHARS:
        refusal = N_("give the reason for the refusal (1 to %(max)s characters)")
        raise InvalidInput(Message(refusal, {"max": REASON_MAX_CHARS}), field="reason")
    row.refused_by, row.refusal_reason = actor.label, reason
    session.flush()
    session.delete(row)
    session.flush()
    return row


def withdraw(session: Session, actor: Actor, grant_id: int) -> None:
    """Withdraw a waiting grant one asked for; another administrator's is refused, with a reason."""
    require(actor, "users.revoke")
    row = waiting_grant(session, grant_id)
    if row.granted_by != actor.label and not actor.system:
        raise Conflict(N_("only who asked for a grant withdraws it; refuse it with a reason instead"))
    session.delete(row)
    session.flush()


def _refuse_own_account(actor: Actor, user: User) -> None:
    if actor.user_id is not None and actor.user_id == user.id:
        raise Forbidden(N_("you cannot grant or revoke roles of your own account"))


def _grant_row(session: Session, user: User, role: str, kind: str, value: str) -> RoleGrant | None:
    return session.scalars(
        select(RoleGrant).where(
            RoleGrant.user_id == user.id,
            RoleGrant.role == role,
            RoleGrant.scope_kind == kind,
            RoleGrant.scope_value == value,
        )
    ).one_or_none()


def revoke(session: Session, actor: Actor, user: User, role: str, scope_value: str | None = None) -> None:
    """Revoke a role, or withdraw a grant still waiting for approval."""
    require(actor, "users.revoke")
    _refuse_named_by_registry(actor, role)
    _refuse_own_account(actor, user)
    kind, value = roles.check_grant(role, scope_value)
    row = _grant_row(session, user, role, kind, value)
    if row is None:
        refusal = N_("%(email)s does not hold %(grant)s")
        raise NotFound(Message(refusal, {"email": user.email, "grant": str(Grant(role, kind, value))}))
    if role == "administrator" and row.approved_at is not None and _administrators(session) <= 1:
        raise Conflict(N_("this is the last administrator; grant the role to someone else first"))
    session.delete(row)
    session.flush()


def set_disabled(session: Session, actor: Actor, user: User, disabled: bool) -> None:
    """Disable (or re-enable) an account; disabling ends every session at once."""
    require(actor, "users.disable", user_target(user))
    if disabled and actor.user_id == user.id:
        raise Conflict(N_("you cannot disable your own account"))
    user.is_disabled = disabled
    if disabled:
        session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    session.flush()


def check_language(language: str) -> None:
    if language not in LANGUAGES:
        refusal = Message(N_("language must be one of %(languages)s"), {"languages": ", ".join(LANGUAGES)})
        raise InvalidInput(refusal, field="language")


def set_language(session: Session, actor: Actor, user: User, language: str) -> None:
    require(actor, "users.update", user_target(user))
    check_language(language)
    user.language = language
    session.flush()


def _administrators(session: Session) -> int:
    query = (
        select(func.count())
        .select_from(RoleGrant)
        .join(User)
        .where(RoleGrant.role == "administrator", RoleGrant.approved_at.is_not(None), User.is_disabled.is_(False))
    )
    return int(session.scalar(query) or 0)


def ensure_first_administrator(session: Session, email: str, password: str) -> User | None:
    """Create the first administrator (organization ``secretariat``) unless one exists; return it."""
    if _administrators(session):
        return None
    operator = Actor.operator()
    organization = organization_by_slug(session, "secretariat") or create_organization(
        session, operator, "secretariat", "Program secretariat", "secretariat", name_ja="事務局"
    )
    user = user_by_email(session, email) or create_user(session, operator, email, email, organization, password)
    grant(session, operator, user, "administrator")
    return user
