"""Who may take which step of the chain now: assign the TPE, submit, verify, find, respond, close, issue.

One answer for the portal and for "my tasks": a form is shown, and a task listed, only where
the very checks the services make pass (the policy's action on the report's target, the
assigned TPE, segregation of duties, the report's status, open corrective action requests).
A person therefore never sees a form they would be refused, nor misses a step that is theirs.
"""

from __future__ import annotations

from dataclasses import dataclass

from c3p.accounts.rules.policy import Actor, Target, decide
from c3p.accounts.rules.tasks import Task
from c3p.credits.rules.issuance import ISSUABLE
from c3p.credits.rules.reports import FindingKind, FindingStatus, Party, ReportStatus, party
from c3p.messages import N_, Message


@dataclass(frozen=True)
class FindingFacts:
    id: int
    kind: str
    open: bool
    responded: bool


@dataclass(frozen=True)
class ReportFacts:
    """What the steps of one monitoring report depend on."""

    id: int
    project: str
    host_country: str
    period_number: int
    status: str
    assigned_tpe: str | None
    submitter: Party
    verifier: Party
    verified_tco2: int | None
    issued_credits: int
    findings: tuple[FindingFacts, ...] = ()

    @property
    def open_corrective_actions(self) -> int:
        return sum(1 for f in self.findings if f.open and f.kind == FindingKind.corrective_action_request)

    @property
    def issuable_tco2(self) -> int:
        """Verified reductions not yet issued."""
        return max((self.verified_tco2 or 0) - self.issued_credits, 0)


@dataclass(frozen=True)
class ProjectFacts:
    """A registered JCM project: its assigned TPE and how many monitoring reports it has."""

    slug: str
    host_country: str
    assigned_tpe: str | None
    reports: int


def is_assigned_verifier(actor: Actor, report: ReportFacts) -> bool:
    """The actor is staff of the TPE assigned to the project, and neither it nor its organization submitted."""
    if not report.assigned_tpe or actor.organization != report.assigned_tpe:
        return False
    target = Target.of(project=report.project, organization=report.assigned_tpe)
    return bool(decide(actor, "mrv.report.verify", target)) and not party(actor).same_as(report.submitter)


def may_verify(actor: Actor, report: ReportFacts) -> bool:
    return report.status == ReportStatus.submitted and is_assigned_verifier(actor, report)


def may_raise_finding(actor: Actor, report: ReportFacts) -> bool:
    return report.status != ReportStatus.used and is_assigned_verifier(actor, report)


def may_respond(actor: Actor, report: ReportFacts, finding: FindingFacts) -> bool:
    target = Target.of(project=report.project, country=report.host_country)
    return finding.open and bool(decide(actor, "mrv.report.submit", target))


def may_close(actor: Actor, report: ReportFacts, finding: FindingFacts) -> bool:
    waits_for_response = finding.kind == FindingKind.corrective_action_request and not finding.responded
    return finding.open and not waits_for_response and is_assigned_verifier(actor, report)


def may_issue(actor: Actor, report: ReportFacts) -> bool:
    """A Joint Committee member of the host country who did not verify it; verified, CARs closed, credits left."""
    target = Target.of(country=report.host_country, project=report.project)
    ready = report.status in ISSUABLE and not report.open_corrective_actions and report.issuable_tco2 > 0
    return ready and bool(decide(actor, "credits.issue", target)) and not party(actor).same_as(report.verifier)


def may_assign_verifier(actor: Actor, project: ProjectFacts) -> bool:
    targets = (Target.of(country=project.host_country), Target.of(project=project.slug))
    return any(decide(actor, "jcm.verifier.assign", target) for target in targets)


def may_submit(actor: Actor, project: ProjectFacts) -> bool:
    return bool(decide(actor, "mrv.report.submit", Target.of(project=project.slug, country=project.host_country)))


def report_tasks(actor: Actor, reports: list[ReportFacts]) -> list[Task]:
    """Verify, answer findings, close answered findings, issue: each where it is the actor's to take."""
    tasks = []
    for report in reports:
        about = {"report": report.id, "project": report.project, "period": report.period_number}
        link = f"/credits/reports/{report.id}"
        if may_verify(actor, report):
            title = Message(N_("Verify monitoring report %(report)s (%(project)s, period %(period)s)"), about)
            tasks.append(Task(title, Message(N_("You are the TPE assigned to the project.")), link))
        for finding in report.findings:
            found = {**about, "finding": finding.id}
            if not finding.responded and may_respond(actor, report, finding):
                title = Message(N_("Respond to finding %(finding)s on monitoring report %(report)s"), found)
                tasks.append(Task(title, Message(N_("The TPE waits for your response.")), link))
            elif finding.responded and may_close(actor, report, finding):
                title = Message(N_("Close finding %(finding)s on monitoring report %(report)s"), found)
                tasks.append(Task(title, Message(N_("The participant has responded.")), link))
        if may_issue(actor, report):
            title = Message(N_("Notify the issuance for monitoring report %(report)s (%(project)s)"), about)
            left = Message(N_("%(count)s verified tCO2 not yet issued."), {"count": report.issuable_tco2})
            tasks.append(Task(title, left, link))
    return tasks


def project_tasks(actor: Actor, projects: list[ProjectFacts]) -> list[Task]:
    """Assigning a registered project's TPE; handing in its first monitoring report."""
    tasks = []
    for project in projects:
        link = f"/jcm-projects/{project.slug}/reports"
        about = {"project": project.slug}
        if not project.assigned_tpe and may_assign_verifier(actor, project):
            title = Message(N_("Assign the TPE that verifies JCM project %(project)s"), about)
            tasks.append(Task(title, Message(N_("The project is registered and has no verifier yet.")), link))
        elif project.assigned_tpe and not project.reports and may_submit(actor, project):
            title = Message(N_("Submit the first monitoring report of JCM project %(project)s"), about)
            tasks.append(Task(title, Message(N_("Upload the monitoring data; c3p computes the report.")), link))
    return tasks


def finding_is_open(status: str) -> bool:
    return status == FindingStatus.open
