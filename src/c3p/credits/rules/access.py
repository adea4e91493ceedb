"""Accounts and pending transfers as targets of the policy: who may see or act on them.

Each entry point asks :func:`c3p.accounts.rules.policy.decide` with these targets, never a
filter of its own, so the API, the pages and the CLI answer alike. An account falls in its
registry's country and in its own number's scope: its holder's members only read it (they
are its owners), and only the representatives named for it (role ``account_representative``
scoped to the account) move its credits. A transfer between registries waits in the receiving
registry, so it falls in that registry's country.
"""

from __future__ import annotations

from c3p.accounts.rules.policy import Actor, Target, decide


def account_target(actor: Actor, registry: str, holder_slug: str, number: str) -> Target:
    """An account as a policy target: its registry's country and its number; its holder's members as owners."""
    owner = actor.user_id if holder_slug and actor.organization == holder_slug else None
    return Target(owner_id=owner, scope={"country": registry, "account": number})


def may_read_account(actor: Actor, registry: str, holder_slug: str, number: str) -> bool:
    """Its holder's members, its representatives and its registry's administrators read an account."""
    return bool(decide(actor, "credits.read", account_target(actor, registry, holder_slug, number)))


def receiving_registry(to_account: str) -> str:
    """The registry a pending transfer waits in: account numbers start with their registry's code."""
    return to_account.partition("-")[0]


def pending_target(to_account: str) -> Target:
    """A pending transfer as a policy target: the country of the registry that must accept it."""
    return Target.of(country=receiving_registry(to_account))


def may_resolve_pending(actor: Actor, to_account: str) -> bool:
    """Only the receiving registry's administrators see a pending transfer and accept or reject it."""
    return bool(decide(actor, "credits.accept", pending_target(to_account)))
