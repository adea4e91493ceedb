"""A person's "my tasks": what their roles ask of them now.

Each capability contributes tasks from pure rules: the accounts' here, the workflow's (calls,
applications, scores, JCM steps) in ``c3p.workflow.rules.tasks``. The page gathers the facts
and lists them in that order.
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


PROVIDERS: list[Provider] = [account_tasks]


def tasks_for(actor: Actor, facts: AccountFacts) -> list[Task]:
    return [task for provider in PROVIDERS for task in provider(actor, facts)]
