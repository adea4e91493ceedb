"""Every action the platform guards, with the roles that may perform it: one line each.

To guard a new capability, add a line here and ask for it at the entry point
(``Depends(permission("x.y"))`` on a route, ``@guarded("x.y")`` on a CLI command). Three
pseudo-roles exist besides the real ones: ``public`` (anyone, signed in or not), ``signed_in``
(anyone with an account, whatever their roles) and ``owner`` (the signed-in user the record
belongs to). A scoped role only covers targets in its scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from c3p.messages import N_

PUBLIC = "public"
SIGNED_IN = "signed_in"
OWNER = "owner"
ADMINS = ("administrator", "secretariat")
ORGANIZATION_STAFF = ("proposer", "japanese_government_staff", "partner_city_official", "tpe")
#: the people of an application's organizations: the lead proposer and its co-applicants
CONSORTIUM = ("proposer", "japanese_government_staff", "partner_city_official")
JCM_MOVERS = ("secretariat", "proposer", "project_participant", "tpe", "joint_committee_member")


@dataclass(frozen=True)
class Action:
    name: str
    roles: tuple[str, ...]
    description: str  # marked N_: refusals say it in the reader's language


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        # accounts
        Action("account.sign_in", (PUBLIC,), N_("sign in, sign out, reset a forgotten password")),
        Action("users.list", ADMINS, N_("list every account")),
        Action("users.read", (*ADMINS, OWNER), N_("see a user's account and roles")),
        Action("users.create", ADMINS, N_("create a user account")),
        Action("users.update", ("administrator", OWNER), N_("change an account's name, language or second factor")),
        Action("users.grant", ("administrator",), N_("grant a role to a user")),
        Action("users.revoke", ("administrator",), N_("revoke a role from a user")),
        Action("users.disable", ("administrator",), N_("disable or re-enable an account")),
        Action("organizations.create", ADMINS, N_("register a member organization")),
        Action("organizations.update", (*ADMINS, *ORGANIZATION_STAFF), N_("change a member organization's details")),
        Action("tokens.read", ("administrator", OWNER), N_("list API tokens")),
        Action("tokens.create", ("administrator", OWNER), N_("create an API token")),
        Action("tokens.revoke", ("administrator", OWNER), N_("revoke an API token")),
        Action("history.read", (*ADMINS, OWNER), N_("read the change history of a record")),
        # database and program registry
        Action("database.manage", ("administrator",), N_("create, upgrade or reset the database")),
        Action("registry.import", ("administrator", "secretariat"), N_("replace the program registry's data")),
        # MRV computations change nothing; estimates from typed-in values are open to all, but an
        # uploaded monitoring file costs the server disk, memory and CPU, so it needs an account
        Action("mrv.calculate", (PUBLIC,), N_("estimate or calculate emission reductions")),
        Action("mrv.monitoring.calculate", (SIGNED_IN,), N_("calculate emission reductions from monitoring data")),
        # program workflow: calls, applications, review, adoption, tracking, outcomes
        Action("program.call.read", (PUBLIC,), N_("see calls for proposals")),
        Action("program.call.open", ("secretariat",), N_("open a call for proposals")),
        Action("program.call.manage", ("secretariat",), N_("close a call's submissions or review, send reminders")),
        Action("program.application.read", (*ADMINS, *CONSORTIUM, "reviewer"), N_("see applications")),
        Action("program.application.comment", ("secretariat", *CONSORTIUM), N_("comment on an application")),
        Action("program.application.draft", ("proposer",), N_("create or edit a draft application and its files")),
        Action("program.application.submit", ("proposer",), N_("submit an application for an organization")),
        Action("program.application.withdraw", ("proposer",), N_("withdraw an application")),
        Action("program.application.review", ("reviewer",), N_("score the applications of a call")),
        Action("program.application.conflict", ("reviewer",), N_("declare a conflict of interest on an application")),
        Action("program.review.read", (*ADMINS, "reviewer"), N_("see the review scores and ranking of a call")),
        Action("program.application.adopt", ("secretariat",), N_("adopt applications as the fiscal year's projects")),
        Action("program.project.publish", ("secretariat",), N_("publish adopted projects on the public pages")),
        Action("program.project.track", ("secretariat", *CONSORTIUM), N_("record a project's status and activities")),
        Action("program.outcome.read", (PUBLIC,), N_("see exit outcomes and the program's KPI")),
        Action(
            "program.outcome.record",
            ("secretariat", "proposer", "japanese_government_staff", "partner_city_official"),
            N_("record an exit outcome of projects"),
        ),
        Action("notifications.read", (OWNER,), N_("read and clear one's notifications")),
        Action("notifications.digest", ADMINS, N_("mail the daily digests of notifications")),
        # JCM pipeline: one action per step, named after the state it moves into
        Action("jcm.project.read", (PUBLIC,), N_("see JCM projects in the pipeline")),
        Action("jcm.project.create", ("secretariat", "proposer"), N_("add a JCM project to the pipeline")),
        Action("jcm.document.upload", (*JCM_MOVERS[:3], "tpe"), N_("attach a document to a JCM project")),
        Action("jcm.subsidy.calculate", (PUBLIC,), N_("calculate a JCM Model Project subsidy")),
        Action(
            "jcm.subsidy.save",
            ("secretariat", "proposer", "project_participant"),
            N_("save a subsidy calculation with its JCM project"),
        ),
        Action("jcm.move", JCM_MOVERS, N_("move a JCM project to its next state (each step asks its own action)")),
        Action("jcm.move.feasibility_study", ("secretariat", "proposer"), N_("start or resume a feasibility study")),
        Action(
            "jcm.move.model_project_application", ("proposer", "project_participant"), N_("apply as a Model Project")
        ),
        Action("jcm.move.adopted", ("secretariat",), N_("record a Model Project's adoption")),
        Action("jcm.move.installed", ("project_participant",), N_("record the equipment's installation")),
        Action("jcm.move.pdd", ("project_participant",), N_("submit the PDD")),
        Action("jcm.move.validation", ("tpe",), N_("record the validation")),
        Action("jcm.move.registration", ("joint_committee_member",), N_("register the JCM project")),
        Action("jcm.move.monitoring", ("project_participant",), N_("start a monitoring period")),
        Action("jcm.move.verification", ("tpe",), N_("record the verification")),
        Action("jcm.move.issuance", ("joint_committee_member",), N_("decide the issuance of credits")),
        Action("jcm.move.withdrawn", ("secretariat", "project_participant"), N_("withdraw a JCM project")),
        Action("mrv.report.verify", ("tpe",), N_("verify a monitoring report")),
        Action(
            "jcm.verifier.assign",
            ("joint_committee_member", "secretariat"),
            N_("assign the TPE that verifies a JCM project's monitoring reports"),
        ),
        Action("registry.transfer", ("registry_administrator",), N_("transfer credits in a country's registry")),
        # JCM credit registry: an account falls in its registry's country; its holder's members read
        # it, and only the representatives named for it move its credits
        Action(
            "credits.read",
            ("registry_administrator", "account_representative", OWNER),
            N_("see an account's blocks and transactions"),
        ),
        Action("credits.account.open", ("registry_administrator",), N_("open a holding account in a registry")),
        Action("credits.account.update", ("registry_administrator",), N_("suspend, reopen or close an account")),
        Action(
            "credits.representative.manage",
            ("registry_administrator",),
            N_("name or remove the representatives of a holding account"),
        ),
        Action(
            "credits.registry.configure",
            ("registry_administrator",),
            N_("set when a registry's transfers need a second representative's approval"),
        ),
        Action("credits.issue", ("joint_committee_member",), N_("issue credits on a Joint Committee notification")),
        Action("credits.transfer", ("account_representative",), N_("transfer credits from an account")),
        Action(
            "credits.transfer.approve",
            ("account_representative",),
            N_("approve or refuse a transfer another representative proposed"),
        ),
        Action(
            "credits.returns.transfer",
            ("registry_administrator",),
            N_("pass on credits a rejected transfer could not give back to its sender"),
        ),
        Action(
            "credits.accept", ("registry_administrator",), N_("accept or reject a transfer from the other registry")
        ),
        Action("credits.cancel", ("account_representative",), N_("cancel credits of an account")),
        Action("credits.retire", ("account_representative",), N_("retire credits of an account toward an NDC")),
        Action(
            "credits.authorize", ("registry_administrator",), N_("set the Article 6.2 authorization of an issuance")
        ),
        Action(
            "credits.verify", ("registry_administrator", "administrator"), N_("replay and check the registry's journal")
        ),
        Action(
            "credits.article6.report",
            ("registry_administrator",),
            N_("produce and read the country's Article 6.2 annual report and its submitted versions"),
        ),
        Action(
            "credits.article6.submit",
            ("registry_administrator",),
            N_("submit the country's Article 6.2 annual report as a new version"),
        ),
        Action(
            "credits.adjustments.read",
            ("registry_administrator", "administrator"),
            N_("see a country's corresponding adjustments due and recorded"),
        ),
        Action("mrv.report.submit", ("project_participant",), N_("submit a monitoring report of a JCM project")),
        Action(
            "mrv.report.read",
            (*ADMINS, "project_participant", "tpe", "joint_committee_member", "registry_administrator"),
            N_("download a monitoring report's workbook and verification record (the project's parties)"),
        ),
    )
}


def action(name: str) -> Action:
    """The action ``name``; an unknown name is a programming error, never a silent allow."""
    try:
        return ACTIONS[name]
    except KeyError:
        raise LookupError(f"unknown action {name!r}: add it to c3p.accounts.rules.actions.ACTIONS") from None
