"""The representatives of a holding account: the only people who move its credits.

A representative holds the role ``account_representative`` scoped to one account number.
Only the registry administrators of the account's registry name or remove one, never the
platform's administrators, the secretariat or the holder's own members, and nobody names
themselves. Membership of the holder organization gives read access, never control. The
grants are role grants like any other, so the change history records who named whom.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, Target, require
from c3p.accounts.rules.roles import check_compatible
from c3p.accounts.tables import MemberOrganization, RoleGrant, User
from c3p.credits.rules.access import account_target
from c3p.credits.rules.holding_accounts import NO_ACCOUNT, AccountKind, AccountStatus
from c3p.credits.schemas import RepresentativeView
from c3p.credits.tables import CreditAccount
from c3p.errors import Conflict, Forbidden, InvalidInput, NotFound
from c3p.messages import N_, Message

ROLE = "account_representative"


def _account(session: Session, number: str) -> CreditAccount:
    found = session.scalars(select(CreditAccount).where(CreditAccount.number == number)).first()
    if found is None:
        raise NotFound(Message(NO_ACCOUNT, {"number": number}), field="account")
    return found


def _user(session: Session, email: str) -> User:
    found = session.scalars(select(User).where(User.email == email.strip().lower())).first()
    if found is None:
        raise NotFound(Message(N_("no user %(email)s"), {"email": email}), field="email")
    return found


def _grants(session: Session, number: str) -> list[tuple[RoleGrant, User, str]]:
    query = (
        select(RoleGrant, User, MemberOrganization.slug)
        .join(User, User.id == RoleGrant.user_id)
        .join(MemberOrganization, MemberOrganization.id == User.organization_id)
        .where(RoleGrant.role == ROLE, RoleGrant.scope_kind == "account", RoleGrant.scope_value == number)
        .order_by(User.email)
    )
    return [(grant, user, slug) for grant, user, slug in session.execute(query).all()]


def _view(number: str, grant: RoleGrant, user: User, organization: str) -> RepresentativeView:
    return RepresentativeView(
        account=number,
        email=user.email,
        name=user.display_name,
        organization=organization,
        named_by=grant.granted_by,
        named_at=grant.granted_at,
    )


def representatives(session: Session, actor: Actor, number: str) -> list[RepresentativeView]:
    """Who may move the account's credits; whoever may read the account may see it."""
    account = _account(session, number)
    holder = session.get(MemberOrganization, account.holder_id) if account.holder_id else None
    require(actor, "credits.read", account_target(actor, account.registry_code, holder.slug if holder else "", number))
    return [_view(number, *found) for found in _grants(session, number) if not found[1].is_disabled]


def name_representative(session: Session, actor: Actor, number: str, email: str) -> RepresentativeView:
    """Name ``email`` a representative of holding account ``number`` (its registry's administrators only)."""
    account = _account(session, number)
    require(actor, "credits.representative.manage", Target.of(country=account.registry_code))
    if not AccountKind(account.kind).holding:
        refusal = N_("account %(number)s is one of the registry's own accounts; it has no representatives")
        raise InvalidInput(Message(refusal, {"number": number}), field="account")
    if account.status == AccountStatus.closed:
        raise Conflict(Message(N_("account %(number)s is closed"), {"number": number}))
    user = _user(session, email)
    if actor.user_id == user.id:
        raise Forbidden(N_("you cannot name yourself a representative of an account"))
    if user.is_disabled:
        raise Conflict(Message(N_("the account of %(email)s is disabled"), {"email": user.email}), field="email")
    held = {grant.role for grant in session.scalars(select(RoleGrant).where(RoleGrant.user_id == user.id))}
    if any(grant.user_id == user.id for grant, _u, _o in _grants(session, number)):
        refusal = N_("%(email)s already represents account %(number)s")
        raise Conflict(Message(refusal, {"email": user.email, "number": number}), field="email")
    check_compatible(ROLE, held)
    now = dt.datetime.now(dt.UTC)
    grant = RoleGrant(user_id=user.id, role=ROLE, scope_kind="account", scope_value=number, granted_by=actor.label)
    grant.granted_at, grant.approved_by, grant.approved_at = now, actor.label, now
    session.add(grant)
    session.flush()
    organization = session.get(MemberOrganization, user.organization_id)
    return _view(number, grant, user, organization.slug if organization else "")


def remove_representative(session: Session, actor: Actor, number: str, email: str) -> None:
    """Remove ``email`` from the representatives of ``number`` (its registry's administrators only)."""
    account = _account(session, number)
    require(actor, "credits.representative.manage", Target.of(country=account.registry_code))
    user = _user(session, email)
    if actor.user_id == user.id:
        raise Forbidden(N_("you cannot remove yourself as a representative of an account"))
    found = [grant for grant, _u, _o in _grants(session, number) if grant.user_id == user.id]
    if not found:
        refusal = N_("%(email)s does not represent account %(number)s")
        raise NotFound(Message(refusal, {"email": user.email, "number": number}), field="email")
    session.delete(found[0])
    session.flush()
