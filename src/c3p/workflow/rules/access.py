"""Who may see an application: the one rule behind every list and page of applications.

The policy's ``program.application.read`` decides first (secretariat and administrators see
all, a proposer its organization's, a reviewer its call's). A draft is not yet anyone's but
its authors': only its organization's proposers and the secretariat see it, so a reviewer or
an administrator is told no draft exists rather than refused.
"""

from __future__ import annotations

from c3p.accounts.rules.policy import Actor, Target, decide

DRAFT = "draft"


def may_see_draft(actor: Actor, target: Target) -> bool:
    """Its organization's proposers, the secretariat and the local operator see a draft."""
    authors = any(grant.role == "proposer" and grant.covers(target) for grant in actor.grants)
    return actor.system or actor.holds("secretariat") or authors


def may_read_application(actor: Actor, state: str, target: Target) -> bool:
    """Whether ``actor`` sees an application in ``state`` of ``target`` (organization, call)."""
    if not decide(actor, "program.application.read", target):
        return False
    return state != DRAFT or may_see_draft(actor, target)
