"""The Article 6.2 annual report of a country: produced from the journal, submitted in versions.

The report is computed by the pure rules of :mod:`c3p.credits.rules.aef` from the journal
entries up to 31 December (the same ledger ``verify`` replays; no second ledger). Submitting
stores the report's canonical JSON with its SHA-256 as the next version, unless it equals the
latest version (then that version is returned); earlier versions stay readable, and reading one
checks it again: its hash, and its holdings and transfers against a fresh replay.

Each partnership's cooperative approach ID comes from a reviewed data file
(``credits/data/cooperative_approaches.yaml``, or the file ``C3P_COOPERATIVE_APPROACHES_FILE``
names); a report showing a partnership without one is a draft, and says so.

Only the registry administrator of the country produces, reads or submits its report (policy
actions ``credits.article6.report`` and ``credits.article6.submit``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from pydantic import Field, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, Target, decide, require
from c3p.credits import aef_workbook
from c3p.credits.adjustments import yaml_records
from c3p.credits.rules import aef
from c3p.credits.rules.cooperative_approaches import PLACEHOLDER, parse_approaches
from c3p.credits.rules.transactions import Entry
from c3p.credits.store import begin_write
from c3p.credits.tables import Article6Submission, CreditIssuance, CreditRegistry, JournalEntry
from c3p.errors import Conflict, DataFileError, InvalidInput, NotFound
from c3p.messages import N_, Message
from c3p.schema import Schema
from c3p.settings import get_settings

#: the first year the JCM issued credits could be reported (the JCM began in 2013)
FIRST_YEAR = 2013
APPROACHES = "credits/data/cooperative_approaches.yaml"


class SubmissionView(Schema):
    country: str
    year: int
    version: int
    sha256: str
    consistent: bool = Field(description="whether every consistency check passed when it was submitted")
    submitted_by: str
    submitted_at: dt.datetime
    draft: bool = Field(False, description="a partnership in it had no cooperative approach ID when submitted")


class StoredReport(Schema):
    """A submitted version as stored, and what checking it again today finds."""

    submission: SubmissionView
    intact: bool = Field(description="the stored document still has the hash it was submitted with")
    report: aef.AefReport | None = Field(description="the stored document; None when it no longer reads")
    checks_now: list[aef.Check] = Field(description="its consistency checks against today's replay of the journal")


def check_request(session: Session, country: str, year: object, today: dt.date | None = None) -> tuple[str, int]:
    """A known registry's ISO3 code and a year from 2013 to this one, or a clear refusal."""
    code = country.strip().upper() if isinstance(country, str) else ""
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise InvalidInput(
            Message(N_("country must be an ISO3 code such as VNM, got '%(country)s'"), {"country": country}),
            field="country",
        )
    if session.get(CreditRegistry, code) is None:
        raise NotFound(Message(N_("no credit registry for %(country)s"), {"country": code}), field="country")
    last = (today or dt.datetime.now(dt.UTC).date()).year
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= last:
        refusal = N_("year must be a whole year from %(first)s to %(last)s, got %(year)s")
        raise InvalidInput(Message(refusal, {"first": FIRST_YEAR, "last": last, "year": repr(year)}), field="year")
    return code, year


def _journal(session: Session, year: int) -> Iterator[Entry]:
    query = (
        select(JournalEntry.entry)
        .where(JournalEntry.occurred_at < aef.cutoff(year))
        .order_by(JournalEntry.seq)
        .execution_options(yield_per=2000)
    )
    for (text,) in session.execute(query):
        yield Entry.from_json(json.loads(text))


def load_approaches(path: Path | None = None) -> dict[str, str]:
    """Each partnership's cooperative approach ID: the file the settings name, else the built-in one."""
    path = path or get_settings().cooperative_approaches_file
    if path is None:
        return _built_in_approaches()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DataFileError(str(path), None, f"cannot be read ({error.strerror})") from None
    return parse_approaches(yaml_records(text, str(path)), str(path))


@lru_cache
def _built_in_approaches() -> dict[str, str]:
    text = files("c3p").joinpath(APPROACHES).read_text(encoding="utf-8")
    return parse_approaches(yaml_records(text, APPROACHES), APPROACHES)


def year_end(session: Session, year: int) -> aef.YearEnd:
    """The journal replayed to the end of ``year``, with each issuance's vintage and partnership's ID."""
    vintages = {i: int(v) for i, v in session.execute(select(CreditIssuance.id, CreditIssuance.vintage_year))}
    return aef.replay(_journal(session, year), year, vintages, load_approaches())


def produce(session: Session, actor: Actor, country: str, year: object) -> aef.AefReport:
    """``country``'s report for ``year``, with its consistency checks (nothing is stored)."""
    code, checked_year = check_request(session, country, year)
    require(actor, "credits.article6.report", Target.of(country=code))
    return aef.checked_report(year_end(session, checked_year), code)


def canonical(report: aef.AefReport) -> str:
    return json.dumps(report.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _view(row: Article6Submission) -> SubmissionView:
    return SubmissionView(
        country=row.country,
        year=row.year,
        version=row.version,
        sha256=row.sha256,
        consistent=row.consistent,
        submitted_by=row.submitted_by,
        submitted_at=row.submitted_at,
        draft=_draft(row.document),
    )


def _draft(document: str) -> bool:
    """Whether a stored document was a draft; one that no longer reads counts as one."""
    try:
        stored = json.loads(document)
        return bool(stored.get("draft")) or PLACEHOLDER in str(stored.get("cooperative_approach_id", PLACEHOLDER))
    except (ValueError, AttributeError):
        return True


def _latest(session: Session, country: str, year: int) -> Article6Submission | None:
    query = (
        select(Article6Submission)
        .where(Article6Submission.country == country, Article6Submission.year == year)
        .order_by(Article6Submission.version.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def submit(session: Session, actor: Actor, country: str, year: object) -> SubmissionView:
    """Store the report as the next version; the latest version if nothing changed since."""
    begin_write(session)  # one submitter at a time (SQLite: the write lock; PostgreSQL: the registry's row)
    code, checked_year = check_request(session, country, year)
    require(actor, "credits.article6.submit", Target.of(country=code))
    session.execute(select(CreditRegistry.code).where(CreditRegistry.code == code).with_for_update())
    report = aef.checked_report(year_end(session, checked_year), code)
    text = canonical(report)
    digest = hashlib.sha256(text.encode()).hexdigest()
    latest = _latest(session, code, checked_year)
    if latest is not None and latest.sha256 == digest:
        return _view(latest)
    row = Article6Submission(
        country=code,
        year=checked_year,
        version=(latest.version if latest else 0) + 1,
        sha256=digest,
        document=text,
        consistent=report.consistent,
        submitted_by=actor.label,
    )
    session.add(row)
    session.flush()
    return _view(row)


def submissions(session: Session, actor: Actor, country: str, year: object) -> list[SubmissionView]:
    """Every submitted version of the report, oldest first."""
    code, checked_year = check_request(session, country, year)
    require(actor, "credits.article6.report", Target.of(country=code))
    query = (
        select(Article6Submission)
        .where(Article6Submission.country == code, Article6Submission.year == checked_year)
        .order_by(Article6Submission.version)
    )
    return [_view(row) for row in session.scalars(query)]


def stored(session: Session, actor: Actor, country: str, year: object, version: int) -> StoredReport:
    """One submitted version as stored, checked again against today's replay of the journal."""
    code, checked_year = check_request(session, country, year)
    require(actor, "credits.article6.report", Target.of(country=code))
    row = session.scalars(
        select(Article6Submission).where(
            Article6Submission.country == code,
            Article6Submission.year == checked_year,
            Article6Submission.version == version,
        )
    ).first()
    if row is None:
        missing = N_("%(country)s submitted no version %(version)s of its %(year)s report")
        raise NotFound(Message(missing, {"country": code, "version": version, "year": checked_year}))
    intact = hashlib.sha256(row.document.encode()).hexdigest() == row.sha256
    try:
        document: aef.AefReport | None = aef.AefReport.model_validate_json(row.document)
    except ValidationError:
        document = None
    checks: list[aef.Check] = []
    if document is not None:
        state = year_end(session, checked_year)
        others = [aef.report(state, other) for other in aef.partners(state, code)]
        checks = aef.with_checks(document, state, others).checks
    return StoredReport(submission=_view(row), intact=intact, report=document, checks_now=checks)


def reportable(session: Session, actor: Actor) -> list[tuple[str, list[int]]]:
    """The registries whose report ``actor`` may produce, each with its years (newest first)."""
    first = session.scalar(select(func.min(JournalEntry.occurred_at)))
    this_year = dt.datetime.now(dt.UTC).year
    years = list(range(this_year, max(first.year if first else this_year, FIRST_YEAR) - 1, -1))
    codes = session.scalars(select(CreditRegistry.code).order_by(CreditRegistry.code))
    return [(code, years) for code in codes if decide(actor, "credits.article6.report", Target.of(country=code))]


def stored_workbook(session: Session, actor: Actor, country: str, year: object, version: int) -> tuple[bytes, str]:
    """One submitted version as an Excel workbook and its file name (API and page alike)."""
    found = stored(session, actor, country, year, version)
    if found.report is None:
        raise Conflict(N_("this version's stored document no longer reads as a report"))
    view = found.submission
    content = aef_workbook.workbook(found.report, view.version, view.submitted_at.isoformat())
    return content, f"article6-{view.country}-{view.year}-v{view.version}.xlsx"
