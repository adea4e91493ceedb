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
JCM_MOVERS = ("secretariat", "proposer", "project_participant", "tpe", "joint_committee_member")


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
        Action("users.list", ADMINS, "list every account"),
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
        # program workflow: calls, applications, review, adoption, tracking, outcomes
        Action("program.call.read", (PUBLIC,), "see calls for proposals"),
        Action("program.call.open", ("secretariat",), "open a call for proposals"),
        Action("program.call.manage", ("secretariat",), "close a call's submissions or review, send reminders"),
        Action("program.application.read", (*ADMINS, "proposer", "reviewer"), "see applications"),
        Action("program.application.draft", ("proposer",), "create or edit a draft application and its files"),
        Action("program.application.submit", ("proposer",), "submit an application for an organization"),
        Action("program.application.withdraw", ("proposer",), "withdraw an application"),
        Action("program.application.review", ("reviewer",), "score the applications of a call"),
        Action("program.application.conflict", ("reviewer",), "declare a conflict of interest on an application"),
        Action("program.review.read", (*ADMINS, "reviewer"), "see the review scores and ranking of a call"),
        Action("program.application.adopt", ("secretariat",), "adopt applications as the fiscal year's projects"),
        Action("program.project.publish", ("secretariat",), "publish adopted projects on the public pages"),
        Action("program.project.track", ("secretariat", "proposer"), "record a project's status and activities"),
        Action("program.outcome.read", (PUBLIC,), "see exit outcomes and the program's KPI"),
        Action(
            "program.outcome.record",
            ("secretariat", "proposer", "japanese_government_staff", "partner_city_official"),
            "record an exit outcome of projects",
        ),
        Action("notifications.read", (OWNER,), "read and clear one's notifications"),
        # JCM pipeline: one action per step, named after the state it moves into
        Action("jcm.project.read", (PUBLIC,), "see JCM projects in the pipeline"),
        Action("jcm.project.create", ("secretariat", "proposer"), "add a JCM project to the pipeline"),
        Action("jcm.document.upload", (*JCM_MOVERS[:3], "tpe"), "attach a document to a JCM project"),
        Action("jcm.subsidy.calculate", (PUBLIC,), "calculate a JCM Model Project subsidy"),
        Action("jcm.move", JCM_MOVERS, "move a JCM project to its next state (each step asks its own action)"),
        Action("jcm.move.feasibility_study", ("secretariat", "proposer"), "start or resume a feasibility study"),
        Action("jcm.move.model_project_application", ("proposer", "project_participant"), "apply as a Model Project"),
        Action("jcm.move.adopted", ("secretariat",), "record a Model Project's adoption"),
        Action("jcm.move.installed", ("project_participant",), "record the equipment's installation"),
        Action("jcm.move.pdd", ("project_participant",), "submit the PDD"),
        Action("jcm.move.validation", ("tpe",), "record the validation"),
        Action("jcm.move.registration", ("joint_committee_member",), "register the JCM project"),
        Action("jcm.move.monitoring", ("project_participant",), "start a monitoring period"),
        Action("jcm.move.verification", ("tpe",), "record the verification"),
        Action("jcm.move.issuance", ("joint_committee_member",), "decide the issuance of credits"),
        Action("jcm.move.withdrawn", ("secretariat", "project_participant"), "withdraw a JCM project"),
        Action("mrv.report.verify", ("tpe",), "verify a monitoring report"),
        Action("registry.transfer", ("registry_administrator",), "transfer credits in a country's registry"),
        # JCM credit registry (accounts are scoped by their registry's country; holders act on their own)
        Action("credits.read", ("registry_administrator", OWNER), "see an account's blocks and transactions"),
        Action("credits.account.open", ("registry_administrator",), "open a holding account in a registry"),
        Action("credits.account.update", ("registry_administrator",), "suspend, reopen or close an account"),
        Action("credits.issue", ("joint_committee_member",), "issue credits on a Joint Committee notification"),
        Action("credits.transfer", ("registry_administrator", OWNER), "transfer credits from an account"),
        Action("credits.accept", ("registry_administrator",), "accept or reject a transfer from the other registry"),
        Action("credits.cancel", ("registry_administrator", OWNER), "cancel credits of an account"),
        Action("credits.retire", ("registry_administrator", OWNER), "retire credits of an account toward an NDC"),
        Action("credits.authorize", ("registry_administrator",), "set the Article 6.2 authorization of an issuance"),
        Action(
            "credits.verify", ("registry_administrator", "administrator"), "replay and check the registry's journal"
        ),
        Action("mrv.report.submit", ("project_participant",), "submit a monitoring report of a JCM project"),
    )
}


def action(name: str) -> Action:
    """The action ``name``; an unknown name is a programming error, never a silent allow."""
    try:
        return ACTIONS[name]
    except KeyError:
        raise LookupError(f"unknown action {name!r}: add it to c3p.accounts.actions.ACTIONS") from None
