"""``c3p users``: create accounts (the first administrator too), list, grant, revoke, disable."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from c3p.accounts.rules import passwords
from c3p.accounts.service import members as svc
from c3p.cli._app import group
from c3p.cli._common import DatabaseOption, FormatOption, console, open_database
from c3p.cli._guard import actor, guarded, writing
from c3p.db.database import Database
from c3p.errors import InvalidInput, NotFound
from c3p.settings import Settings, load_settings

if TYPE_CHECKING:
    from c3p.accounts.tables import User  # rows the service returns, named in annotations only

app = group()
EmailArgument = Annotated[str, typer.Argument(help="E-mail address of the account.")]
ScopeOption = Annotated[
    str | None,
    typer.Option("--scope", help="Scope of a scoped role: call (2025-1), organization or project slug, country ISO3."),
]


def _user(session, email: str) -> User:
    user = svc.user_by_email(session, email)
    if user is None:
        raise NotFound(f"no account with e-mail {email}")
    return user


def _read_password(email: str, from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    passwords.check(password, email)
    return password


@app.command()
@guarded("users.create")
def create(
    email: Annotated[str, typer.Option("--email", help="E-mail address; it is the sign-in name.")],
    org: Annotated[str, typer.Option("--org", help="Slug of the member organization (created if new).")],
    name: Annotated[str, typer.Option("--name", help="Display name (default: the e-mail address).")] = "",
    org_name: Annotated[str, typer.Option("--org-name", help="English name of a new organization.")] = "",
    org_kind: Annotated[str, typer.Option("--org-kind", help="Kind of a new organization.")] = "other",
    admin: Annotated[bool, typer.Option("--admin", help="Make the account an administrator.")] = False,
    language: Annotated[
        str, typer.Option("--language", help="Language of the account's pages and mail: ja or en.")
    ] = "ja",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (no prompt).")
    ] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="Create without a password; the user sets one by password reset.")
    ] = False,
    db: DatabaseOption = None,
) -> None:
    """Create an account. The first administrator: ``c3p users create --admin --email … --org …``."""
    database = open_database(db)
    password = None if no_password else _read_password(svc.normalize_email(email), password_stdin)
    with writing(database) as (session, who):
        organization = svc.organization_by_slug(session, org) or svc.create_organization(
            session, who, org, org_name or org, org_kind
        )
        user = svc.create_user(session, who, email, name, organization, password, language)
        if admin:
            svc.grant(session, who, user, "administrator")
    console.print(f"Created {user.email}" + (" (administrator)." if admin else "."))


@app.command("list")
@guarded("users.list")
def list_users(output_format: FormatOption = "table", db: DatabaseOption = None) -> None:
    """List accounts with their organization and roles."""
    database = open_database(db)
    with database.reading() as session:
        views = [svc.user_view(session, user) for user in svc.list_users(session, actor())]
    if output_format == "json":
        typer.echo(json.dumps([view.model_dump(mode="json") for view in views], ensure_ascii=False, indent=2))
        return
    if output_format != "table":
        raise InvalidInput("--format must be table or json")
    table = Table("e-mail", "organization", "roles", "state")
    for view in views:
        roles = ", ".join(g.role + (f" ({g.scope_value})" if g.scope_value else "") for g in view.roles)
        table.add_row(view.email, view.organization.slug, roles or "—", "disabled" if view.disabled else "active")
    console.print(table)


@app.command()
@guarded("users.grant")
def grant(
    email: EmailArgument,
    role: Annotated[str, typer.Argument(help="Role, e.g. secretariat, reviewer, registry_administrator.")],
    scope: ScopeOption = None,
    db: DatabaseOption = None,
) -> None:
    """Grant a role (scoped roles need --scope)."""
    # administrator, Joint Committee member and registry administrator wait for a second
    # administrator's grant (`--as`); the operator on the server grants them at once
    with writing(open_database(db)) as (session, who):
        waiting = svc.grant(session, who, _user(session, email), role, scope).approved_at is None
    what = f"{role}{f' ({scope})' if scope else ''}"
    if waiting:
        console.print(f"The grant of {what} to {email} waits for a second administrator's approval.")
    else:
        console.print(f"Granted {what} to {email}.")


@app.command()
@guarded("users.revoke")
def revoke(
    email: EmailArgument,
    role: Annotated[str, typer.Argument(help="Role to revoke.")],
    scope: ScopeOption = None,
    db: DatabaseOption = None,
) -> None:
    """Revoke a role."""
    with writing(open_database(db)) as (session, who):
        svc.revoke(session, who, _user(session, email), role, scope)
    console.print(f"Revoked {role}{f' ({scope})' if scope else ''} from {email}.")


@app.command()
@guarded("users.disable")
def disable(email: EmailArgument, db: DatabaseOption = None) -> None:
    """Disable an account: it cannot sign in or use its tokens; its sessions end at once."""
    with writing(open_database(db)) as (session, who):
        svc.set_disabled(session, who, _user(session, email), True)
    console.print(f"Disabled {email}.")


@app.command()
@guarded("users.disable")
def enable(email: EmailArgument, db: DatabaseOption = None) -> None:
    """Re-enable a disabled account."""
    with writing(open_database(db)) as (session, who):
        svc.set_disabled(session, who, _user(session, email), False)
    console.print(f"Enabled {email}.")


def ensure_administrator_from_settings(database: Database, settings: Settings | None = None) -> None:
    """``C3P_ADMIN_EMAIL`` + ``C3P_ADMIN_PASSWORD`` make the first administrator when none exists."""
    settings = settings or load_settings()
    if not (settings.admin_email and settings.admin_password):
        return
    with database.unit_of_work() as session:
        created = svc.ensure_first_administrator(
            session, settings.admin_email, settings.admin_password.get_secret_value()
        )
    if created is not None:
        console.print(f"Created the first administrator, {created.email}.")
