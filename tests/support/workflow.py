"""Test-data helpers for the program workflow: people with roles, a call, a complete application."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor
from c3p.accounts.service import members as svc
from c3p.accounts.service.members import actor_for
from c3p.db.database import Database
from c3p.db.history import act_as
from c3p.workflow.service import calls

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PASSWORD = "a long passphrase for tests"


@dataclass(frozen=True)
class Person:
    user_id: int
    email: str
    organization: str

    def actor(self, database: Database) -> Actor:
        with database.reading() as session:
            return actor_for(session, svc.user_by_id(session, self.user_id))  # type: ignore[arg-type]


def create_person(
    database: Database, role: str | None, scope: str | None = None, organization: str = "", kind: str = "company"
) -> Person:
    """A user of ``organization`` (created when new) holding ``role`` with ``scope``."""
    organization = organization or f"org-{uuid.uuid4().hex[:8]}"
    email = f"{role or 'nobody'}-{uuid.uuid4().hex[:8]}@example.org"
    operator = Actor.operator()
    with database.unit_of_work() as session:
        row = svc.organization_by_slug(session, organization) or svc.create_organization(
            session, operator, organization, organization.upper(), kind
        )
        user = svc.create_user(session, operator, email, email, row, PASSWORD)
        if role:
            scoped_by_organization = role in ("proposer", "tpe", "japanese_government_staff", "partner_city_official")
            svc.grant(session, operator, user, role, scope or (organization if scoped_by_organization else None))
        return Person(user.id, email, organization)


def new_call(
    fiscal_year: int, round: int = 1, *, open_for: dt.timedelta = dt.timedelta(days=30), **extra: object
) -> calls.NewCall:
    now = dt.datetime.now(dt.UTC)
    return calls.NewCall(
        fiscal_year=fiscal_year,
        round=round,
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + open_for,
        **extra,  # type: ignore[arg-type]
    )


def complete_draft(**changes: object) -> calls.ApplicationDraft:
    """A complete, eligible application: Yokohama with Bangkok (Thailand, a JCM partner)."""
    values: dict[str, object] = {
        "title_ja": "バンコク脱炭素化支援事業",
        "title_en": "Decarbonization support for Bangkok",
        "summary_ja": "省エネ設備の導入調査と制度構築支援。",
        "summary_en": "Studies of efficient equipment and policy support.",
        "plan": "Year 1: feasibility study; year 2: pilot and JCM application.",
        "fields": ["energy-efficiency", "policy-support"],
        "plan_years": 2,
        "budget_jpy_by_year": [20_000_000, 18_000_000],
        "japanese_governments": ["yokohama"],
        "partner_places": ["bangkok"],
    }
    values.update(changes)
    return calls.ApplicationDraft(**values)  # type: ignore[arg-type]


@contextmanager
def acting(database: Database, actor: Actor) -> Iterator[Session]:
    """One unit of work attributed to ``actor`` in the history, as the web and CLI boundaries do."""
    with database.unit_of_work() as session:
        act_as(session, actor.user_id, actor.label)
        yield session
