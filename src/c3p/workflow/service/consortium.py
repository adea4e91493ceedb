"""An application's consortium: the lead proposer and its co-applicants, their access and comments.

Co-applicants are the organizations an application names besides its lead: its Japanese local
governments and partner places (the member organization of kind ``japanese_government`` or
``partner_place`` with the same slug as the registry record, so naming the place on the
application is enough) and the partner companies named on it. Each is asked about in turn by
the policy (:func:`c3p.workflow.rules.access.consortium_targets`).
"""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, Target, require
from c3p.db import tables as t
from c3p.errors import InvalidInput
from c3p.messages import N_, Message
from c3p.workflow.rules.access import allowed_on_any, consortium_targets

#: the longest comment kept (characters)
COMMENT_MAX_CHARS = 10_000


def lead_target(session: Session, application: t.Application) -> Target:
    """The application as a target of the policy: its lead proposer's organization and its call."""
    proposer = session.get(t.MemberOrganization, application.proposer_id)
    call = session.get(t.Call, application.call_id)
    return Target.of(organization=proposer.slug if proposer else None, call=call.slug if call else None)


def co_applicants(session: Session, application: t.Application) -> list[t.MemberOrganization]:
    """The member organizations named on the application besides its lead, in the order named."""
    governments = select(t.JapaneseGovernment.slug).join(t.ApplicationJapaneseGovernment)
    places = select(t.PartnerPlace.slug).join(t.ApplicationPartnerPlace)
    named = session.scalars(
        select(t.MemberOrganization)
        .where(
            or_(
                (t.MemberOrganization.kind == "japanese_government")
                & t.MemberOrganization.slug.in_(
                    governments.where(t.ApplicationJapaneseGovernment.application_id == application.id)
                ),
                (t.MemberOrganization.kind == "partner_place")
                & t.MemberOrganization.slug.in_(
                    places.where(t.ApplicationPartnerPlace.application_id == application.id)
                ),
            )
        )
        .order_by(t.MemberOrganization.kind, t.MemberOrganization.slug)
    )
    return [*named, *partner_companies(session, application)]


def partner_companies(session: Session, application: t.Application) -> list[t.MemberOrganization]:
    return list(
        session.scalars(
            select(t.MemberOrganization)
            .join(t.ApplicationPartnerCompany)
            .where(t.ApplicationPartnerCompany.application_id == application.id)
            .order_by(t.ApplicationPartnerCompany.position)
        )
    )


def targets_of(session: Session, application: t.Application) -> list[Target]:
    """The lead's target, then each co-applicant's."""
    slugs = [o.slug for o in co_applicants(session, application)]
    return consortium_targets(lead_target(session, application), slugs)


def require_consortium(session: Session, actor: Actor, action: str, application: t.Application) -> None:
    """Allow ``action`` if the policy allows it on any of the consortium's organizations."""
    targets = targets_of(session, application)
    if not allowed_on_any(actor, action, targets):
        require(actor, action, targets[0])  # raises the refusal about the lead's organization


def name_partner_companies(session: Session, application: t.Application, slugs: list[str]) -> None:
    """Name these member organizations (slugs) as the application's partner companies."""
    wanted = list(dict.fromkeys(slugs))
    rows = {
        row.slug: row
        for row in session.scalars(select(t.MemberOrganization).where(t.MemberOrganization.slug.in_(wanted)))
    }
    unknown = [slug for slug in wanted if slug not in rows]
    if unknown:
        refusal = N_("unknown member organizations: %(unknown)s")
        raise InvalidInput(Message(refusal, {"unknown": ", ".join(unknown)}), field="partner_companies")
    if application.proposer_id in {row.id for row in rows.values()}:
        refusal = N_("The lead proposer cannot also be its own partner company.")
        raise InvalidInput(refusal, field="partner_companies")
    session.execute(
        delete(t.ApplicationPartnerCompany).where(t.ApplicationPartnerCompany.application_id == application.id)
    )
    for position, slug in enumerate(wanted, 1):
        session.add(
            t.ApplicationPartnerCompany(application_id=application.id, organization_id=rows[slug].id, position=position)
        )
    session.flush()


def people_of(session: Session, application: t.Application) -> list[int]:
    """The active users of the lead's and the co-applicants' organizations (whom notifications reach)."""
    organizations = [application.proposer_id, *(o.id for o in co_applicants(session, application))]
    query = select(t.User.id).where(t.User.organization_id.in_(organizations), t.User.is_disabled.is_(False))
    return list(session.scalars(query.order_by(t.User.id)))


def add_comment(session: Session, actor: Actor, application: t.Application, body: str) -> t.ApplicationComment:
    """A comment by someone of the consortium or the secretariat; empty or overlong text is refused."""
    require_consortium(session, actor, "program.application.comment", application)
    text = body.strip()
    if not text:
        raise InvalidInput(N_("Write the comment first."), field="body")
    if len(text) > COMMENT_MAX_CHARS:
        refusal = N_("A comment has at most %(max)s characters.")
        raise InvalidInput(Message(refusal, {"max": f"{COMMENT_MAX_CHARS:,}"}), field="body")
    row = t.ApplicationComment(
        application_id=application.id,
        author_id=actor.user_id,
        author_label=actor.label,
        organization_slug=actor.organization or "",
        body=text,
    )
    session.add(row)
    session.flush()
    return row


def comments_of(session: Session, application: t.Application) -> list[t.ApplicationComment]:
    query = select(t.ApplicationComment).where(t.ApplicationComment.application_id == application.id)
    return list(session.scalars(query.order_by(t.ApplicationComment.id)))


#: the kinds of member organization that can be named as partner companies
PARTNER_COMPANY_KINDS = ("company", "research_institute", "other")


def partner_company_choices(session: Session, application: t.Application) -> list[t.MemberOrganization]:
    """The member organizations a lead may name as partner companies (itself excluded)."""
    query = select(t.MemberOrganization).where(
        t.MemberOrganization.kind.in_(PARTNER_COMPANY_KINDS), t.MemberOrganization.id != application.proposer_id
    )
    return list(session.scalars(query.order_by(t.MemberOrganization.name_en)))
