"""Every action the platform guards, with the roles that may perform it: one line each.

To guard a new capability, add a line here and ask for it at the entry point
(``Depends(permission("x.y"))`` on a route, ``@guarded("x.y")`` on a CLI command). Two
pseudo-roles exist besides the real ones: ``public`` (anyone, signed in or not) and ``owner``
(the signed-in user the record belongs to). A scoped role only covers targets in its scope.
"""

from __future__ import annotations

from dataclasses import dataclass

PUBLIC = "public"
OWNER = "owner"
ADMINS = ("administrator", "secretariat")
ORGANIZATION_STAFF = ("proposer", "japanese_government_staff", "partner_city_official", "tpe")


@dataclass(frozen=True)
class Action:
    name: str
    roles: tuple[str, ...]
    description: str


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        # accounts
        Action("account.sign_in", (PUBLIC,), "sign in, sign out, reset a forgotten password"),
        Action("users.read", (*ADMINS, OWNER), "see a user's account and roles"),
        Action("users.create", ADMINS, "create a user account"),
        Action("users.update", ("administrator", OWNER), "change an account's name, language or second factor"),
        Action("users.grant", ADMINS, "grant a role to a user"),
        Action("users.revoke", ADMINS, "revoke a role from a user"),
        Action("users.disable", ("administrator",), "disable or re-enable an account"),
        Action("organizations.create", ADMINS, "register a member organization"),
        Action("organizations.update", (*ADMINS, *ORGANIZATION_STAFF), "change a member organization's details"),
        Action("tokens.read", ("administrator", OWNER), "list API tokens"),
        Action("tokens.create", ("administrator", OWNER), "create an API token"),
        Action("tokens.revoke", ("administrator", OWNER), "revoke an API token"),
        Action("history.read", (*ADMINS, OWNER), "read the change history of a record"),
        # database and program registry
        Action("database.manage", ("administrator",), "create, upgrade or reset the database"),
        Action("registry.import", ("administrator", "secretariat"), "replace the program registry's data"),
        # MRV computations change nothing and are open to all
        Action("mrv.calculate", (PUBLIC,), "estimate or calculate emission reductions"),
        # capabilities in progress declare their actions here as they arrive, e.g.:
        Action("program.call.open", ("secretariat",), "open a call for proposals"),
        Action("program.application.submit", ("proposer",), "submit an application for an organization"),
        Action("program.application.review", ("reviewer",), "score the applications of a call"),
        Action("mrv.report.verify", ("tpe",), "verify a monitoring report"),
        Action("registry.transfer", ("registry_administrator",), "transfer credits in a country's registry"),
    )
}


def action(name: str) -> Action:
    """The action ``name``; an unknown name is a programming error, never a silent allow."""
    try:
        return ACTIONS[name]
    except KeyError:
        raise LookupError(f"unknown action {name!r}: add it to c3p.accounts.actions.ACTIONS") from None
