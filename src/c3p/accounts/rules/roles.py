"""The roles people hold, and which kind of scope each one is bound to.

A grant is a role, optionally limited to one scope: a reviewer of one call, a proposer for
one organization, a registry administrator of one country, a representative of one holding
account (named only by that account's registry administrators, see ``NAMED_BY_REGISTRY``). ``scope`` names the kind of
scope a role requires (``None``: the role is platform-wide and takes none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from c3p.errors import InvalidInput
from c3p.messages import N_, Message


@dataclass(frozen=True)
class Role:
    name: str
    scope: str | None
    description: str
    #: the role as people call it, in the reader's language (the name is for code)
    title: str = ""


#: one line per role; ``scope`` is the kind of scope a grant of the role must name
ROLES: dict[str, Role] = {
    role.name: role
    for role in (
        Role("administrator", None, "Runs the platform: accounts, roles, tokens.", N_("Administrator")),
        Role(
            "secretariat",
            None,
            "Program secretariat (MOEJ / IGES staff): runs calls, reviews and adoption.",
            N_("Secretariat"),
        ),
        Role("reviewer", "call", "Reviews and scores the applications of one call.", N_("Reviewer")),
        Role(
            "japanese_government_staff",
            "organization",
            "Staff of one Japanese local government.",
            N_("Japanese local government staff"),
        ),
        Role("proposer", "organization", "Staff of one proposer organization (company, institute).", N_("Proposer")),
        Role(
            "partner_city_official",
            "organization",
            "Official of one partner city or place.",
            N_("Partner city official"),
        ),
        Role("project_participant", "project", "Participant of one JCM project.", N_("Project participant")),
        Role(
            "tpe",
            "organization",
            "Staff of one third-party entity (validator / verifier).",
            N_("Third-party entity"),
        ),
        Role(
            "joint_committee_member",
            "country",
            "Member of the Joint Committee with one partner country.",
            N_("Joint Committee member"),
        ),
        Role(
            "registry_administrator",
            "country",
            "Administers the JCM registry of one country.",
            N_("Registry administrator"),
        ),
        Role(
            "account_representative",
            "account",
            "Moves the credits of one holding account.",
            N_("Account representative"),
        ),
    )
}


def said_role(name: str) -> Message | str:
    """A role as people call it (a message in the reader's language); an unknown name as it is."""
    known = ROLES.get(name)
    return Message(known.title) if known and known.title else name


#: how each kind of scope value is written
SCOPE_PATTERNS: dict[str, re.Pattern[str]] = {
    "organization": re.compile(r"[a-z0-9][a-z0-9-]{0,79}"),
    "call": re.compile(r"\d{4}-\d{1,2}"),
    "project": re.compile(r"[a-z0-9][a-z0-9-]{0,79}"),
    "country": re.compile(r"[A-Z]{3}"),
    "account": re.compile(r"[A-Z]{3}-[GP]-\d{6}"),
}


def role(name: str) -> Role:
    """The role called ``name``, or a clear refusal naming the known roles."""
    try:
        return ROLES[name]
    except KeyError:
        refusal = N_("unknown role '%(role)s'; roles: %(roles)s")
        raise InvalidInput(Message(refusal, {"role": name, "roles": ", ".join(sorted(ROLES))})) from None


def check_grant(name: str, scope_value: str | None) -> tuple[str, str]:
    """Validate a grant of role ``name`` with ``scope_value``; return (scope kind, value) as stored."""
    wanted = role(name).scope
    if wanted is None:
        if scope_value:
            raise InvalidInput(Message(N_("role %(role)s is platform-wide and takes no scope"), {"role": name}))
        return "", ""
    about = {"role": name, "kind": wanted, "example": example(wanted)}
    if not scope_value:
        raise InvalidInput(Message(N_("role %(role)s needs a %(kind)s scope, e.g. --scope %(example)s"), about))
    if not SCOPE_PATTERNS[wanted].fullmatch(scope_value):
        refusal = N_("'%(scope)s' is not a %(kind)s (expected e.g. %(example)s)")
        raise InvalidInput(Message(refusal, {**about, "scope": scope_value}))
    return wanted, scope_value


def example(kind: str) -> str:
    examples = {"organization": "nippon-koei", "call": "2025-1", "project": "fy2025-01", "country": "VNM"}
    return {**examples, "account": "JPN-P-000002"}[kind]


#: roles granted and revoked by the registry administrators of the account's registry, never
#: through the platform's role administration (not by an administrator or the secretariat)
NAMED_BY_REGISTRY = frozenset({"account_representative"})

#: roles whose grant needs a second administrator's approval (or the operator on the server):
#: they run the platform, issue credits or move them
NEEDS_APPROVAL = frozenset({"administrator", "joint_committee_member", "registry_administrator"})

#: pairs of roles one person may not hold together (separation of duties)
INCOMPATIBLE: tuple[frozenset[str], ...] = (
    frozenset({"joint_committee_member", "registry_administrator"}),  # issuing credits, moving them
    frozenset({"project_participant", "tpe"}),  # submitting monitoring reports, verifying them
)


def check_compatible(name: str, held: set[str]) -> None:
    """Refuse role ``name`` to someone holding a role it must be kept apart from."""
    for pair in INCOMPATIBLE:
        if name in pair and (pair - {name}) & held:
            (other,) = pair - {name}
            refusal = N_("role %(role)s cannot be held together with %(other)s (separation of duties)")
            raise InvalidInput(Message(refusal, {"role": name, "other": other}))
