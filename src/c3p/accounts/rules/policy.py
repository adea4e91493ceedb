"""The one policy: may this actor perform this action on this target?

``decide`` returns a :class:`Decision` with a reason a person can read (a
:class:`~c3p.messages.Message`, said in each reader's language); ``require`` raises
:class:`~c3p.errors.Unauthenticated` (nobody signed in) or :class:`~c3p.errors.Forbidden`.
Reasons name only the action and the scope the caller asked about, so a refusal never tells
whether a private record exists. A refusal says grants and scopes in words (a role's title, a
scope's kind): each scope by its code here, by its name once an edge that can look names up
passes it through :func:`named_scopes`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from c3p.accounts.rules.actions import OWNER, PUBLIC, SIGNED_IN, action
from c3p.accounts.rules.roles import said_role
from c3p.errors import Forbidden, Unauthenticated
from c3p.messages import N_, Message, listing

SCOPE_KINDS = ("organization", "call", "project", "country", "account")
#: how a scope of each kind is said; ``name`` is its code until its name is known
SCOPE_WORDS = {
    "organization": N_("organization %(name)s"),
    "call": N_("call “%(name)s”"),
    "project": N_("project “%(name)s”"),
    "country": N_("country %(name)s"),
    "account": N_("account %(name)s"),
}


@dataclass(frozen=True)
class ScopeName(Message):
    """A scope said in words: the kind and code stay apart so an edge can put its name in."""

    kind: str = ""
    value: str = ""


def said_scope(kind: str, value: str) -> ScopeName:
    return ScopeName(SCOPE_WORDS.get(kind, "%(name)s"), {"name": value}, kind, value)


#: a scope's name in each language (``{"ja": …, "en": …}``), or None where it has none to tell
ScopeNames = Callable[[str, str], dict[str, str] | None]


def named_scopes(message: Message, names: ScopeNames) -> Message:
    """``message`` with each scope it says by its name in each language, where ``names`` knows one."""
    if isinstance(message, ScopeName):
        found = names(message.kind, message.value) or {}
        return replace(message, params={**message.params, **{f"name_{lang}": n for lang, n in found.items() if n}})
    params = {k: named_scopes(v, names) if isinstance(v, Message) else v for k, v in message.params.items()}
    return replace(message, params=params)


@dataclass(frozen=True)
class Grant:
    role: str
    scope_kind: str = ""
    scope_value: str = ""

    def covers(self, target: Target) -> bool:
        return not self.scope_kind or target.scope.get(self.scope_kind) == self.scope_value

    def __str__(self) -> str:
        return f"{self.role} ({self.scope_kind} {self.scope_value})" if self.scope_kind else self.role

    def said(self) -> Message | str:
        """The grant as people say it: the role's title, and the scope it is for."""
        role = said_role(self.role)
        if not self.scope_kind:
            return role
        scope = said_scope(self.scope_kind, self.scope_value)
        return Message(N_("%(role)s for %(scope)s"), {"role": role, "scope": scope})


@dataclass(frozen=True)
class Target:
    """What an action is about: whose record it is and which scopes it falls in."""

    owner_id: int | None = None
    scope: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, owner_id: int | None = None, **scope: str | None) -> Target:
        unknown = set(scope) - set(SCOPE_KINDS)
        if unknown:
            raise LookupError(f"unknown scope kinds {sorted(unknown)}")
        return cls(owner_id, {kind: value for kind, value in scope.items() if value})


ANYTHING = Target()


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in user (through a session or a token), the public, or the system."""

    user_id: int | None
    label: str
    grants: tuple[Grant, ...] = ()
    organization: str | None = None
    token_scopes: frozenset[str] | None = None
    system: bool = False

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None or self.system

    @classmethod
    def public(cls) -> Actor:
        return cls(None, "public")

    @classmethod
    def operator(cls, label: str = "system") -> Actor:
        """Whoever runs the CLI on the database directly, or seed loads and migrations."""
        return cls(None, label, system=True)

    def holds(self, role: str) -> bool:
        return any(grant.role == role for grant in self.grants)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    message: Message
    status: int | None = None  # 401 or 403 when refused

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def reason(self) -> str:
        """The reason in English (logs, the CLI)."""
        return str(self.message)


# the commonest grants, made once (every command of the CLI and the tests asks, every line of a batch too)
_OPEN_TO_ALL = Decision(True, Message("open to all"))
_LOCAL_OPERATOR = Decision(True, Message("local operator"))


def decide(actor: Actor, name: str, target: Target = ANYTHING) -> Decision:
    """Whether ``actor`` may perform action ``name`` on ``target``, and why."""
    rule = action(name)
    if PUBLIC in rule.roles or actor.system:
        return _OPEN_TO_ALL if PUBLIC in rule.roles else _LOCAL_OPERATOR
    what = {"what": Message(rule.description), "action": name}
    if not actor.authenticated:
        return Decision(False, Message(N_("Sign in to %(what)s (%(action)s)."), what), 401)
    if actor.token_scopes is not None and not token_allows(actor.token_scopes, name):
        scopes = ", ".join(sorted(actor.token_scopes)) or Message(N_("none"))
        refusal = N_("This API token may not %(what)s (%(action)s); its scopes: %(scopes)s.")
        return Decision(False, Message(refusal, {**what, "scopes": scopes}), 403)
    if SIGNED_IN in rule.roles:
        return Decision(True, Message("signed in"))
    if OWNER in rule.roles and target.owner_id is not None and target.owner_id == actor.user_id:
        return Decision(True, Message("own record"))
    for grant in actor.grants:
        if grant.role in rule.roles and grant.covers(target):
            return Decision(True, Message(f"role {grant}"))
    return Decision(False, _refusal(actor, rule.roles, what, target), 403)


def could(actor: Actor, name: str) -> Decision:
    """Whether ``actor`` may perform ``name`` on some target: the check a route makes before it loads one."""
    rule = action(name)
    if OWNER in rule.roles and actor.authenticated and actor.user_id is not None:
        return decide(actor, name, Target(owner_id=actor.user_id))
    held = [g for g in actor.grants if g.role in rule.roles]
    widest = Target(None, {g.scope_kind: g.scope_value for g in held if g.scope_kind})
    return decide(actor, name, widest)


def require(actor: Actor, name: str, target: Target = ANYTHING) -> None:
    """Raise Unauthenticated or Forbidden unless ``actor`` may perform ``name`` on ``target``."""
    decision = decide(actor, name, target)
    if decision.allowed:
        return
    error = Unauthenticated if decision.status == 401 else Forbidden
    raise error(decision.message, action=name)


def token_allows(scopes: frozenset[str], name: str) -> bool:
    """A token scope is an action name or a prefix pattern such as ``users.*``."""
    return any(scope == name or (scope.endswith(".*") and name.startswith(scope[:-1])) for scope in scopes)


def _refusal(actor: Actor, roles: tuple[str, ...], what: dict[str, object], target: Target) -> Message:
    matching = [grant for grant in actor.grants if grant.role in roles]
    if matching:
        asked = listing([said_scope(kind, value) for kind, value in sorted(target.scope.items())]) or Message(
            N_("everything")
        )
        held = listing([grant.said() for grant in matching])
        refusal = N_("You may not %(what)s (%(action)s) here: your role %(held)s does not cover %(asked)s.")
        return Message(refusal, {**what, "held": held, "asked": asked})
    owner = Message(N_("the record's owner"))
    people = [owner if role == OWNER else said_role(role) for role in roles if role not in (PUBLIC, SIGNED_IN)]
    needed = listing(people, "or")
    return Message(N_("You may not %(what)s (%(action)s): it is for %(needed)s."), {**what, "needed": needed})
