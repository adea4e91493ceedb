"""Setting up a call in the portal: change its terms, keep its documents (公募要領, 様式, 採点表).

A call's terms are checked as a whole, as when it was opened. Dates can change only while the
call is open, and the rubric only while nobody has scored against it, so a score always
refers to the criteria it was given for. Changing the targets re-checks the eligibility of
the call's drafts and submitted applications, so what applicants see follows the call.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, Target, require
from c3p.db import tables as t
from c3p.errors import Conflict, NotFound
from c3p.messages import N_, Message
from c3p.settings import Settings
from c3p.workflow.rules import calls as rules
from c3p.workflow.schemas import AttachmentView, CallTermsView, CountryTermView, NamedView
from c3p.workflow.service import attachments
from c3p.workflow.service.calls import (
    NewCall,
    _Input,
    _store_check,
    call_by_slug,
    checked_terms,
    in_utc,
    known_countries,
)

#: the terms a call's page may change, in the order of the form
TERMS = (
    "title_ja",
    "title_en",
    "opens_at",
    "closes_at",
    "target_countries",
    "priority_countries",
    "target_fields",
    "max_budget_jpy_per_year",
    "max_plan_years",
    "required_attachments",
    "rubric",
)


class CallChanges(_Input):
    """The terms to change; those left out stay as they are."""

    title_ja: str | None = None
    title_en: str | None = None
    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None
    target_countries: list[str] | None = Field(None, description="ISO3; empty: every developing country")
    priority_countries: list[str] | None = Field(None, description="ISO3 of JCM candidate countries prioritised")
    target_fields: list[str] | None = None
    max_budget_jpy_per_year: int | None = Field(None, gt=0, description="JPY; leave out to keep, see clear_budget")
    clear_budget: bool = Field(False, description="remove the budget limit")
    max_plan_years: int | None = Field(None, ge=1, le=5)
    required_attachments: list[str] | None = None
    rubric: dict[str, Any] | None = None

    @field_validator("opens_at", "closes_at")
    @classmethod
    def _utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        return in_utc(value) if value is not None else None


def update_call(session: Session, actor: Actor, slug: str, changes: CallChanges) -> t.Call:
    """Change a call's terms (secretariat); refused once decided, and in the cases the module names."""
    require(actor, "program.call.manage", Target.of(call=slug))
    call = call_by_slug(session, slug)
    if call.state == "decided":
        raise Conflict(N_("The call is decided; its terms can no longer change."))
    given = changes.model_dump(exclude_unset=True, exclude={"clear_budget"})
    given = {name: value for name, value in given.items() if value is not None}
    current = {name: getattr(call, name) for name in TERMS}
    if changes.clear_budget:
        given["max_budget_jpy_per_year"] = None
    _refuse_late_changes(session, call, current, given)
    merged = NewCall.model_validate({"fiscal_year": call.fiscal_year, "round": call.round, **current, **given})
    countries, rubric = checked_terms(session, merged)
    for name in TERMS:
        setattr(call, name, getattr(merged, name))
    call.target_countries = countries
    call.priority_countries = known_countries(session, merged.priority_countries, "priority_countries")
    call.rubric = rubric.as_data()
    session.flush()
    _recheck_applications(session, call)
    return call


def _refuse_late_changes(session: Session, call: t.Call, current: dict[str, Any], given: dict[str, Any]) -> None:
    moved = [name for name in ("opens_at", "closes_at") if name in given and given[name] != in_utc(current[name])]
    if moved and call.state != "open":
        raise Conflict(N_("Submissions are closed; the call's dates can no longer change."), field=moved[0])
    if "rubric" in given and given["rubric"] != current["rubric"]:
        scored = session.scalar(
            select(func.count())
            .select_from(t.ReviewScore)
            .join(t.Application, t.Application.id == t.ReviewScore.application_id)
            .where(t.Application.call_id == call.id)
        )
        if scored:
            refusal = N_("Applications have been scored with this rubric; it can no longer change.")
            raise Conflict(refusal, field="rubric")


def _recheck_applications(session: Session, call: t.Call) -> None:
    """Eligibility follows the call's targets: drafts and submitted applications are checked again."""
    for application in session.scalars(
        select(t.Application).where(t.Application.call_id == call.id, t.Application.state.in_(("draft", "submitted")))
    ):
        _store_check(session, application)


# ---------- call documents ----------


def add_document(
    session: Session, actor: Actor, settings: Settings, slug: str, kind: str, filename: str, content: bytes
) -> t.Attachment:
    """Keep one call document (guidelines, forms, scoring sheet) for everyone to download."""
    require(actor, "program.call.manage", Target.of(call=slug))
    call = call_by_slug(session, slug)
    return attachments.store(session, settings, "call", call.id, kind, filename, content, actor.user_id)


def documents_of(session: Session, call: t.Call) -> list[t.Attachment]:
    return attachments.attachments_of(session, "call", call.id)


def document(session: Session, slug: str, document_id: int) -> t.Attachment:
    """One document of the call ``slug``; a document of another call is not found here."""
    call = call_by_slug(session, slug)
    row = session.get(t.Attachment, document_id)
    if row is None or row.owner_kind != "call" or row.owner_id != call.id:
        raise NotFound(Message(N_("Call %(call)s has no document %(id)s."), {"call": slug, "id": document_id}))
    return row


def terms(session: Session, call: t.Call) -> CallTermsView:
    """The call's terms by name, for the public page (countries, priority, fields, attachments, documents)."""
    targets = set(call.target_countries)
    candidates = set(call.priority_countries or ())
    query = select(t.Country).where(t.Country.iso3.in_(targets | candidates)).order_by(t.Country.name_en)
    named = {c.iso3: _country_term(c, c.iso3 in candidates) for c in session.scalars(query)}
    partners = session.scalars(
        select(t.Country).where(t.Country.jcm_partner_order.is_not(None)).order_by(t.Country.name_en)
    )
    priority = [named[iso3] for iso3 in named if iso3 in candidates] + [
        _country_term(c, False) for c in partners if (not targets or c.iso3 in targets) and c.iso3 not in candidates
    ]
    fields = rules.target_fields()
    kinds = rules.attachment_kinds()["application"]
    return CallTermsView(
        countries=[named[iso3] for iso3 in sorted(targets) if iso3 in named],
        priority=sorted(priority, key=lambda c: c.name_en),
        fields=[NamedView(slug=s, name_ja=fields[s].name_ja, name_en=fields[s].name_en) for s in call.target_fields],
        attachments=[
            NamedView(slug=k, name_ja=kinds.get(k, {}).get("name_ja", k), name_en=kinds.get(k, {}).get("name_en", k))
            for k in call.required_attachments
        ],
        documents=[AttachmentView.model_validate(d) for d in documents_of(session, call)],
    )


def country_choices(session: Session) -> list[CountryTermView]:
    """The developing countries a call may target, JCM partners marked (the settings form's options)."""
    rows = session.scalars(select(t.Country).where(t.Country.is_developing).order_by(t.Country.name_en))
    return [_country_term(c, False) for c in rows]


def _country_term(country: t.Country, candidate: bool) -> CountryTermView:
    return CountryTermView(
        iso3=country.iso3,
        name_ja=country.name_ja,
        name_en=country.name_en,
        jcm_partner=country.jcm_partner_order is not None,
        candidate=candidate,
    )
