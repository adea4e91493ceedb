"""Calls set up completely, and the secretariat's selection tools, on a real database, both backends.

Each refusal leaves the stored call or application as it was; every ruling is in the history.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from c3p.accounts.rules.policy import Actor
from c3p.db import tables as t
from c3p.db.database import Database
from c3p.db.history import entries_for
from c3p.errors import Conflict, Forbidden, InvalidInput, NotFound
from c3p.program.seed_loader import init_database
from c3p.settings import Settings
from c3p.workflow import queries
from c3p.workflow.service import call_setup, calls, review, selection
from tests.support.workflow import PDF, acting, complete_draft, create_person, new_call

OPERATOR = Actor.operator("test")
JST = ZoneInfo("Asia/Tokyo")
YEARS = itertools.count(2080)


@pytest.fixture(scope="module")
def database(backend: str, new_database_url) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    database = Database(new_database_url(backend))
    init_database(database)
    yield database
    database.dispose()


@pytest.fixture
def settings(tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(data_dir=tmp_path)


@pytest.fixture(scope="module")
def secretariat(database: Database) -> Actor:
    return create_person(database, "secretariat").actor(database)


def _open(database: Database, year: int, **extra: object) -> str:
    with database.unit_of_work() as session:
        return calls.open_call(session, OPERATOR, new_call(year, **extra)).slug


def _submitted(database: Database, settings: Settings, call: str, **draft: object) -> tuple[int, Actor]:
    proposer = create_person(database, "proposer").actor(database)
    with database.unit_of_work() as session:
        application = calls.create_application(session, proposer, call, complete_draft(**draft))
        calls.add_attachment(session, proposer, settings, application.id, "application_form", "form.pdf", PDF)
        calls.submit(session, proposer, application.id)
        return application.id, proposer


def _application(database: Database, application_id: int) -> t.Application:
    with database.reading() as session:
        row = session.get(t.Application, application_id)
        assert row is not None
        session.expunge(row)
        return row


def _call(database: Database, slug: str) -> t.Call:
    with database.reading() as session:
        row = calls.call_by_slug(session, slug)
        session.expunge(row)
        return row


def test_a_deadline_given_in_japan_time_is_kept_as_that_moment(database: Database) -> None:
    """17:00 in Tokyo is 08:00 UTC; SQLite used to keep the wall time and read it back as 17:00 UTC."""
    closes = dt.datetime(2099, 5, 1, 17, 0, tzinfo=JST)
    terms = calls.NewCall(fiscal_year=2099, opens_at=closes - dt.timedelta(days=30), closes_at=closes)
    with database.unit_of_work() as session:
        calls.open_call(session, OPERATOR, terms)
    stored = _call(database, "2099-1").closes_at
    assert calls.aware(stored) == closes
    assert calls.aware(stored).astimezone(JST).hour == 17


def test_every_term_of_a_call_changes_in_one_go(database: Database, secretariat: Actor) -> None:
    slug = _open(database, 2061)
    closes = dt.datetime.now(JST).replace(microsecond=0) + dt.timedelta(days=40)
    rubric = {"criteria": [{"key": "impact", "name_ja": "効果", "name_en": "Impact", "max_points": 10, "weight": 2}]}
    changes = call_setup.CallChanges(
        title_ja="第1回 公募",
        title_en="Round one",
        closes_at=closes,
        target_countries=["vnm", "THA"],
        priority_countries=["MYS"],
        target_fields=["energy-efficiency"],
        max_budget_jpy_per_year=30_000_000,
        max_plan_years=2,
        required_attachments=["application_form", "budget_sheet"],
        rubric=rubric,
    )
    with acting(database, secretariat) as session:
        call_setup.update_call(session, secretariat, slug, changes)
    call = _call(database, slug)
    assert (call.title_ja, call.title_en) == ("第1回 公募", "Round one")
    assert calls.aware(call.closes_at) == closes
    assert call.target_countries == ["THA", "VNM"] and call.priority_countries == ["MYS"]
    assert call.target_fields == ["energy-efficiency"] and call.max_plan_years == 2
    assert call.max_budget_jpy_per_year == 30_000_000
    assert call.required_attachments == ["application_form", "budget_sheet"]
    assert call.rubric["criteria"][0]["weight"] == 2
    with database.reading() as session:
        assert entries_for(session, "calls", str(call.id))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"target_countries": ["XXX"]}, "target_countries"),
        ({"priority_countries": ["ATL"]}, "priority_countries"),
        ({"target_fields": ["space-travel"]}, None),
        ({"required_attachments": ["selfie"]}, None),
        (
            {"rubric": {"criteria": [{"key": "a", "name_ja": "", "name_en": "", "max_points": 0, "weight": 1}]}},
            "rubric",
        ),
        ({"rubric": {"criteria": [{"key": "a"}]}}, "rubric"),
        ({"closes_at": dt.datetime(2000, 1, 1, tzinfo=dt.UTC)}, "closes_at"),
    ],
)
def test_a_bad_term_is_refused_and_changes_nothing(
    database: Database, secretariat: Actor, change: dict[str, object], field: str | None
) -> None:
    slug = _open(database, next(YEARS))
    before = _call(database, slug)
    with pytest.raises(InvalidInput) as refused, acting(database, secretariat) as session:
        call_setup.update_call(session, secretariat, slug, call_setup.CallChanges.model_validate(change))
    assert refused.value.extra.get("field") == field
    after = _call(database, slug)
    assert (after.target_countries, after.rubric, after.closes_at) == (
        before.target_countries,
        before.rubric,
        before.closes_at,
    )


def test_only_the_secretariat_changes_a_call(database: Database) -> None:
    slug = _open(database, 2063)
    proposer = create_person(database, "proposer").actor(database)
    with pytest.raises(Forbidden), acting(database, proposer) as session:
        call_setup.update_call(session, proposer, slug, call_setup.CallChanges(title_en="mine"))


def test_changing_the_targets_checks_the_applications_again_and_candidates_have_priority(
    database: Database, settings: Settings, secretariat: Actor
) -> None:
    slug = _open(database, 2064)
    bangkok, _ = _submitted(database, settings, slug)
    kuala_lumpur, _ = _submitted(database, settings, slug, partner_places=["kuala-lumpur"])
    assert _application(database, bangkok).eligible and _application(database, kuala_lumpur).eligible
    assert not any(f["priority"] for f in _application(database, kuala_lumpur).eligibility)

    with acting(database, secretariat) as session:
        changes = call_setup.CallChanges(target_countries=["MYS"], priority_countries=["MYS"])
        call_setup.update_call(session, secretariat, slug, changes)
    assert _application(database, bangkok).eligible is False
    malaysian = _application(database, kuala_lumpur)
    assert malaysian.eligible and [f["code"] for f in malaysian.eligibility if f["priority"]] == [
        "country:kuala-lumpur"
    ]
    with database.reading() as session:
        terms = call_setup.terms(session, calls.call_by_slug(session, slug))
    assert [c.iso3 for c in terms.countries] == ["MYS"]
    assert [(c.iso3, c.candidate) for c in terms.priority] == [("MYS", True)]


def test_the_rubric_is_fixed_once_scored_and_dates_once_closed(
    database: Database, settings: Settings, secretariat: Actor
) -> None:
    slug = _open(database, 2065)
    application_id, _ = _submitted(database, settings, slug)
    reviewer = create_person(database, "reviewer", slug).actor(database)
    with database.unit_of_work() as session:
        calls.move_call(session, OPERATOR, slug, "reviewing")
        points = {c["key"]: 3 for c in calls.call_by_slug(session, slug).rubric["criteria"]}
        review.score(session, reviewer, application_id, points)
    rubric = {"criteria": [{"key": "new", "name_ja": "新", "name_en": "New", "max_points": 5, "weight": 1}]}
    with pytest.raises(Conflict) as refused, acting(database, secretariat) as session:
        call_setup.update_call(session, secretariat, slug, call_setup.CallChanges(rubric=rubric))
    assert refused.value.extra["field"] == "rubric"
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=90)
    with pytest.raises(Conflict), acting(database, secretariat) as session:
        call_setup.update_call(session, secretariat, slug, call_setup.CallChanges(closes_at=later))
    with acting(database, secretariat) as session:  # the words can still change
        call_setup.update_call(session, secretariat, slug, call_setup.CallChanges(title_en="Renamed"))
    assert _call(database, slug).title_en == "Renamed"


def test_call_documents_are_kept_checked_and_found_only_under_their_call(
    database: Database, settings: Settings, secretariat: Actor
) -> None:
    slug, other = _open(database, 2066), _open(database, 2067)
    with acting(database, secretariat) as session:
        row = call_setup.add_document(session, secretariat, settings, slug, "guidelines", "公募要領.pdf", PDF)
        document_id = row.id
    with pytest.raises(InvalidInput), acting(database, secretariat) as session:
        call_setup.add_document(session, secretariat, settings, slug, "guidelines", "virus.pdf", b"MZ\x90\x00")
    with pytest.raises(InvalidInput), acting(database, secretariat) as session:
        call_setup.add_document(session, secretariat, settings, slug, "selfie", "a.pdf", PDF)
    with database.reading() as session:
        assert [d.filename for d in call_setup.documents_of(session, calls.call_by_slug(session, slug))] == [
            "公募要領.pdf"
        ]
        assert call_setup.document(session, slug, document_id).sha256
        with pytest.raises(NotFound):
            call_setup.document(session, other, document_id)


def test_an_eligibility_ruling_needs_a_reason_prevails_and_is_in_the_history(
    database: Database, settings: Settings, secretariat: Actor
) -> None:
    slug = _open(database, 2068, target_countries=["VNM"])
    application_id, proposer = _submitted(database, settings, slug)  # Bangkok: not a target country
    assert _application(database, application_id).eligible is False
    with pytest.raises(InvalidInput), acting(database, secretariat) as session:
        selection.override_eligibility(session, secretariat, application_id, True, "  ")
    with pytest.raises(Forbidden), acting(database, proposer) as session:
        selection.override_eligibility(session, proposer, application_id, True, "I say so")
    assert _application(database, application_id).eligibility_override is None

    reason = "Thailand was added to the call's countries by the committee on 1 June."
    with acting(database, secretariat) as session:
        selection.override_eligibility(session, secretariat, application_id, True, reason)
    ruled = _application(database, application_id)
    assert ruled.eligible is True and ruled.eligibility_override_reason == reason
    assert any(
        f["code"] == "country:bangkok" and not f["passed"] for f in ruled.eligibility
    )  # the check still says why
    with database.reading() as session:
        history = entries_for(session, "applications", str(application_id))
    assert any(reason in str(entry.changes) for entry in history)

    with acting(database, secretariat) as session:
        selection.override_eligibility(session, secretariat, application_id, None, "Back to the check.")
    assert _application(database, application_id).eligible is False


def test_a_returned_application_is_corrected_and_submitted_again_after_the_call_closed(
    database: Database, settings: Settings, secretariat: Actor
) -> None:
    slug = _open(database, 2069)
    application_id, proposer = _submitted(database, settings, slug)
    with database.unit_of_work() as session:
        calls.move_call(session, OPERATOR, slug, "reviewing")
    due = dt.datetime.now(dt.UTC) + dt.timedelta(days=7)
    for message, when, error in (
        ("", due, InvalidInput),
        ("Fix the budget.", dt.datetime.now(dt.UTC) - dt.timedelta(hours=1), InvalidInput),
    ):
        with pytest.raises(error), acting(database, secretariat) as session:
            selection.return_for_correction(session, secretariat, application_id, message, when)
        assert _application(database, application_id).state == "submitted"

    with acting(database, secretariat) as session:
        selection.return_for_correction(session, secretariat, application_id, "Fix the budget of year 2.", due)
    returned = _application(database, application_id)
    assert (returned.state, returned.correction_message) == ("draft", "Fix the budget of year 2.")
    with database.reading() as session:  # "my tasks" offers the new submission, by its own deadline
        tasks = [str(task.title) for task in queries.tasks_of(session, proposer)]
    assert f"Submit application {application_id}: Decarbonization support for Bangkok" in tasks
    with database.reading() as session:
        kinds = [n.kind for n in session.query(t.Notification).filter(t.Notification.kind == "application.returned")]
    assert kinds

    with acting(database, proposer) as session:
        calls.update_application(session, proposer, application_id, complete_draft(budget_jpy_by_year=[1, 2]))
    with pytest.raises(Conflict), acting(database, proposer) as session:
        calls.submit(session, proposer, application_id, now=due + dt.timedelta(minutes=1))
    with acting(database, proposer) as session:
        calls.submit(session, proposer, application_id)
    again = _application(database, application_id)
    assert again.state == "submitted" and again.budget_jpy_by_year == [1, 2] and again.correction_due_at is None
    with acting(database, proposer) as session:
        calls.withdraw(session, proposer, application_id)
    with pytest.raises(Conflict), acting(database, secretariat) as session:  # a withdrawn one stays withdrawn
        selection.return_for_correction(session, secretariat, application_id, "Again.", due)
    assert _application(database, application_id).state == "withdrawn"


def _reviewed(database: Database, settings: Settings, year: int, count: int, **extra: object) -> tuple[str, list[int]]:
    slug = _open(database, year, **extra)
    ids = [_submitted(database, settings, slug, partner_places=[place])[0] for place in ("bangkok", "hanoi")[:count]]
    with database.unit_of_work() as session:
        calls.move_call(session, OPERATOR, slug, "reviewing")
        calls.move_call(session, OPERATOR, slug, "reviewed")
    return slug, ids


def test_batch_adoption_is_all_or_nothing_and_names_each_refused_application(
    database: Database, settings: Settings, secretariat: Actor
) -> None:
    slug, (bangkok, hanoi) = _reviewed(database, settings, 2070, 2, target_countries=["VNM"])
    assert not _application(database, bangkok).eligible and _application(database, hanoi).eligible
    with pytest.raises(Conflict) as refused, acting(database, secretariat) as session:
        review.adopt(session, secretariat, slug, [hanoi, bangkok], grants_jpy={hanoi: 10_000_000})
    assert list(refused.value.extra["errors"]) == [str(bangkok)]
    assert f"Application {bangkok} is not eligible" in refused.value.extra["errors"][str(bangkok)]
    assert _call(database, slug).state == "reviewed"
    assert {_application(database, i).state for i in (bangkok, hanoi)} == {"submitted"}

    with pytest.raises(Conflict) as too_much, acting(database, secretariat) as session:
        review.adopt(session, secretariat, slug, [hanoi], grants_jpy={hanoi: 20_000_001})
    assert list(too_much.value.extra["errors"]) == [str(hanoi)]
    with pytest.raises(Conflict), acting(database, secretariat) as session:
        review.adopt(session, secretariat, slug, [hanoi], grants_jpy={hanoi: -5})
    with pytest.raises(Conflict), acting(database, secretariat) as session:
        review.adopt(session, secretariat, slug, [hanoi], grants_jpy={hanoi: 10**30})
    with pytest.raises(InvalidInput), acting(database, secretariat) as session:
        review.adopt(session, secretariat, slug, [hanoi], grants_jpy={bangkok: 5})

    decided = dt.date(2070, 4, 1)
    with acting(database, secretariat) as session:
        review.adopt(session, secretariat, slug, [hanoi], grants_jpy={hanoi: 15_000_000}, decided_on=decided)
    adopted = _application(database, hanoi)
    assert (adopted.state, adopted.grant_amount_jpy, adopted.grant_decided_on) == ("adopted", 15_000_000, decided)
    assert _application(database, bangkok).state == "not_adopted"


def test_the_committee_workbook_holds_every_score_and_comment_as_text(
    database: Database, settings: Settings, secretariat: Actor
) -> None:
    slug, (first, second) = _reviewed(database, settings, 2071, 2)
    reviewers = [create_person(database, "reviewer", slug).actor(database) for _ in range(2)]
    with database.unit_of_work() as session:
        call = calls.call_by_slug(session, slug)
        call.state = "reviewing"
        keys = [c["key"] for c in call.rubric["criteria"]]
        review.score(session, reviewers[0], first, dict.fromkeys(keys, 5), '=HYPERLINK("http://evil")')
        review.score(session, reviewers[1], first, dict.fromkeys(keys, 1), "弱い計画")
        review.score(session, reviewers[0], second, dict.fromkeys(keys, 3), "")
        call.state = "reviewed"
    with pytest.raises(Forbidden), database.reading() as session:
        selection.scores_workbook(session, reviewers[0], slug)
    with database.reading() as session:
        book = load_workbook(BytesIO(selection.scores_workbook(session, secretariat, slug)))
    ranking = [row for row in book["Ranking"].iter_rows(min_row=2, values_only=True)]
    assert [row[1] for row in ranking] == [first, second] and ranking[0][0] == 1
    scores = list(book["Scores"].iter_rows(min_row=2, values_only=True))
    assert len(scores) == 3
    comments = {row[-1] for row in scores}
    assert {'=HYPERLINK("http://evil")', "弱い計画"} <= comments
    cells = [row[-1] for row in book["Scores"].iter_rows(min_row=2)]
    assert all(cell.data_type != "f" for cell in cells)
    totals = sorted(row[-2] for row in scores if row[0] == first)
    weights = sum(c["weight"] for c in _call(database, slug).rubric["criteria"])
    assert totals == [weights * 1, weights * 5]
