"""``c3p tokens``: API tokens for machines, shown once at creation."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from c3p.accounts.rules.policy import Target, require
from c3p.accounts.service import api_tokens
from c3p.accounts.service import members as svc
from c3p.cli._app import group
from c3p.cli._common import DatabaseOption, console, open_database
from c3p.cli._guard import actor, guarded, writing
from c3p.errors import NotFound

app = group()


@app.command()
@guarded("tokens.create")
def create(
    email: Annotated[str, typer.Argument(help="Account the token acts for.")],
    name: Annotated[str, typer.Option("--name", help="What the token is for, e.g. 'nightly export'.")],
    scope: Annotated[
        list[str], typer.Option("--scope", help="Action the token may perform (repeat), or a prefix such as users.*.")
    ],
    days: Annotated[int, typer.Option("--days", help="Days until the token expires (1–366).")] = 90,
    db: DatabaseOption = None,
) -> None:
    """Create an API token; it is printed once and stored only as a digest."""
    with writing(open_database(db)) as (session, who):
        user = svc.user_by_email(session, email)
        if user is None:
            raise NotFound(f"no account with e-mail {email}")
        created = api_tokens.create_token(session, who, user, name, scope, dt.timedelta(days=days))
    console.print(
        f"Token {created.id} for {email}, expires {created.expires_at:%Y-%m-%d}. Copy it now; it is not shown again:"
    )
    typer.echo(created.token)


@app.command()
@guarded("tokens.revoke")
def revoke(
    token_id: Annotated[int, typer.Argument(help="Number of the token (see c3p tokens list).")],
    db: DatabaseOption = None,
) -> None:
    """Revoke an API token at once."""
    with writing(open_database(db)) as (session, who):
        api_tokens.revoke_token(session, who, token_id)
    console.print(f"Revoked token {token_id}.")


@app.command("list")
@guarded("tokens.read")
def list_tokens(
    email: Annotated[str, typer.Argument(help="Account whose tokens to list.")], db: DatabaseOption = None
) -> None:
    """List an account's tokens (never their secrets)."""
    database = open_database(db)
    with database.reading() as session:
        user = svc.user_by_email(session, email)
        if user is None:
            raise NotFound(f"no account with e-mail {email}")
        require(actor(), "tokens.read", Target.of(owner_id=user.id))
        tokens = [api_tokens.token_view(token) for token in api_tokens.tokens_of(session, user.id)]
    table = Table("id", "key", "name", "scopes", "expires", "state")
    for token in tokens:
        state = "revoked" if token.revoked_at else "active"
        table.add_row(
            str(token.id), token.key, token.name, " ".join(token.scopes), f"{token.expires_at:%Y-%m-%d}", state
        )
    console.print(table)
