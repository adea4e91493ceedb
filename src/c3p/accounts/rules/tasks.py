"""A person's "my tasks": what their roles ask of them now.

Each capability contributes a provider: a function from the actor and the facts it needs to
a list of tasks. Providers are pure; the page gathers the facts and calls them in order.
Titles and details are messages, said in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from c3p.accounts.rules.policy import Actor
from c3p.messages import N_, Message


@dataclass(frozen=True)
class AccountFacts:
    totp_enabled: bool
    organization_slug: str | None
    disabled_users: int = 0
    users_without_roles: int = 0


@dataclass(frozen=True)
class Task:
    title: Message
    detail: Message
    href: str


Provider = Callable[[Actor, AccountFacts], list[Task]]


def account_tasks(actor: Actor, facts: AccountFacts) -> list[Task]:
    tasks = []
    if actor.holds("administrator") and not facts.totp_enabled:
        protect = Message(N_("Administrators should protect their account."))
        tasks.append(Task(Message(N_("Set up two-factor sign-in")), protect, "/account/totp"))
    if (actor.holds("administrator") or actor.holds("secretariat")) and facts.users_without_roles:
        roleless = Message(N_("%(count)s users hold no role yet."), {"count": facts.users_without_roles})
        tasks.append(Task(Message(N_("Give roles to new users")), roleless, "/admin"))
    return tasks


def review_tasks(actor: Actor, facts: AccountFacts) -> list[Task]:
    """Reviewers see each call they review (the program workflow will add the applications)."""
    return [
        Task(
            Message(N_("Review the applications of call %(call)s"), {"call": grant.scope_value}),
            Message(N_("Scoring opens with the call.")),
            "/account/tasks",
        )
        for grant in actor.grants
        if grant.role == "reviewer"
    ]


PROVIDERS: list[Provider] = [account_tasks, review_tasks]


def tasks_for(actor: Actor, facts: AccountFacts) -> list[Task]:
    return [task for provider in PROVIDERS for task in provider(actor, facts)]
