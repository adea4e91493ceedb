"""Who may see an application: the one rule behind every list and page of applications.

The policy's ``program.application.read`` decides first (secretariat and administrators see
all, a proposer its organization's, a reviewer its call's). An application is also its
**co-applicants'**: the Japanese local governments, partner places and partner companies it
names. The policy is asked about each of the consortium's organizations in turn, so their
people (local-government staff, partner-city officials, a partner company's proposers) read
it and comment on it, while editing (``program.application.draft``) is asked about the lead
proposer's organization only. A draft is not yet anyone's but its consortium's and the
secretariat's, so a reviewer or an administrator is told no draft exists rather than refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from c3p.accounts.rules.policy import Actor, Target, decide

DRAFT = "draft"
#: the roles whose people act for one organization of a consortium
CONSORTIUM_ROLES = ("proposer", "japanese_government_staff", "partner_city_official")


def consortium_targets(lead: Target, co_applicants: Iterable[str] = ()) -> list[Target]:
    """The lead proposer's target first, then one per co-applicant organization, in the same call."""
    call = lead.scope.get("call")
    named = [slug for slug in dict.fromkeys(co_applicants) if slug != lead.scope.get("organization")]
    return [lead, *(Target.of(organization=slug, call=call) for slug in named)]


def allowed_on_any(actor: Actor, action: str, targets: Sequence[Target]) -> bool:
    """Whether the policy allows ``action`` on one of ``targets``."""
    return any(decide(actor, action, target) for target in targets)


def may_see_draft(actor: Actor, targets: Sequence[Target]) -> bool:
    """Its consortium's people, the secretariat and the local operator see a draft."""
    members = any(grant.role in CONSORTIUM_ROLES and grant.covers(t) for t in targets for grant in actor.grants)
    return actor.system or actor.holds("secretariat") or members


def may_read_application(actor: Actor, state: str, target: Target, co_applicants: Iterable[str] = ()) -> bool:
    """Whether ``actor`` sees an application in ``state`` of ``target`` (lead organization, call)."""
    targets = consortium_targets(target, co_applicants)
    if not allowed_on_any(actor, "program.application.read", targets):
        return False
    return state != DRAFT or may_see_draft(actor, targets)
