"""Calls for proposals and applications: the call's phases, the application's states, eligibility.

A call (公募) belongs to one fiscal year and round ("2025-1"). It moves ``open`` → ``reviewing``
(submissions closed, reviewers score) → ``reviewed`` (scores visible, ranking final) →
``decided`` (adoption made). An application (応募) is a ``draft`` until submitted before the
deadline; it may be withdrawn until the decision, which makes it ``adopted`` or ``not_adopted``.

Eligibility (支援対象) follows the brochure: a proposer (company, research institute, …) with at
least one Japanese local government and a partner place in a developing country (JCM partner
countries first), in the call's target fields, within the call's budget and plan limits. The
check returns every finding with its reason, passed or not, so the applicant sees why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from c3p.messages import N_, Message, Refused, listing

CALL_STATES = ("open", "reviewing", "reviewed", "decided")
CALL_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("reviewing",),
    "reviewing": ("reviewed",),
    "reviewed": ("decided",),
    "decided": (),
}

APPLICATION_STATES = ("draft", "submitted", "withdrawn", "adopted", "not_adopted")
APPLICATION_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("submitted", "withdrawn"),
    "submitted": ("withdrawn", "adopted", "not_adopted", "draft"),  # draft: returned for correction
    "withdrawn": (),
    "adopted": (),
    "not_adopted": (),
}

#: member-organization kinds that may propose (brochure: 日本の民間企業・研究機関等)
PROPOSER_KINDS = ("company", "research_institute", "other")

#: the eligible proposer kinds, each said in a sentence (never the stored slug)
PROPOSER_SENTENCES = {
    "company": N_("The proposer is a company."),
    "research_institute": N_("The proposer is a research institute."),
    "other": N_("The proposer is an eligible body (foundation or similar)."),
}

#: each call, application and project state said in words (the portal's labels)
STATE_NAMES = {
    "open": N_("Open"),
    "reviewing": N_("Reviewing"),
    "reviewed": N_("Review closed"),
    "decided": N_("Decided"),
    "draft": N_("Draft"),
    "submitted": N_("Submitted"),
    "withdrawn": N_("Withdrawn"),
    "adopted": N_("Adopted"),
    "not_adopted": N_("Not adopted"),
    "planned": N_("Planned"),
    "in_progress": N_("In progress"),
    "completed": N_("Completed"),
    "suspended": N_("Suspended"),
}


def state_name(state: str) -> Message:
    """A call or application state in words, in the reader's language."""
    return Message(STATE_NAMES.get(state, state))


#: parts an application must have before it can be submitted, with the name shown to people
REQUIRED_PARTS = {
    "title": N_("a title"),
    "summary": N_("a summary"),
    "plan": N_("an implementation plan"),
    "budget": N_("a budget for every plan year (%(years)s years)"),
    "japanese_governments": N_("at least one Japanese local government"),
    "partner_places": N_("at least one partner place"),
    "fields": N_("at least one target field"),
}
#: what a state change is about, as the refusal names it
TRANSITION_SUBJECTS = {"call": N_("A call"), "application": N_("An application"), "project": N_("A project")}


@dataclass(frozen=True)
class TargetField:
    slug: str
    name_ja: str
    name_en: str
    kind: str
    source: str


@lru_cache
def target_fields() -> dict[str, TargetField]:
    """The target fields (対象分野) from ``workflow/data/target_fields.yaml``."""
    text = files("c3p.workflow").joinpath("data/target_fields.yaml").read_text(encoding="utf-8")
    return {item["slug"]: TargetField(**item) for item in yaml.safe_load(text)}


@lru_cache
def attachment_kinds() -> dict[str, dict[str, dict[str, str]]]:
    """The kinds of documents (``workflow/data/attachment_kinds.yaml``) by owner and kind, with their names."""
    text = files("c3p.workflow").joinpath("data/attachment_kinds.yaml").read_text(encoding="utf-8")
    return {owner: {item["kind"]: item for item in items} for owner, items in yaml.safe_load(text).items()}


def _kind_name(names: dict[str, dict[str, str]], kind: str) -> dict[str, str]:
    """A document kind as message parameters: its name in each language."""
    item = names.get(kind, {})
    return {"kind": item.get("name_en", kind), "kind_ja": item.get("name_ja", ""), "kind_en": item.get("name_en", "")}


class IllegalTransition(Refused):
    """A state change the state machine does not allow (the service answers 409)."""


def check_transition(kind: str, transitions: dict[str, tuple[str, ...]], current: str, wanted: str) -> None:
    """Raise :class:`IllegalTransition` naming the allowed next states unless ``current → wanted`` is allowed.

    >>> check_transition("application", APPLICATION_TRANSITIONS, "draft", "submitted")
    >>> try:
    ...     check_transition("application", APPLICATION_TRANSITIONS, "withdrawn", "submitted")
    ... except IllegalTransition as refusal:
    ...     print(refusal)
    An application cannot go from Withdrawn to Submitted (Withdrawn is final).
    """
    allowed = transitions.get(current, ())
    if wanted in allowed:
        return
    refusal = N_("%(subject)s cannot go from %(current)s to %(wanted)s (%(nexts)s).")
    subject = Message(TRANSITION_SUBJECTS[kind])
    nexts = allowed_next(current, allowed, state_name)
    about = {"subject": subject, "current": state_name(current), "wanted": state_name(wanted), "nexts": nexts}
    raise IllegalTransition(Message(refusal, about))


def allowed_next(current: str, allowed: tuple[str, ...], named: Callable[[str], Message | str] = str) -> Message:
    """The states a refused change could go to instead: ``allowed next: a, b`` or ``x is final``.

    ``named`` says a state in words (default: as stored).
    """
    if allowed:
        return Message(N_("allowed next: %(states)s"), {"states": listing([named(state) for state in allowed])})
    return Message(N_("%(state)s is final"), {"state": named(current)})


@dataclass(frozen=True)
class CallRules:
    """What a call accepts."""

    fiscal_year: int
    opens_at: dt.datetime
    closes_at: dt.datetime
    target_countries: tuple[str, ...] = ()  # empty: every developing country
    target_fields: tuple[str, ...] = ()  # empty: every target field
    max_budget_jpy_per_year: int | None = None
    max_plan_years: int = 3
    required_attachments: tuple[str, ...] = ()
    priority_countries: tuple[str, ...] = ()  # JCM candidate countries prioritised besides the partners


@dataclass(frozen=True)
class PlaceFacts:
    slug: str
    country_iso3: str
    is_developing: bool
    is_jcm_partner: bool
    names: dict[str, str] = field(default_factory=dict)  # place, place_ja, place_en, country, country_ja, …


@dataclass(frozen=True)
class ApplicationFacts:
    """What the eligibility check needs to know about an application."""

    proposer_kind: str
    title: str = ""
    summary: str = ""
    plan: str = ""
    japanese_governments: tuple[str, ...] = ()
    partner_places: tuple[PlaceFacts, ...] = ()
    fields: tuple[str, ...] = ()
    budget_jpy_by_year: tuple[int, ...] = ()
    plan_years: int = 1
    attachment_kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    """One rule of the check: its code, whether it holds, and why."""

    code: str
    passed: bool
    reason: str  # in English; ``text`` and ``params`` say it in any language
    priority: bool = False  # a JCM partner country: eligible and prioritised
    text: str = ""
    params: dict[str, Any] = field(default_factory=dict)


def _found(code: str, passed: bool, text: str, *, priority: bool = False, **params: Any) -> Finding:
    """A finding whose reason is the message ``text`` (marked for the catalogs) with ``params``."""
    return Finding(code, passed, str(Message(text, params)), priority, text, params)


@dataclass(frozen=True)
class Eligibility:
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def eligible(self) -> bool:
        return all(f.passed for f in self.findings)

    @property
    def failures(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.passed)

    @property
    def prioritised(self) -> bool:
        return any(f.priority for f in self.findings)


def missing_parts(facts: ApplicationFacts, rules: CallRules) -> list[Message]:
    """Required parts the application lacks (named for people); empty when complete."""
    lacking = {
        "title": not facts.title.strip(),
        "summary": not facts.summary.strip(),
        "plan": not facts.plan.strip(),
        "budget": len(facts.budget_jpy_by_year) != facts.plan_years or not facts.budget_jpy_by_year,
        "japanese_governments": not facts.japanese_governments,
        "partner_places": not facts.partner_places,
        "fields": not facts.fields,
    }
    missing = [Message(REQUIRED_PARTS[part], {"years": facts.plan_years}) for part, lacks in lacking.items() if lacks]
    names = attachment_kinds()["application"]
    missing += [
        Message(N_("an attachment: %(kind)s"), _kind_name(names, kind))
        for kind in rules.required_attachments
        if kind not in facts.attachment_kinds
    ]
    return missing


def check_eligibility(facts: ApplicationFacts, rules: CallRules) -> Eligibility:
    """Every eligibility rule of the brochure's 支援対象 applied to ``facts``, with reasons."""
    findings = [_proposer(facts)]
    findings.append(
        _found(
            "japanese_government",
            True,
            N_("%(count)s Japanese local government(s)"),
            count=len(facts.japanese_governments),
        )
        if facts.japanese_governments
        else _found("japanese_government", False, N_("The consortium needs at least one Japanese local government."))
    )
    if not facts.partner_places:
        findings.append(_found("partner_place", False, N_("The consortium needs at least one partner place.")))
    findings += [_place(place, rules) for place in facts.partner_places]
    findings += _fields(facts, rules)
    findings += _budget(facts, rules)
    return Eligibility(tuple(findings))


def _proposer(facts: ApplicationFacts) -> Finding:
    """Said per kind in whole sentences (findings are stored as JSON, so no nested messages)."""
    sentence = PROPOSER_SENTENCES.get(facts.proposer_kind)
    if sentence:
        return _found("proposer", True, sentence)
    return _found(
        "proposer",
        False,
        N_(
            "This organization cannot propose: proposers are companies, research institutes and similar bodies "
            "(民間企業・研究機関等)."
        ),
    )


def _place(place: PlaceFacts, rules: CallRules) -> Finding:
    code = f"country:{place.slug}"
    where: dict[str, Any] = {"place": place.slug, "country": place.country_iso3, **place.names}
    if rules.target_countries and place.country_iso3 not in rules.target_countries:
        return _found(code, False, N_("%(place)s is in %(country)s, which this call does not target."), **where)
    if not place.is_developing:
        return _found(code, False, N_("%(place)s is in %(country)s, which is not a developing country."), **where)
    if place.is_jcm_partner:
        return _found(
            code, True, N_("%(place)s is in %(country)s, a JCM partner country (priority)."), priority=True, **where
        )
    if place.country_iso3 in rules.priority_countries:
        return _found(
            code,
            True,
            N_("%(place)s is in %(country)s, a JCM candidate country this call prioritises."),
            priority=True,
            **where,
        )
    return _found(code, True, N_("%(place)s is in %(country)s, a developing country (not a JCM partner)."), **where)


def _fields(facts: ApplicationFacts, rules: CallRules) -> list[Finding]:
    known = target_fields()
    allowed = rules.target_fields or tuple(known)
    findings = []
    for slug in facts.fields:
        if slug not in known:
            findings.append(_found(f"field:{slug}", False, N_("%(field)s is not a target field."), field=slug))
            continue
        names: dict[str, Any] = {
            "field": known[slug].name_en,
            "field_ja": known[slug].name_ja,
            "field_en": known[slug].name_en,
        }
        if slug not in allowed:
            findings.append(_found(f"field:{slug}", False, N_("This call does not target %(field)s."), **names))
        else:
            findings.append(_found(f"field:{slug}", True, N_("%(field)s is a target field."), **names))
    if facts.fields and all(known.get(s) and known[s].kind == "policy" for s in facts.fields):
        findings.append(
            _found(
                "field:technology",
                False,
                N_("Institution-building support must promote equipment in a technology field; add one."),
            )
        )
    if not facts.fields:
        findings.append(_found("field", False, N_("Name at least one target field.")))
    return findings


def _budget(facts: ApplicationFacts, rules: CallRules) -> list[Finding]:
    findings = []
    if facts.plan_years > rules.max_plan_years:
        findings.append(
            _found(
                "plan_years",
                False,
                N_("A plan of %(years)s years exceeds the call's %(limit)s."),
                years=facts.plan_years,
                limit=rules.max_plan_years,
            )
        )
    else:
        findings.append(_found("plan_years", True, N_("A plan of %(years)s year(s)."), years=facts.plan_years))
    if rules.max_budget_jpy_per_year is not None:
        over = [
            (year, amount)
            for year, amount in enumerate(facts.budget_jpy_by_year, 1)
            if amount > rules.max_budget_jpy_per_year
        ]
        if over:
            listed = ", ".join(f"{year}: {amount:,}" for year, amount in over)
            findings.append(
                _found(
                    "budget",
                    False,
                    N_("Over the limit of %(limit)s JPY per year (year: JPY — %(over)s)."),
                    limit=f"{rules.max_budget_jpy_per_year:,}",
                    over=listed,
                )
            )
        else:
            findings.append(
                _found("budget", True, N_("Within %(limit)s JPY per year."), limit=f"{rules.max_budget_jpy_per_year:,}")
            )
    if any(amount < 0 for amount in facts.budget_jpy_by_year):
        findings.append(_found("budget:sign", False, N_("Budget amounts cannot be negative.")))
    return findings


JST = ZoneInfo("Asia/Tokyo")


def japan_time(moment: dt.datetime) -> str:
    """A moment as the program states deadlines: Japan time, to the minute.

    >>> japan_time(dt.datetime(2026, 4, 24, 8, 0, tzinfo=dt.UTC))
    '2026-04-24 17:00'
    """
    return f"{moment.astimezone(JST):%Y-%m-%d %H:%M}"


def submission_refusal(
    now: dt.datetime, call_state: str, rules: CallRules, correction_due_at: dt.datetime | None = None
) -> Message | None:
    """Why an application cannot be submitted (or withdrawn) now, or None when it can.

    An application returned for correction may be submitted again until its own deadline,
    while the call is still open or in review.

    >>> closes = dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)
    >>> rules = CallRules(2026, closes - dt.timedelta(days=30), closes)
    >>> print(submission_refusal(closes + dt.timedelta(days=1), "reviewing", rules))
    The call closed on 2026-05-01 17:00 Japan time; late submissions are not accepted.
    >>> submission_refusal(closes + dt.timedelta(days=1), "reviewing", rules, closes + dt.timedelta(days=2))
    """
    if correction_due_at is not None and call_state in ("open", "reviewing"):
        if now > correction_due_at:
            refusal = N_("The correction was due on %(due)s Japan time; ask the secretariat for a new deadline.")
            return Message(refusal, {"due": japan_time(correction_due_at)})
        return None
    if call_state != "open" or now > rules.closes_at:
        refusal = N_("The call closed on %(closed)s Japan time; late submissions are not accepted.")
        return Message(refusal, {"closed": japan_time(rules.closes_at)})
    if now < rules.opens_at:
        return Message(N_("The call opens on %(opens)s Japan time."), {"opens": japan_time(rules.opens_at)})
    return None
