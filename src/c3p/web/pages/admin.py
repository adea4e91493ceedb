"""Portal pages for the secretariat and for members: administration, my organization, my
tasks, and the history page of any record.

The admin page lists accounts and organizations with forms to create, grant, revoke, disable
and edit; each form posts to a guarded route and the change shows in the record's history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, Target, decide, require
from c3p.accounts.rules.roles import ROLES, Role
from c3p.accounts.rules.tasks import AccountFacts, Task, tasks_for
from c3p.accounts.schemas import HistoryView, MemberView, OrganizationView, UserView
from c3p.accounts.service import members as svc
from c3p.credits import report_queries
from c3p.db.history import entries_for
from c3p.errors import NotFound
from c3p.messages import N_, Message
from c3p.web.api.accounts import history_target
from c3p.web.auth import database as db
from c3p.web.auth import permission, writing
from c3p.web.pages.accounts import redirect, signed_in
from c3p.web.pages.render import PageContext, page_language, page_only, render
from c3p.web.routes import Router
from c3p.workflow import queries as workflow_queries

if TYPE_CHECKING:
    from c3p.accounts.tables import MemberOrganization, User  # rows the service returns, named in annotations only

NO_ORGANIZATION = N_("no member organization %(organization)s")
router = Router(include_in_schema=False)
FormText = Annotated[str, Form()]
OptionalText = Annotated[str, Form()]


class AdminPage(PageContext):
    users: list[UserView]
    organizations: list[OrganizationView]
    roles: dict[str, Role] = page_only()
    kinds: tuple[str, ...] = page_only()
    #: grants that wait for a second administrator (counted only for those who may decide)
    waiting: int = 0


class OrganizationPage(PageContext):
    """A member organization, its members and its history."""

    organization: OrganizationView = page_only()
    members: list[MemberView] = page_only()
    can_edit: bool
    history: list[HistoryView]


class TasksPage(PageContext):
    tasks: list[Task]


class HistoryPage(PageContext):
    table: str
    key: str
    history: list[HistoryView]


@router.get("/admin", response_model=AdminPage)
def admin_page(request: Request, actor: Actor = Depends(permission("users.list"))) -> Response:
    signed_in(request, actor)
    with db(request).reading() as session:
        users = [svc.user_view(session, user) for user in svc.list_users(session, actor)]
        organizations = [OrganizationView.model_validate(row) for row in svc.list_organizations(session)]
        waiting = len(svc.waiting_grants(session)) if decide(actor, "users.grant") else 0
    page = AdminPage(
        users=users, organizations=organizations, roles=ROLES, kinds=svc.ORGANIZATION_KINDS, waiting=waiting
    )
    return render(request, "accounts/admin.html", page)


def _user(session: Session, user_id: int) -> User:
    user = svc.user_by_id(session, user_id)
    if user is None:
        raise NotFound(Message(N_("no user %(id)s"), {"id": user_id}))
    return user


@router.post("/admin/users")
def admin_create_user(
    request: Request,
    email: FormText,
    organization: FormText,
    display_name: OptionalText = "",
    language: OptionalText = "",
    actor: Actor = Depends(permission("users.create")),
) -> Response:
    with writing(request, actor) as session:
        row = svc.organization_by_slug(session, organization)
        if row is None:
            raise NotFound(Message(NO_ORGANIZATION, {"organization": organization}))
        svc.create_user(session, actor, email, display_name, row, None, language or page_language(request))
    return redirect("/admin?saved=user")


@router.post("/admin/users/{user_id}/grant")
def admin_grant(
    request: Request,
    user_id: int,
    role: FormText,
    scope: OptionalText = "",
    actor: Actor = Depends(permission("users.grant")),
) -> Response:
    with writing(request, actor) as session:
        svc.grant(session, actor, _user(session, user_id), role, scope or None)
    return redirect("/admin?saved=grant")


@router.post("/admin/users/{user_id}/revoke")
def admin_revoke(
    request: Request,
    user_id: int,
    role: FormText,
    scope: OptionalText = "",
    actor: Actor = Depends(permission("users.revoke")),
) -> Response:
    with writing(request, actor) as session:
        svc.revoke(session, actor, _user(session, user_id), role, scope or None)
    return redirect("/admin?saved=revoke")


@router.post("/admin/users/{user_id}/disable")
def admin_disable(request: Request, user_id: int, actor: Actor = Depends(permission("users.disable"))) -> Response:
    with writing(request, actor) as session:
        svc.set_disabled(session, actor, _user(session, user_id), True)
    return redirect("/admin?saved=disable")


@router.post("/admin/users/{user_id}/enable")
def admin_enable(request: Request, user_id: int, actor: Actor = Depends(permission("users.disable"))) -> Response:
    with writing(request, actor) as session:
        svc.set_disabled(session, actor, _user(session, user_id), False)
    return redirect("/admin?saved=enable")


@router.post("/admin/organizations")
def admin_create_organization(
    request: Request,
    slug: FormText,
    name_en: FormText,
    kind: FormText,
    name_ja: OptionalText = "",
    country_iso3: OptionalText = "JPN",
    actor: Actor = Depends(permission("organizations.create")),
) -> Response:
    with writing(request, actor) as session:
        svc.create_organization(session, actor, slug, name_en, kind, name_ja=name_ja, country_iso3=country_iso3)
    return redirect("/admin?saved=organization")


@router.post("/organizations/{slug}/edit")
def edit_organization(
    request: Request,
    slug: str,
    name_en: FormText,
    name_ja: OptionalText = "",
    website: OptionalText = "",
    actor: Actor = Depends(permission("organizations.update")),
) -> Response:
    with writing(request, actor) as session:
        row = svc.update_organization(
            session, actor, slug, {"name_en": name_en, "name_ja": name_ja, "website": website}
        )
        key = row.id
    return redirect(f"/member-organizations/{key}?saved=1")


@router.get("/member-organizations/{organization_id}", response_model=OrganizationPage)
def organization_page(
    request: Request, organization_id: int, actor: Actor = Depends(permission("history.read"))
) -> Response:
    with db(request).reading() as session:
        row = svc.organization_by_id(session, organization_id)
        require(actor, "history.read", Target.of(organization=row.slug if row else "-"))
        if row is None:
            raise NotFound(Message(NO_ORGANIZATION, {"organization": organization_id}))
        return _organization_page(request, session, actor, row)


@router.get("/account/organization", response_model=OrganizationPage)
def my_organization(request: Request, actor: Actor = Depends(permission("users.read"))) -> Response:
    user_id = signed_in(request, actor)
    with db(request).reading() as session:
        user = _user(session, user_id)
        row = svc.organization_by_id(session, user.organization_id)
        return _organization_page(request, session, actor, row)  # type: ignore[arg-type]


def _organization_page(request: Request, session: Session, actor: Actor, row: MemberOrganization) -> Response:
    members = [
        MemberView(display_name=u.display_name, email=u.email, disabled=u.is_disabled)
        for u in svc.members_of(session, row.id)
    ]
    target = Target.of(organization=row.slug)
    can_edit = actor.authenticated and bool(decide(actor, "organizations.update", target))
    can_history = bool(decide(actor, "history.read", target))
    history = entries_for(session, "member_organizations", str(row.id)) if can_history else []
    page = OrganizationPage(
        organization=OrganizationView.model_validate(row), members=members, can_edit=can_edit, history=history
    )
    return render(request, "accounts/organization.html", page)


@router.get("/account/tasks", response_model=TasksPage)
def my_tasks(request: Request, actor: Actor = Depends(permission("users.read"))) -> Response:
    user_id = signed_in(request, actor)
    with db(request).reading() as session:
        user = _user(session, user_id)
        users_without_roles = 0
        if actor.holds("administrator") or actor.holds("secretariat"):
            users_without_roles = sum(1 for u in svc.list_users(session, actor) if not svc.grants_of(session, u.id))
        facts = AccountFacts(user.totp_enabled, actor.organization, users_without_roles=users_without_roles)
        tasks = [
            *tasks_for(actor, facts),
            *workflow_queries.tasks_of(session, actor),
            *report_queries.tasks_of(session, actor),
        ]
    return render(request, "accounts/tasks.html", TasksPage(tasks=tasks))


@router.get("/history/{table}/{key}", response_model=HistoryPage)
def history_page(
    request: Request, table: str, key: str, actor: Actor = Depends(permission("history.read"))
) -> Response:
    with db(request).reading() as session:
        entries = entries_for(session, table, key)
        require(actor, "history.read", history_target(session, table, key, entries))
    return render(request, "accounts/history.html", HistoryPage(table=table, key=key, history=entries))
