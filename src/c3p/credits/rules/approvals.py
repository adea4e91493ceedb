"""Second-person approval of large transfers: the four-eyes rule of a registry.

A registry may set a threshold (``approval_threshold_credits``); a transfer of more credits
than that is only proposed by the representative who asks for it, and moves nothing until a
second representative of the same sending account approves it. The proposer never approves
their own proposal, whatever roles they hold. Approval and refusal are journal entries, and
the approved transfer's entry names both people.
"""

from __future__ import annotations

from dataclasses import dataclass

from c3p.accounts.rules.policy import Actor, decide
from c3p.accounts.rules.tasks import Task
from c3p.credits.rules.access import account_target
from c3p.credits.rules.transactions import MAX_CREDITS
from c3p.errors import Conflict, Forbidden, InvalidInput
from c3p.messages import N_, Message

#: how a proposal was decided, said in the reader's language
DECIDED_WORDS = {"approved": N_("approved"), "refused": N_("refused")}


def needs_approval(credits: int, threshold: int | None) -> bool:
    """Whether a transfer of ``credits`` waits for a second representative.

    >>> needs_approval(1000, None), needs_approval(1000, 1000), needs_approval(1001, 1000)
    (False, False, True)
    """
    return threshold is not None and credits > threshold


def check_threshold(threshold: object) -> int | None:
    """A registry's approval threshold: None (no approval) or whole credits from 1 to MAX_CREDITS."""
    if threshold is None:
        return None
    if isinstance(threshold, bool) or not isinstance(threshold, int) or not 1 <= threshold <= MAX_CREDITS:
        refusal = N_("the approval threshold is a whole number of credits from 1 to %(max)s, got %(threshold)s")
        raise InvalidInput(Message(refusal, {"max": MAX_CREDITS, "threshold": repr(threshold)}), field="threshold")
    return threshold


def check_second_person(key: str, proposer: tuple[int | None, str], approver: tuple[int | None, str]) -> None:
    """The approver is not the proposer (the same user, or the same operator label)."""
    (proposer_id, proposer_label), (approver_id, approver_label) = proposer, approver
    same = proposer_id == approver_id if proposer_id is not None else proposer_label == approver_label
    if same:
        refusal = N_("transfer %(key)s was proposed by you; another representative of the account must decide it")
        raise Forbidden(Message(refusal, {"key": key}))


def check_open(key: str, status: str) -> None:
    if status != "proposed":
        shown = Message(DECIDED_WORDS[status]) if status in DECIDED_WORDS else status
        raise Conflict(Message(N_("transfer %(key)s is already %(status)s"), {"key": key, "status": shown}))


@dataclass(frozen=True)
class ProposalFacts:
    """What deciding one proposed transfer depends on: the sending account and who proposed it."""

    key: str
    registry: str
    holder: str
    from_account: str
    to_account: str
    credits: int
    proposed_by_id: int | None
    proposed_by: str


def may_decide(actor: Actor, proposal: ProposalFacts) -> bool:
    """A representative of the sending account other than the proposer: the service's own checks, as a yes/no."""
    target = account_target(actor, proposal.registry, proposal.holder, proposal.from_account)
    if not decide(actor, "credits.transfer.approve", target):
        return False
    try:
        check_second_person(proposal.key, (proposal.proposed_by_id, proposal.proposed_by), (actor.user_id, actor.label))
    except Forbidden:
        return False
    return True


def approval_tasks(actor: Actor, proposals: list[ProposalFacts]) -> list[Task]:
    """ "My tasks": each proposed transfer that is ``actor``'s to approve or refuse."""
    tasks = []
    for proposal in proposals:
        if may_decide(actor, proposal):
            about = {"key": proposal.key, "credits": proposal.credits, "account": proposal.from_account}
            title = Message(N_("Approve or refuse transfer %(key)s of %(credits)s credits from %(account)s"), about)
            waiting = N_("Proposed by %(who)s; nothing moves until another representative decides.")
            detail = Message(waiting, {"who": proposal.proposed_by})
            tasks.append(Task(title, detail, f"/credits/proposals#proposal-{proposal.key}"))
    return tasks
